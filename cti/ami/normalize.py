"""AMI events to domain inputs: a registry of tiny pure parsers, one per event.

Rule 1: only events with a parser matter; everything else normalises to None (counted).
Rule 2: event time is Asterisk's `Timestamp` (manager.conf timestampevents = yes); the
receive time is the fallback.
Rule 3: a known event missing a required header, or with a bad value, raises
MalformedEvent naming the event; the caller logs, counts and skips it.
Rule 4: AMI header names appear only under cti/ami. The UserEvents and contexts are the
dialplan contract (dialplan/README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from cti.ami.frames import Headers
from cti.domain.ids import CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import CallerQueued, ChannelHungUp, TelephonyEvent
from cti.domain.queue import WaitingCall

HOLDING_CONTEXT: Final = "cti-queue"

Parser = Callable[[Headers, Instant], TelephonyEvent]
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


def event_time(headers: Headers, received_at: Instant) -> Instant:
    stamp = headers.get("Timestamp")
    return Instant(float(one(headers, "Timestamp"))) if stamp else received_at


def normalize(headers: Headers, received_at: Instant) -> TelephonyEvent | None:
    name = event_name(headers)
    parser = _PARSERS.get(name.lower())
    if parser is None:
        return None
    try:
        return parser(headers, event_time(headers, received_at))
    except (KeyError, ValueError) as exc:
        raise MalformedEvent(f"{name}: {exc!r}") from exc


@parses("UserEvent/CtiQueueEnter")
def _queue_enter(h: Headers, at: Instant) -> CallerQueued:
    queue = one(h, "Queue")
    if not queue:
        raise ValueError("empty Queue")
    entry = WaitingCall(
        call=CallId(one(h, "CallId") or one(h, "Uniqueid")),
        channel=ChannelId(one(h, "Uniqueid")),
        queue=QueueId(queue),
        priority=int(one(h, "CallerPriority") or "0"),
        caller=one(h, "CallerNum"),
        entered_at=Instant(float(one(h, "Entered"))) if h.get("Entered") else at,
    )
    return CallerQueued(at=at, entry=entry)


@parses("Hangup")
def _hangup(h: Headers, at: Instant) -> ChannelHungUp:
    return ChannelHungUp(at=at, channel=ChannelId(one(h, "Uniqueid")), cause=int(one(h, "Cause")))


def waiting_channel(h: Headers) -> WaitingCall | None:
    """A CoreShowChannel list entry, if that channel waits in a queue's holding loop."""
    variables = chan_vars(h)
    queue = variables.get("CTI_QUEUE", "")
    if one(h, "Context") != HOLDING_CONTEXT or not queue:
        return None
    channel = one(h, "Uniqueid")
    try:
        return WaitingCall(
            call=CallId(variables.get("CTI_CALL_ID") or channel),
            channel=ChannelId(channel),
            queue=QueueId(queue),
            priority=int(variables.get("CTI_PRIORITY") or "0"),
            caller=variables.get("CTI_CALLER", ""),
            entered_at=Instant(float(variables["CTI_ENTERED"])),
        )
    except (KeyError, ValueError) as exc:
        raise MalformedEvent(f"CoreShowChannel {channel}: {exc!r}") from exc


class AmiReader:
    """The engine's FrameReader for Asterisk's AMI."""

    def name(self, headers: Headers) -> str:
        try:
            return event_name(headers)
        except KeyError as exc:
            raise MalformedEvent(f"frame without {exc}") from exc

    def read(self, headers: Headers, received_at: Instant) -> TelephonyEvent | None:
        return normalize(headers, received_at)
