"""Records to table rows and back, one pair of functions per record type.

Rule 1: instants become aware UTC datetimes (microsecond precision, as the columns keep
them) and come back as the same epoch float; enums are stored by value.
Rule 2: derived durations (`seconds`, `wait_seconds`) are written from the record's own
properties and never read back: the record recomputes them from its instants.
Rule 3: a row whose values have unexpected types raises TypeError naming the column;
nothing is guessed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Protocol, TypeVar

from sqlalchemy import ColumnElement, RowMapping

from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.recording import Recording
from cti.domain.records import (
    AgentState,
    CallRecord,
    Finding,
    LoginEnd,
    LoginSession,
    MonitoringSession,
    OfferOutcome,
    OfferRecord,
    Presence,
    QueueVisit,
    Rule,
    Segment,
    SegmentKind,
    Side,
    SpyMode,
    StateInterval,
    VisitOutcome,
)

T = TypeVar("T")
Row = dict[str, object]


class Lookup(Protocol):
    """A result row, or a JSON object read from one: values by name."""

    def __getitem__(self, key: str, /) -> object: ...


def utc(instant: float) -> datetime:
    return datetime.fromtimestamp(instant, tz=UTC)


def in_range(
    column: ColumnElement[object], since: Instant | None, until: Instant | None
) -> list[ColumnElement[bool]]:
    """[since, until) on `column`, each bound left out when None."""
    where: list[ColumnElement[bool]] = []
    if since is not None:
        where.append(column >= utc(since))
    if until is not None:
        where.append(column < utc(until))
    return where


def opt_utc(instant: float | None) -> datetime | None:
    return None if instant is None else utc(instant)


def value(row: Lookup, column: str, kind: type[T]) -> T:
    """The column's (or a JSON document's key's) value, checked to be of the expected type."""
    found = row[column]
    if kind is float and isinstance(found, int) and not isinstance(found, bool):
        found = float(found)
    if not isinstance(found, kind):
        raise TypeError(f"column {column}: expected {kind.__name__}, got {found!r}")
    return found


def optional(row: Lookup, column: str, kind: type[T]) -> T | None:
    return None if row[column] is None else value(row, column, kind)


def instant(row: RowMapping, column: str) -> Instant:
    return Instant(value(row, column, datetime).timestamp())


def opt_instant(row: RowMapping, column: str) -> Instant | None:
    return None if row[column] is None else instant(row, column)


def visit_row(visit: QueueVisit, recorded_at: datetime) -> Row:
    return {
        "call_id": visit.call,
        "channel_id": visit.channel,
        "queue": visit.queue,
        "caller": visit.caller,
        "priority": visit.priority,
        "entered_at": utc(visit.entered_at),
        "left_at": utc(visit.left_at),
        "wait_seconds": visit.wait_seconds,
        "outcome": visit.outcome.value,
        "recorded_at": recorded_at,
    }


def visit_from(row: RowMapping) -> QueueVisit:
    return QueueVisit(
        call=CallId(value(row, "call_id", str)),
        channel=ChannelId(value(row, "channel_id", str)),
        queue=QueueId(value(row, "queue", str)),
        caller=value(row, "caller", str),
        priority=value(row, "priority", int),
        entered_at=instant(row, "entered_at"),
        left_at=instant(row, "left_at"),
        outcome=VisitOutcome(value(row, "outcome", str)),
    )


def offer_row(offer: OfferRecord, recorded_at: datetime) -> Row:
    return {
        "call_id": offer.call,
        "queue": offer.queue,
        "agent_id": offer.agent,
        "device": offer.device,
        "offered_at": utc(offer.offered_at),
        "ring_started_at": opt_utc(offer.ring_started_at),
        "ended_at": utc(offer.ended_at),
        "rings": offer.rings,
        "outcome": offer.outcome.value,
        "recorded_at": recorded_at,
    }


def offer_from(row: RowMapping) -> OfferRecord:
    return OfferRecord(
        call=CallId(value(row, "call_id", str)),
        queue=QueueId(value(row, "queue", str)),
        agent=AgentId(value(row, "agent_id", str)),
        device=DeviceId(value(row, "device", str)),
        offered_at=instant(row, "offered_at"),
        ring_started_at=opt_instant(row, "ring_started_at"),
        ended_at=instant(row, "ended_at"),
        rings=value(row, "rings", int),
        outcome=OfferOutcome(value(row, "outcome", str)),
    )


def call_row(call: CallRecord, recorded_at: datetime) -> Row:
    return {
        "call_id": call.call,
        "caller": call.caller,
        "queue": call.queue,
        "entered_at": utc(call.entered_at),
        "ended_at": utc(call.ended_at),
        "offers": call.offers,
        "answered": call.answered,
        "abandoned": call.abandoned,
        "abandon_wait": call.abandon_wait,
        "released_by": None if call.released_by is None else call.released_by.value,
        "survey_score": call.survey_score,
        "disposition": call.disposition,
        "recorded_at": recorded_at,
    }


def segment_rows(call: CallRecord) -> list[Row]:
    return [
        {
            "call_id": call.call,
            "ordinal": ordinal,
            "kind": segment.kind.value,
            "started_at": utc(segment.start),
            "ended_at": utc(segment.end),
            "seconds": segment.seconds,
            "queue": segment.queue,
            "agent_id": segment.agent,
            "outcome": segment.outcome,
            "disposition": segment.disposition,
        }
        for ordinal, segment in enumerate(call.segments)
    ]


def segment_from(row: RowMapping) -> Segment:
    queue, agent = optional(row, "queue", str), optional(row, "agent_id", str)
    return Segment(
        kind=SegmentKind(value(row, "kind", str)),
        start=instant(row, "started_at"),
        end=instant(row, "ended_at"),
        queue=None if queue is None else QueueId(queue),
        agent=None if agent is None else AgentId(agent),
        outcome=value(row, "outcome", str),
        disposition=optional(row, "disposition", str),
    )


def call_from(row: RowMapping, segments: tuple[Segment, ...]) -> CallRecord:
    released_by = optional(row, "released_by", str)
    return CallRecord(
        call=CallId(value(row, "call_id", str)),
        caller=value(row, "caller", str),
        queue=QueueId(value(row, "queue", str)),
        entered_at=instant(row, "entered_at"),
        ended_at=instant(row, "ended_at"),
        segments=segments,
        offers=value(row, "offers", int),
        answered=value(row, "answered", bool),
        abandoned=value(row, "abandoned", bool),
        abandon_wait=optional(row, "abandon_wait", float),
        released_by=None if released_by is None else Side(released_by),
        survey_score=optional(row, "survey_score", int),
        disposition=optional(row, "disposition", str),
    )


def interval_row(interval: StateInterval, recorded_at: datetime) -> Row:
    return {
        "agent_id": interval.agent,
        "state": interval.state.value,
        "reason": interval.reason,
        "started_at": utc(interval.start),
        "ended_at": utc(interval.end),
        "seconds": interval.seconds,
        "call_id": interval.call,
        "recorded_at": recorded_at,
        "approved_by": interval.approved_by or None,
    }


def interval_from(row: RowMapping) -> StateInterval:
    call = optional(row, "call_id", str)
    return StateInterval(
        agent=AgentId(value(row, "agent_id", str)),
        state=AgentState(value(row, "state", str)),
        reason=optional(row, "reason", str),
        start=instant(row, "started_at"),
        end=instant(row, "ended_at"),
        call=None if call is None else CallId(call),
        approved_by=optional(row, "approved_by", str) or "",
    )


def session_row(session: LoginSession, recorded_at: datetime) -> Row:
    return {
        "agent_id": session.agent,
        "device": session.device,
        "address": session.address,
        "started_at": utc(session.start),
        "ended_at": utc(session.end),
        "seconds": max(0.0, session.end - session.start),
        "ended": session.ended.value,
        "ended_by": session.by,
        "recorded_at": recorded_at,
    }


def session_from(row: RowMapping) -> LoginSession:
    return LoginSession(
        agent=AgentId(value(row, "agent_id", str)),
        device=DeviceId(value(row, "device", str)),
        address=value(row, "address", str),
        start=instant(row, "started_at"),
        end=instant(row, "ended_at"),
        ended=LoginEnd(value(row, "ended", str)),
        by=value(row, "ended_by", str),
    )


def finding_row(finding: Finding, recorded_at: datetime) -> Row:
    return {
        "rule": finding.rule.value,
        "agent_id": finding.agent,
        "at": utc(finding.at),
        "measured": finding.measured,
        "limit_value": finding.limit,
        "call_id": finding.call,
        "detail": finding.detail,
        "recorded_at": recorded_at,
    }


def monitoring_row(session: MonitoringSession, recorded_at: datetime) -> Row:
    return {
        "supervisor": session.supervisor,
        "device": session.device,
        "agent_id": session.agent,
        "call_id": session.call,
        "mode": session.mode.value,
        "started_at": utc(session.started_at),
        "ended_at": utc(session.ended_at),
        "recorded_at": recorded_at,
    }


def recording_row(recording: Recording, recorded_at: datetime) -> Row:
    return {
        "file": recording.file,
        "call_id": recording.call,
        "agent_id": recording.agent,
        "queue": recording.queue,
        "started_at": utc(recording.started_at),
        "deleted_at": None,
        "recorded_at": recorded_at,
    }


def monitoring_from(row: RowMapping) -> MonitoringSession:
    return MonitoringSession(
        supervisor=value(row, "supervisor", str),
        device=DeviceId(value(row, "device", str)),
        agent=AgentId(value(row, "agent_id", str)),
        call=CallId(value(row, "call_id", str)),
        mode=SpyMode(value(row, "mode", str)),
        started_at=instant(row, "started_at"),
        ended_at=instant(row, "ended_at"),
    )


def finding_from(row: RowMapping) -> Finding:
    call = optional(row, "call_id", str)
    return Finding(
        rule=Rule(value(row, "rule", str)),
        agent=AgentId(value(row, "agent_id", str)),
        at=instant(row, "at"),
        measured=value(row, "measured", float),
        limit=value(row, "limit_value", float),
        call=None if call is None else CallId(call),
        detail=value(row, "detail", str),
    )


LOGGED_OUT: Final = ""  # agent_presence.device of a logout (history rule 3)


def presence_row(presence: Presence, recorded_at: datetime) -> Row:
    """The agent_presence row; a logout's has the device LOGGED_OUT."""
    return {
        "agent_id": presence.agent,
        "device": LOGGED_OUT if presence.device is None else presence.device,
        "address": presence.address,
        "logged_in_at": opt_utc(presence.logged_in_at),
        "ready": presence.ready,
        "reason": presence.reason,
        "reason_by": presence.reason_by,
        "at": utc(presence.at),
        "recorded_at": recorded_at,
    }


def presence_from(row: RowMapping) -> Presence:
    return Presence(
        agent=AgentId(value(row, "agent_id", str)),
        at=instant(row, "at"),
        device=DeviceId(value(row, "device", str)),
        address=value(row, "address", str),
        logged_in_at=opt_instant(row, "logged_in_at"),
        ready=value(row, "ready", bool),
        reason=optional(row, "reason", str),
        reason_by=value(row, "reason_by", str),
    )
