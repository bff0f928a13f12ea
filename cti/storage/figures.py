"""Per-agent and per-queue figures over a time range, computed by the database.

Rule 1: talk and wrap-up seconds are the sums of the agent's TALK and WRAP_UP segments
that start in the range; calls answered counts each call once per agent, however many
talk segments it had with them.
Rule 2: a survey score (P7) is credited to the agent of the call's last talk segment,
when that segment starts in the range; a queue's survey figures are those of the calls
that first entered it within the range.
Rule 3: offers are counted by outcome, for offers made in the range.
Rule 4: averages are computed in double precision on every dialect (PostgreSQL's AVG of
an integer is NUMERIC, which asyncpg hands back as Decimal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import (
    ColumnElement,
    Double,
    Select,
    cast,
    distinct,
    exists,
    func,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute, aliased

from cti.domain.ids import AgentId, Instant, QueueId
from cti.domain.records import OfferOutcome, SegmentKind
from cti.storage.models import CallRecordRow, CallSegmentRow, OfferRow
from cti.storage.rows import utc

TALK, WRAP_UP = SegmentKind.TALK.value, SegmentKind.WRAP_UP.value


def _no_offers() -> Mapping[OfferOutcome, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentFigures:
    """One agent's figures over a time range (rules in the module docstring)."""

    agent: AgentId
    calls_answered: int = 0
    talk_seconds: float = 0.0
    wrap_up_seconds: float = 0.0
    survey_count: int = 0
    survey_average: float | None = None
    offers: Mapping[OfferOutcome, int] = field(default_factory=_no_offers)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueSurvey:
    queue: QueueId
    count: int
    average: float


@dataclass(slots=True)
class _Tally:
    calls_answered: int = 0
    talk_seconds: float = 0.0
    wrap_up_seconds: float = 0.0
    survey_count: int = 0
    survey_average: float | None = None
    offers: dict[OfferOutcome, int] = field(default_factory=dict)

    def figures(self, agent: AgentId) -> AgentFigures:
        return AgentFigures(
            agent=agent,
            calls_answered=self.calls_answered,
            talk_seconds=self.talk_seconds,
            wrap_up_seconds=self.wrap_up_seconds,
            survey_count=self.survey_count,
            survey_average=self.survey_average,
            offers=MappingProxyType(dict(sorted(self.offers.items()))),
        )


async def agent_figures(
    connection: AsyncConnection, since: Instant, until: Instant, agent: AgentId | None
) -> list[AgentFigures]:
    """Figures of every agent with talk, wrap-up, surveys or offers in the range, by id."""
    tallies: dict[AgentId, _Tally] = {}

    def of(agent_id: str | None) -> _Tally:
        return tallies.setdefault(AgentId(str(agent_id)), _Tally())

    for agent_id, kind, calls, seconds in await connection.execute(_segments(since, until, agent)):
        if kind == TALK:
            of(agent_id).calls_answered, of(agent_id).talk_seconds = calls, float(seconds)
        else:
            of(agent_id).wrap_up_seconds = float(seconds)
    for agent_id, count, average in await connection.execute(_surveys(since, until, agent)):
        of(agent_id).survey_count, of(agent_id).survey_average = count, float(average)
    for agent_id, outcome, count in await connection.execute(_offers(since, until, agent)):
        of(agent_id).offers[OfferOutcome(outcome)] = count
    return [tally.figures(agent_id) for agent_id, tally in sorted(tallies.items())]


async def queue_surveys(
    connection: AsyncConnection, since: Instant, until: Instant
) -> list[QueueSurvey]:
    """Survey count and average per queue, by queue id."""
    c = CallRecordRow
    query = (
        select(c.queue, func.count(c.survey_score), _average(c.survey_score))
        .where(c.survey_score.is_not(None), *_range(c.entered_at, since, until))
        .group_by(c.queue)
        .order_by(c.queue)
    )
    return [
        QueueSurvey(queue=QueueId(queue), count=count, average=float(average))
        for queue, count, average in await connection.execute(query)
    ]


def _average(column: InstrumentedAttribute[int | None]) -> ColumnElement[float]:
    return type_coerce(func.avg(cast(column, Double)), Double)


def _range(
    column: InstrumentedAttribute[datetime], since: Instant, until: Instant
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return column >= utc(since), column < utc(until)


def _agent(
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None], agent: AgentId | None
) -> list[ColumnElement[bool]]:
    return [] if agent is None else [column == agent]


def _segments(
    since: Instant, until: Instant, agent: AgentId | None
) -> Select[str | None, str, int, float]:
    s = CallSegmentRow
    return (
        select(s.agent_id, s.kind, func.count(distinct(s.call_id)), func.sum(s.seconds))
        .where(
            s.agent_id.is_not(None),
            s.kind.in_((TALK, WRAP_UP)),
            *_range(s.started_at, since, until),
            *_agent(s.agent_id, agent),
        )
        .group_by(s.agent_id, s.kind)
    )


def _surveys(
    since: Instant, until: Instant, agent: AgentId | None
) -> Select[str | None, int, float]:
    s, c = CallSegmentRow, CallRecordRow
    later = aliased(CallSegmentRow)
    a_later_talk = exists().where(
        later.call_id == s.call_id,
        later.kind == TALK,
        later.agent_id.is_not(None),
        later.ordinal > s.ordinal,
    )
    return (
        select(s.agent_id, func.count(), _average(c.survey_score))
        .join(c, c.call_id == s.call_id)
        .where(
            s.kind == TALK,
            s.agent_id.is_not(None),
            c.survey_score.is_not(None),
            ~a_later_talk,
            *_range(s.started_at, since, until),
            *_agent(s.agent_id, agent),
        )
        .group_by(s.agent_id)
    )


def _offers(since: Instant, until: Instant, agent: AgentId | None) -> Select[str, str, int]:
    o = OfferRow
    return (
        select(o.agent_id, o.outcome, func.count())
        .where(*_range(o.offered_at, since, until), *_agent(o.agent_id, agent))
        .group_by(o.agent_id, o.outcome)
    )
