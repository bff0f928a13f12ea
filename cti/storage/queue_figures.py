"""A queue's figures over a time range, computed by the database (issue 12; P14, P23).

The definitions are the README's (Contact-centre figures), the ones /metrics gives in PromQL;
these rules say how a range of stored history is read for them.
Rule 1: offered, answered and abandoned count the queue's visits (QueueVisitRow) that
entered it in [since, until), by how they ended: offered is every visit (as
cti_queue_calls_entered_total), answered those that ended `connected`, abandoned those
that ended `abandoned`. A visit is stored when it ends, so a caller still waiting is not
counted yet; a caller moved to another queue counts there as well.
Rule 2: service level = visits answered within T seconds of entering (a wait of at most
T, as the histogram bucket le="T" counts) / (answered + abandoned); abandons count against
it whatever their wait. T is the queue's `service_level_seconds`. None when nobody was
answered or abandoned; so is every average without calls to average.
Rule 3: ASA = total wait of answered visits / answered visits; abandon rate = abandoned /
(answered + abandoned).
Rule 4: handle time is the talk (with an agent), hold and wrap-up segments that start in
the range and are credited to the queue as cti.metrics credits them: to the segment's
queue, else to the queue of the last agent talk before it in the call, else to the call's
first queue. AHT = (talk + hold + wrap-up) / wrap-ups, each agent handling a call doing
one wrap-up.
Rule 5: sums are read in double precision (cti.storage.figures rule 4); two aggregate
queries, nothing read row by row. Both are built once, with bound parameters, and only
executed per request (building them was most of a request's cost: issue 13, item 7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from sqlalchemy import ColumnElement, Double, Select, and_, bindparam, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from cti.domain.ids import Instant, QueueId
from cti.domain.records import SegmentKind, VisitOutcome
from cti.storage.models import CallRecordRow, CallSegmentRow, QueueVisitRow
from cti.storage.rows import utc

TALK, HOLD, WRAP_UP = SegmentKind.TALK.value, SegmentKind.HOLD.value, SegmentKind.WRAP_UP.value


def _no_visits() -> Mapping[VisitOutcome, int]:
    return MappingProxyType({})


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueFigures:
    """One queue's figures over a range (rules in the module docstring)."""

    queue: QueueId
    threshold: float  # T of the service level, in seconds
    visits: Mapping[VisitOutcome, int] = field(default_factory=_no_visits)  # every outcome
    answered_within: int = 0
    answered_wait_seconds: float = 0.0
    talk_seconds: float = 0.0
    hold_seconds: float = 0.0
    wrap_up_seconds: float = 0.0
    wrap_ups: int = 0

    @property
    def offered(self) -> int:
        return sum(self.visits.values())

    @property
    def answered(self) -> int:
        return self.visits.get(VisitOutcome.CONNECTED, 0)

    @property
    def abandoned(self) -> int:
        return self.visits.get(VisitOutcome.ABANDONED, 0)

    @property
    def service_level(self) -> float | None:
        return _ratio(self.answered_within, self.answered + self.abandoned)

    @property
    def abandon_rate(self) -> float | None:
        return _ratio(self.abandoned, self.answered + self.abandoned)

    @property
    def asa_seconds(self) -> float | None:
        return _ratio(self.answered_wait_seconds, self.answered)

    @property
    def handle_seconds(self) -> float:
        return self.talk_seconds + self.hold_seconds + self.wrap_up_seconds

    @property
    def aht_seconds(self) -> float | None:
        return _ratio(self.handle_seconds, self.wrap_ups)


async def queue_figures(
    connection: AsyncConnection, queue: QueueId, threshold: float, since: Instant, until: Instant
) -> QueueFigures:
    """The queue's figures over [since, until), T = `threshold` seconds."""
    visits = dict.fromkeys(VisitOutcome, 0)
    within, waited = 0, 0.0
    window = {"queue": queue, "since": utc(since), "until": utc(until)}
    for outcome, count, quick, wait in await connection.execute(
        VISITS, {**window, "threshold": threshold}
    ):
        visits[VisitOutcome(outcome)] = count
        if outcome == VisitOutcome.CONNECTED.value:
            within, waited = int(quick or 0), float(wait or 0.0)
    handled = {TALK: 0.0, HOLD: 0.0, WRAP_UP: 0.0}
    wrap_ups = 0
    for kind, count, seconds in await connection.execute(HANDLING, window):
        handled[kind] = float(seconds or 0.0)
        wrap_ups = count if kind == WRAP_UP else wrap_ups
    return QueueFigures(
        queue=queue,
        threshold=threshold,
        visits=MappingProxyType(visits),
        answered_within=within,
        answered_wait_seconds=waited,
        talk_seconds=handled[TALK],
        hold_seconds=handled[HOLD],
        wrap_up_seconds=handled[WRAP_UP],
        wrap_ups=wrap_ups,
    )


def _visits() -> Select[str, int, int, float]:
    """Rules 1-3: visits by outcome, those within T, and their total wait."""
    v = QueueVisitRow
    quick = case((v.wait_seconds <= bindparam("threshold", type_=Double), 1), else_=0)
    return (
        select(v.outcome, func.count(), func.sum(quick), cast(func.sum(v.wait_seconds), Double))
        .where(
            v.queue == bindparam("queue"),
            v.entered_at >= bindparam("since"),
            v.entered_at < bindparam("until"),
        )
        .group_by(v.outcome)
    )


def _handling() -> Select[str, int, float]:
    """Rule 4: talk, hold and wrap-up segments credited to the queue, by kind."""
    s, c = CallSegmentRow, CallRecordRow
    handling = or_(and_(s.kind == TALK, s.agent_id.is_not(None)), s.kind.in_((HOLD, WRAP_UP)))
    return (
        select(s.kind, func.count(), cast(func.sum(s.seconds), Double))
        .join(c, c.call_id == s.call_id)
        .where(
            handling,
            _credited_queue() == bindparam("queue"),
            s.started_at >= bindparam("since"),
            s.started_at < bindparam("until"),
        )
        .group_by(s.kind)
    )


def _credited_queue() -> ColumnElement[str]:
    """The queue a segment is credited to (rule 4, cti.metrics AcdMetrics.call_ended)."""
    s, c, earlier = CallSegmentRow, CallRecordRow, aliased(CallSegmentRow)
    last_talk_queue = (
        select(earlier.queue)
        .where(
            earlier.call_id == s.call_id,
            earlier.kind == TALK,
            earlier.agent_id.is_not(None),
            earlier.queue.is_not(None),
            earlier.ordinal < s.ordinal,
        )
        .order_by(earlier.ordinal.desc())
        .limit(1)
        .correlate(s)
        .scalar_subquery()
    )
    return func.coalesce(s.queue, last_talk_queue, c.queue)


VISITS: Final = _visits()
HANDLING: Final = _handling()
