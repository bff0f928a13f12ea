"""Calls connected to agents when the server stopped, taken back at a resync (C1).

Rule 1: every connected call of a resync snapshot (a caller bridged with an agent's phone,
cti/ami/channels.py) that the core does not know is adopted: the agent logged in on that
phone (taken back at start, cti/domain/desk.py on_restore_logins) is on call with it again
(Trigger.ADOPT), its talk segment starts when the agent answered (CTI_ANSWERED, on the
server's timeline) and the call is rebuilt with its queue segment, from the caller's entry
to that answer. From then on it ends as any call does (cti/domain/telephony.py): the first
HangupRequest names who released first (P2), the first Hangup of either leg ends the talk,
the caller's Hangup and the agent's wrap-up finish the record.
Rule 2: idempotent and never inventing. A call whose caller or agent leg is known (in a
talk, a caller, hung up and remembered) or whose call id is known is left as it is; only
what Asterisk shows connected now is adopted, so a call that ended meanwhile stays ended.
Rule 3: a call is adopted with its agent or not at all: the phone must be the device of a
logged-in agent who is free (available or not ready, as a restart leaves it); otherwise
it is left with a note.
Rule 4: an outbound campaign's call (CTI_CAMPAIGN) is its dial's attempt too. It is kept
here (`adopted`), apart from the dials the core placed (cti/domain/outbound/), and when
its channel is gone it is recorded as connected: the agent, the dial's start (the
channel's creation), the person's answer (the entry into the campaign's queue), the
agent's answer, and the campaign's configured mode (the mode of the dial itself was the
stopped server's). The core never claimed its contact: the attempt goes out without one,
and the shell applies its result to the stored contact.
"""

from __future__ import annotations

from dataclasses import replace

from cti.domain.agent import Agent, Trigger
from cti.domain.call import CallProgress, Talk, started
from cti.domain.effects import AttemptEnded, Ignored
from cti.domain.inputs import ChannelHungUp, ConnectedCall, Resynced
from cti.domain.outbound.campaign import AttemptResult
from cti.domain.outbound.contact import Contact, id_of
from cti.domain.outbound.dial import Dial, DialPhase
from cti.domain.outbound.pacing import DialMode
from cti.domain.queue import WaitingCall
from cti.domain.records import AgentState, VisitOutcome
from cti.domain.work import Work, visit_of

FREE = frozenset({AgentState.AVAILABLE, AgentState.NOT_READY})  # rule 3


def on_resynced(work: Work, event: Resynced) -> int:
    """Rule 1: adopt the snapshot's connected calls; how many were adopted."""
    adopted = 0
    for found in event.connected:
        if _known(work, found):
            continue
        agent = _agent_of(work, found)
        if agent is not None:
            _adopt(work, found, agent)
            adopted += 1
    return adopted


def _known(work: Work, found: ConnectedCall) -> bool:
    """Rule 2."""
    channels = (found.channel, found.agent_channel)
    return (
        found.call in work.calls
        or any(c in work.gone or c in work.talks or c in work.legs for c in channels)
        or found.channel in work.callers
    )


def _agent_of(work: Work, found: ConnectedCall) -> Agent | None:
    """Rule 3: the free agent logged in on the call's phone, or None with a note."""
    agent = next((a for a in work.agents.values() if a.device == found.device), None)
    if agent is None or agent.state not in FREE:
        why = "no agent is logged in on it" if agent is None else f"agent {agent.id} is busy"
        work.notes.append(
            Ignored(reason=f"connected call {found.call} on {found.device} not adopted: {why}")
        )
        return None
    return agent


def _adopt(work: Work, found: ConnectedCall, agent: Agent) -> None:
    talk = Talk(
        call=found.call,
        channel=found.channel,
        agent=agent.id,
        agent_channel=found.agent_channel,
        queue=found.queue,
        start=found.answered_at,
    )
    work.start_talk(talk)
    work.callers[found.channel] = found.call
    work.calls[found.call] = _progress(found)
    busy = replace(agent, call=found.call, channel=found.channel, queue=found.queue)
    work.put_agent(agent, busy.fire(Trigger.ADOPT, work.at))
    if found.campaign is not None:
        work.adopted[found.channel] = _dial(found, agent)


def _progress(found: ConnectedCall) -> CallProgress:
    """The call as far as Asterisk tells it: its wait in the queue, then the agent."""
    entry = WaitingCall(
        call=found.call,
        channel=found.channel,
        queue=found.queue,
        priority=0,
        caller=found.caller,
        entered_at=found.entered_at,
    )
    waited = visit_of(entry, found.answered_at, VisitOutcome.CONNECTED)
    return replace(started(entry).left_queue(waited), offers=1, answered=True, talking=True)


def _dial(found: ConnectedCall, agent: Agent) -> Dial:
    """Rule 4: the attempt as far as Asterisk tells it; the mode is settled at the end."""
    assert found.campaign is not None
    number = found.caller
    # A Dial carries a contact; this one holds only what the attempt names (its id and
    # number): the stored contact is the shell's to settle.
    contact = Contact(
        id=id_of(found.campaign, number), campaign=found.campaign, number=number, timezone=""
    )
    answered = found.entered_at
    return Dial(
        channel=found.channel,
        campaign=found.campaign,
        contact=contact,
        mode=DialMode.PROGRESSIVE,
        agent=agent.id,
        started_at=min(found.dialled_at or answered, answered),
        answered_at=answered,
        queued_at=answered,
        connected_at=max(found.answered_at, answered),
        phase=DialPhase.CONNECTED,
    )


def on_hung_up(work: Work, event: ChannelHungUp) -> None:
    """Rule 4: an adopted outbound call's channel is gone: its attempt is recorded."""
    dial = work.adopted.get(event.channel)
    if dial is None:
        return
    work.adopted.pop(event.channel)
    live = work.campaigns.get(dial.campaign)
    if live is not None:
        dial = replace(dial, mode=live.config.mode)
    attempt = dial.attempt(AttemptResult.CONNECTED, event.at)
    work.emit(AttemptEnded(attempt=attempt, contact=None))
