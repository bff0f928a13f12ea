"""CoreShowChannels entries read for a resync (C1): callers waiting, calls connected.

Rule 1: a channel in the holding loop (context `cti-queue`) with CTI_QUEUE set waits in
that queue; its place in line comes back from CTI_ENTERED. One without CTI_ENTERED has
not entered yet (it hears the queue's outage notice, P20): its CtiQueueEnter will come.
Rule 2: a connected call is a bridge of exactly two channels, one of them a caller in
`cti-connect` (the Dial of an offer) and the other the agent's leg, whose name is the
agent's device plus a serial. Any other bridge (a consultation between two agent legs, a
blind transfer to an extension, a caller joined by `cti-bridge` after an attended
transfer) is left out.
Rule 3: Asterisk's instants (CTI_ENTERED, CTI_ANSWERED) are placed on the server's timeline
by `place` (cti/ami/timeline.py) and never later than the snapshot's receipt.
Rule 4: an entry that breaks the contract raises MalformedEvent naming the channel.

What Asterisk 22 reports (seen in the lab, main/manager.c and main/manager_bridges.c):
- CoreShowChannel: the channel's snapshot (Channel, Context, Exten, Priority, Uniqueid,
  Linkedid, one ChanVariable per manager.conf channelvars entry, empty when unset), then
  Application, ApplicationData, Duration (HH:MM:SS since the channel was created, whole
  seconds, truncated) and BridgeId (empty when not bridged). List entries carry no
  Timestamp, nor does CoreShowChannelsComplete.
- A call connected by cti-connect: the caller in context cti-connect, priority 3,
  Application Dial; the agent's leg (e.g. PJSIP/1001-00000001) in the endpoint's context
  (cti-agent), Application AppDial, ApplicationData "(Outgoing Line)"; both with the same
  BridgeId. The leg inherits the caller's `__` variables (CTI_CALL_ID, CTI_QUEUE, ...) but
  not CTI_AGENT; CTI_ANSWERED is the leg's own (set by cti-answered when it answered).
- BridgeList (BridgeListItem) and BridgeInfo (BridgeInfoChannel per channel, then
  BridgeInfoComplete) report a bridge's id, type (basic), technology (native_rtp, simple),
  creator, name and number of channels, and the channels' snapshots: nothing about when the
  bridge began (only ARI's `creationtime` and the CLI's `bridge show` Duration say so). Since
  CoreShowChannels already names each channel's bridge, the resync does not ask for them;
  the talk's start is CTI_ANSWERED, written by the dialplan when the agent answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from cti.ami.frames import Headers
from cti.ami.normalize import MalformedEvent, chan_vars, device_of, one
from cti.domain.ids import CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import ConnectedCall
from cti.domain.outbound.campaign import CampaignId
from cti.domain.queue import WaitingCall

HOLDING_CONTEXT: Final = "cti-queue"
CONNECT_CONTEXT: Final = "cti-connect"

Place = Callable[[float], Instant]  # an Asterisk instant on the server's timeline


def waiting_channel(h: Headers, place: Place) -> WaitingCall | None:
    """A CoreShowChannel entry, if that channel waits in a queue's holding loop (rule 1)."""
    variables = chan_vars(h)
    queue = variables.get("CTI_QUEUE", "")
    if one(h, "Context") != HOLDING_CONTEXT or not queue:
        return None
    if not variables.get("CTI_ENTERED"):  # still hearing the queue's outage notice (P20)
        return None
    channel = one(h, "Uniqueid")
    try:
        return WaitingCall(
            call=CallId(variables.get("CTI_CALL_ID") or channel),
            channel=ChannelId(channel),
            queue=QueueId(queue),
            priority=int(variables.get("CTI_PRIORITY") or "0"),
            caller=variables.get("CTI_CALLER", ""),
            entered_at=place(float(variables["CTI_ENTERED"])),
        )
    except (KeyError, ValueError) as exc:
        raise MalformedEvent(f"CoreShowChannel {channel}: {exc!r}") from exc


def bridged_pairs(entries: Iterable[Headers]) -> list[tuple[Headers, Headers]]:
    """(caller, agent leg) of every bridge that is a connected call (rule 2)."""
    bridges: dict[str, list[Headers]] = {}
    for h in entries:
        bridge = h.get("BridgeId")
        if isinstance(bridge, str) and bridge:
            bridges.setdefault(bridge, []).append(h)
    pairs = []
    for members in bridges.values():
        callers = [h for h in members if h.get("Context") == CONNECT_CONTEXT]
        if len(members) == 2 and len(callers) == 1:
            leg = members[1] if members[0] is callers[0] else members[0]
            pairs.append((callers[0], leg))
    return pairs


def connected_call(caller: Headers, leg: Headers, at: Instant, place: Place) -> ConnectedCall:
    """The connected call of one (caller, agent leg) pair, found at `at` (rules 2, 3)."""
    channel = one(caller, "Uniqueid")
    try:
        ours, theirs = chan_vars(caller), chan_vars(leg)
        campaign = ours.get("CTI_CAMPAIGN", "")
        return ConnectedCall(
            call=CallId(ours.get("CTI_CALL_ID") or channel),
            channel=ChannelId(channel),
            agent_channel=ChannelId(one(leg, "Uniqueid")),
            device=device_of(one(leg, "Channel")),
            queue=QueueId(ours["CTI_QUEUE"]),
            caller=ours.get("CTI_CALLER", ""),
            entered_at=place(float(ours["CTI_ENTERED"])),
            answered_at=_answered(theirs, leg, at, place),
            campaign=CampaignId(campaign) if campaign else None,
            dialled_at=_created(caller, at) if campaign else None,
        )
    except (KeyError, ValueError) as exc:
        raise MalformedEvent(f"CoreShowChannel {channel}: {exc!r}") from exc


def _answered(variables: dict[str, str], leg: Headers, at: Instant, place: Place) -> Instant:
    """CTI_ANSWERED; without it (a call connected by an older dialplan) the leg's creation,
    which is early by the time it rang."""
    answered = variables.get("CTI_ANSWERED")
    return place(float(answered)) if answered else _created(leg, at)


def _created(h: Headers, at: Instant) -> Instant:
    """When the channel was created, from its Duration (whole seconds, truncated): the
    middle of the second it gives."""
    hours, minutes, seconds = (int(part) for part in one(h, "Duration").split(":"))
    return Instant(at - (hours * 3600 + minutes * 60 + seconds) - 0.5)
