"""AMI events to domain inputs: a registry of tiny pure parsers, one per event.

Rule 1: only events with a parser matter; everything else normalises to None (counted).
Rule 2: one timeline (cti/ami/timeline.py). A parser gets the event's time already on the
server's timeline: AmiReader places Asterisk's `Timestamp` (manager.conf timestampevents =
yes) with the measured offset; an event without one is at its receipt. An Asterisk instant
inside an event (CtiQueueEnter's `Entered`) keeps its distance from the event's own
`Timestamp`, both being Asterisk's clock.
Rule 3: a known event missing a required header, or with a bad value, raises
MalformedEvent naming the event; the caller logs, counts and skips it.
Rule 4: AMI header names appear only under cti/ami. The UserEvents and contexts are the
dialplan contract (dialplan/README.md).
Rule 5: a parser may return None for an event of a kind it knows but that does not concern
the core (a DialBegin with no caller channel, a DialState other than RINGING).

Facts from Asterisk 22 that these parsers rely on (seen in the lab):
- Dial events name the caller's channel (`Uniqueid`) and the dialled leg (`DestUniqueid`,
  `DestChannel` = device + "-" + 8 hex digits). A Dial started by Originate has no caller
  channel: its events carry only the Dest* headers.
- `HangupRequest` (not `SoftHangupRequest`) is sent when a channel's own side asked to hang
  up (its phone sent BYE); the first one on a bridged call names who released first (P2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from cti.ami.frames import Headers
from cti.ami.timeline import Timeline
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.inputs import (
    ArmAborted,
    ArmTaken,
    CallbackDeclined,
    CallbackRequested,
    CallerQueued,
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    DialEnded,
    DialStarted,
    DialStatus,
    HangupRequested,
    LineBridged,
    LineUp,
    MachineAnswered,
    NoticeHeard,
    OriginateEnded,
    PhoneRinging,
    SpyStarted,
    SpyStopped,
    SurveyAnswered,
    TelephonyEvent,
)
from cti.domain.queue import WaitingCall

HOLDING_CONTEXT: Final = "cti-queue"
SURVEY_SCORES: Final = range(1, 6)

# Dial's DIALSTATUS values (app_dial.c) as the core sees them.
DIAL_STATUSES: Final = {
    "ANSWER": DialStatus.ANSWER,
    "NOANSWER": DialStatus.NO_ANSWER,
    "BUSY": DialStatus.BUSY,
    "CHANUNAVAIL": DialStatus.UNAVAILABLE,
    "CONGESTION": DialStatus.UNAVAILABLE,
    "CANCEL": DialStatus.CANCEL,
}

# ast_devstate_str() names (main/devicestate.c); the list is closed.
DEVICE_STATES: Final = {
    "NOT_INUSE": DeviceState.NOT_IN_USE,
    "INUSE": DeviceState.IN_USE,
    "BUSY": DeviceState.BUSY,
    "RINGING": DeviceState.RINGING,
    "RINGINUSE": DeviceState.RING_IN_USE,
    "ONHOLD": DeviceState.ON_HOLD,
    "UNAVAILABLE": DeviceState.UNAVAILABLE,
    "INVALID": DeviceState.INVALID,
    "UNKNOWN": DeviceState.UNKNOWN,
}

Parser = Callable[[Headers, Instant], TelephonyEvent | None]
_PARSERS: dict[str, Parser] = {}


class MalformedEvent(ValueError):
    """A known AMI event whose headers do not fit the contract."""


def parses(name: str) -> Callable[[Parser], Parser]:
    """Register a parser for an event, or for a UserEvent as 'UserEvent/<name>'."""

    def register(parser: Parser) -> Parser:
        _PARSERS[name.lower()] = parser
        return parser

    return register


def one(headers: Headers, name: str) -> str:
    """The single value of a required header (the last one, if it repeats)."""
    value = headers[name]
    return value[-1] if isinstance(value, list) else value


def chan_vars(headers: Headers) -> dict[str, str]:
    """ChanVariable headers (`NAME=value`, repeated) as a map."""
    raw = headers.get("ChanVariable", [])
    items = raw if isinstance(raw, list) else [raw]
    return dict(item.partition("=")[::2] for item in items)


def event_name(headers: Headers) -> str:
    event = one(headers, "Event")
    if event.lower() == "userevent" and "UserEvent" in headers:
        return f"UserEvent/{one(headers, 'UserEvent')}"
    return event


def stamp_of(headers: Headers) -> float | None:
    """Asterisk's `Timestamp` of a frame (its clock), None when it has none."""
    return float(one(headers, "Timestamp")) if headers.get("Timestamp") else None


def normalize(headers: Headers, at: Instant) -> TelephonyEvent | None:
    """The domain input of one event, at `at`: its time on the server's timeline."""
    name = event_name(headers)
    parser = _PARSERS.get(name.lower())
    if parser is None:
        return None
    try:
        return parser(headers, at)
    except (KeyError, ValueError) as exc:
        raise MalformedEvent(f"{name}: {exc!r}") from exc


def _asterisk_instant(h: Headers, name: str, at: Instant) -> Instant:
    """An Asterisk instant carried by an event, placed as far before `at` as it was
    before the event's own Timestamp (rule 2); `at` when either is missing."""
    stamp = stamp_of(h)
    if stamp is None or not h.get(name):
        return at
    return Instant(at - max(0.0, stamp - float(one(h, name))))


@parses("UserEvent/CtiQueueEnter")
def _queue_enter(h: Headers, at: Instant) -> CallerQueued:
    return CallerQueued(at=at, entry=_entry(h, at))


def _entry(h: Headers, at: Instant) -> WaitingCall:
    """The caller entering a queue, as CtiQueueEnter and CtiArmTaken describe it."""
    queue = one(h, "Queue")
    if not queue:
        raise ValueError("empty Queue")
    return WaitingCall(
        call=CallId(one(h, "CallId") or one(h, "Uniqueid")),
        channel=ChannelId(one(h, "Uniqueid")),
        queue=QueueId(queue),
        priority=int(one(h, "CallerPriority") or "0"),
        caller=one(h, "CallerNum"),
        entered_at=_asterisk_instant(h, "Entered", at),
    )


@parses("UserEvent/CtiArmTaken")
def _arm_taken(h: Headers, at: Instant) -> ArmTaken:
    entry = _entry(h, at)
    return ArmTaken(at=at, queue=entry.queue, slot=_slot(h), token=_token(h), entry=entry)


@parses("UserEvent/CtiArmAborted")
def _arm_aborted(h: Headers, at: Instant) -> ArmAborted:
    queue = one(h, "Queue")
    if not queue:
        raise ValueError("empty Queue")
    channel = ChannelId(one(h, "Uniqueid"))
    return ArmAborted(at=at, queue=QueueId(queue), slot=_slot(h), token=_token(h), channel=channel)


def _slot(h: Headers) -> int:
    slot = int(one(h, "Slot"))
    if slot < 1:
        raise ValueError(f"slot {slot} is not a slot")
    return slot


def _token(h: Headers) -> str:
    token = one(h, "Token")
    if not token:
        raise ValueError("empty Token")
    return token


@parses("Hangup")
def _hangup(h: Headers, at: Instant) -> ChannelHungUp:
    return ChannelHungUp(at=at, channel=ChannelId(one(h, "Uniqueid")), cause=int(one(h, "Cause")))


@parses("HangupRequest")
def _hangup_request(h: Headers, at: Instant) -> HangupRequested:
    return HangupRequested(at=at, channel=ChannelId(one(h, "Uniqueid")))


def device_of(dest_channel: str) -> DeviceId:
    """The device of a dialled channel: 'PJSIP/1001-0000002a' is device 'PJSIP/1001'."""
    device, dash, serial = dest_channel.rpartition("-")
    if not dash or not device or not serial:
        raise ValueError(f"channel name without a serial: {dest_channel!r}")
    return DeviceId(device)


def _caller(h: Headers) -> ChannelId | None:
    """The dialling channel, or None for a Dial started by Originate (no caller side)."""
    return ChannelId(one(h, "Uniqueid")) if h.get("Uniqueid") else None


@parses("DialBegin")
def _dial_begin(h: Headers, at: Instant) -> DialStarted | None:
    caller = _caller(h)
    if caller is None:
        return None
    return DialStarted(
        at=at,
        channel=caller,
        agent_channel=ChannelId(one(h, "DestUniqueid")),
        device=device_of(one(h, "DestChannel")),
    )


@parses("DialState")
def _dial_state(h: Headers, at: Instant) -> PhoneRinging | None:
    caller = _caller(h)
    if caller is None or one(h, "DialStatus") != "RINGING":
        return None
    return PhoneRinging(at=at, channel=caller, agent_channel=ChannelId(one(h, "DestUniqueid")))


@parses("DialEnd")
def _dial_end(h: Headers, at: Instant) -> DialEnded | None:
    caller = _caller(h)
    if caller is None:
        return None
    return DialEnded(
        at=at,
        channel=caller,
        agent_channel=ChannelId(one(h, "DestUniqueid")),
        status=DIAL_STATUSES.get(one(h, "DialStatus"), DialStatus.OTHER),
    )


@parses("UserEvent/CtiDialResult")
def _dial_result(h: Headers, at: Instant) -> DialEnded:
    """Dial's own result in cti-connect. For a phone that cannot be reached (not registered)
    Asterisk emits no DialBegin or DialEnd at all, so this is the only word that the offer
    failed; it names the agent, not a leg. It is emitted before the server's next redirect
    can run, so the core matches it only to an offer to that same agent with no leg yet
    (Asterisk 22, checked in the lab)."""
    return DialEnded(
        at=at,
        channel=ChannelId(one(h, "Uniqueid")),
        agent_channel=None,
        status=DIAL_STATUSES.get(one(h, "Status"), DialStatus.OTHER),
        agent=AgentId(one(h, "Agent")),
    )


@parses("DeviceStateChange")
def _device_state_change(h: Headers, at: Instant) -> DeviceStateChanged:
    device, state = device_state(h)
    return DeviceStateChanged(at=at, device=device, state=state)


def device_state(h: Headers) -> tuple[DeviceId, DeviceState]:
    """Device and state of a DeviceStateChange (an event, or a DeviceStateList entry)."""
    device, state = one(h, "Device"), one(h, "State")
    if not device:
        raise ValueError("empty Device")
    if state not in DEVICE_STATES:
        raise ValueError(f"unknown device state {state!r}")
    return DeviceId(device), DEVICE_STATES[state]


@parses("UserEvent/CtiSurvey")
def _survey(h: Headers, at: Instant) -> SurveyAnswered:
    score = int(one(h, "Score"))
    if score not in SURVEY_SCORES:
        raise ValueError(f"survey score {score} is not 1-5")
    return SurveyAnswered(
        at=at,
        call=CallId(one(h, "CallId") or one(h, "Uniqueid")),
        channel=ChannelId(one(h, "Uniqueid")),
        score=score,
    )


@parses("UserEvent/CtiCallbackRequested")
def _callback_requested(h: Headers, at: Instant) -> CallbackRequested:
    return CallbackRequested(
        at=at,
        channel=ChannelId(one(h, "Uniqueid")),
        number=one(h, "CallerNum").strip() if "CallerNum" in h else "",
    )


@parses("UserEvent/CtiCallbackDeclined")
def _callback_declined(h: Headers, at: Instant) -> CallbackDeclined:
    return CallbackDeclined(at=at, channel=ChannelId(one(h, "Uniqueid")))


@parses("UserEvent/CtiLineUp")
def _line_up(h: Headers, at: Instant) -> LineUp:
    """An agent's nailed-up line answered (contract v9): sent on the line itself."""
    return LineUp(at=at, channel=ChannelId(one(h, "Uniqueid")), agent=AgentId(one(h, "Agent")))


@parses("UserEvent/CtiLineConnect")
def _line_connect(h: Headers, at: Instant) -> LineBridged:
    """A caller about to be bridged to an agent's nailed-up line (contract v9): sent on the
    caller's channel, naming the line's Uniqueid."""
    line = one(h, "Line")
    if not line:
        raise ValueError("CtiLineConnect without a Line")
    return LineBridged(
        at=at,
        channel=ChannelId(one(h, "Uniqueid")),
        line=ChannelId(line),
        agent=AgentId(one(h, "Agent")),
    )


@parses("OriginateResponse")
def _originate_response(h: Headers, at: Instant) -> OriginateEnded:
    """The outcome of an async Originate (a campaign's dial). `Uniqueid` is the ChannelId
    the server gave, in every case; Reason 4 is answered, 3 the ring timeout, 0 anything
    else (busy, congestion and failure alike: the Hangup's cause tells them apart)."""
    response = one(h, "Response")
    if response not in ("Success", "Failure"):
        raise ValueError(f"unknown Response {response!r}")
    return OriginateEnded(
        at=at,
        channel=ChannelId(one(h, "Uniqueid")),
        answered=response == "Success",
        reason=int(one(h, "Reason") or "0"),
    )


@parses("UserEvent/CtiOutboundMachine")
def _outbound_machine(h: Headers, at: Instant) -> MachineAnswered:
    return MachineAnswered(at=at, channel=ChannelId(one(h, "Uniqueid")), cause=one(h, "Cause"))


@parses("UserEvent/CtiNotice")
def _notice(h: Headers, at: Instant) -> NoticeHeard:
    queue = one(h, "Queue")
    if not queue:
        raise ValueError("empty Queue")
    return NoticeHeard(at=at, channel=ChannelId(one(h, "Uniqueid")), queue=QueueId(queue))


@parses("ChanSpyStart")
def _spy_start(h: Headers, at: Instant) -> SpyStarted:
    """ChanSpy on the spyer's channel (a supervisor's leg) began spying on the spyee's."""
    return SpyStarted(
        at=at,
        channel=ChannelId(one(h, "SpyerUniqueid")),
        target=ChannelId(one(h, "SpyeeUniqueid")),
    )


@parses("ChanSpyStop")
def _spy_stop(h: Headers, at: Instant) -> SpyStopped:
    """The spyer stopped; the spyee's headers are absent when its leg is gone already."""
    return SpyStopped(at=at, channel=ChannelId(one(h, "SpyerUniqueid")))


class AmiReader:
    """The engine's FrameReader for Asterisk's AMI: every frame's Timestamp is a sample of
    the timeline (cti/ami/timeline.py), which places each event's time (rule 2)."""

    def __init__(self, timeline: Timeline | None = None) -> None:
        self.timeline = timeline if timeline is not None else Timeline()

    def name(self, headers: Headers) -> str:
        try:
            return event_name(headers)
        except KeyError as exc:
            raise MalformedEvent(f"frame without {exc}") from exc

    def read(self, headers: Headers, received_at: Instant) -> TelephonyEvent | None:
        try:
            stamp = stamp_of(headers)
        except ValueError as exc:
            name = self.name(headers)
            if name.lower() not in _PARSERS:
                return None  # not the core's: its clock is no concern either
            raise MalformedEvent(f"{name}: Timestamp {exc!r}") from exc
        at = received_at if stamp is None else self.timeline.place(stamp, received_at)
        return normalize(headers, at)
