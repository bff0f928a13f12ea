"""HistoryQueries: the reads the API and reports make over stored history.

Rule 1: results are plain frozen dataclasses (domain records where a record is returned
whole, small summaries otherwise); nothing returned is bound to a connection.
Rule 2: every method uses one connection and is bounded by a timeout; failures propagate.
Rule 3: time ranges are half-open, [since, until); lists are oldest first unless the
method says otherwise, with the table's id (insertion order) breaking ties.
Rule 4: how figures are credited is in cti.storage.figures.
Rule 5: the listings (calls, findings) return one keyset page (cti.storage.page) in the
order rule 3 gives; listing calls by filters is cti.storage.call_listing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict, Unpack

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from cti.domain.ids import AgentId, CallId, Instant, QueueId
from cti.domain.records import (
    AgentState,
    CallRecord,
    Finding,
    LoginSession,
    MonitoringSession,
    OfferRecord,
    Presence,
    QueueVisit,
    Rule,
    SegmentKind,
    StateInterval,
)
from cti.storage import figures, rows
from cti.storage.call_listing import CallFilter, call_page
from cti.storage.client import StoreClient
from cti.storage.figures import AgentFigures, QueueSurvey
from cti.storage.models import (
    AgentPresenceRow,
    CallRecordRow,
    CallSegmentRow,
    FindingAckRow,
    FindingRow,
    LoginSessionRow,
    MonitoringSessionRow,
    OfferRow,
    QueueVisitRow,
    StateIntervalRow,
)
from cti.storage.page import Order, Page, Position, page_of, paged
from cti.storage.queue_figures import QueueFigures, queue_figures

CALLS = CallRecordRow.__table__
SEGMENTS = CallSegmentRow.__table__
OFFERS = OfferRow.__table__
FINDINGS = FindingRow.__table__
ACKS = FindingAckRow.__table__
INTERVALS = StateIntervalRow.__table__
SESSIONS = LoginSessionRow.__table__
VISITS = QueueVisitRow.__table__
PRESENCE = AgentPresenceRow.__table__
MONITORING = MonitoringSessionRow.__table__
FINDING_ORDER = Order(time=FINDINGS.c.at, id=FINDINGS.c.id)
MONITORING_ORDER = Order(time=MONITORING.c.started_at, id=MONITORING.c.id)

__all__ = [
    "AgentFigures",
    "CallDetail",
    "CallFilter",
    "CallSummary",
    "FindingEntry",
    "FindingQuery",
    "HistoryQueries",
    "QueueFigures",
    "QueueSurvey",
]


class FindingQuery(TypedDict, total=False):
    """The filters of a findings listing; each left out filters nothing."""

    rule: Rule | None
    agent: AgentId | None
    since: Instant | None
    until: Instant | None
    limit: int  # 1000 when left out
    after: Position | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingEntry:
    """A stored finding, its id, and a supervisor's acknowledgement if it has one."""

    id: int
    finding: Finding
    acknowledged_by: str | None = None
    acknowledged_at: Instant | None = None
    note: str | None = None


def _finding_entry(row: RowMapping) -> FindingEntry:
    acked = row["acknowledged_at"] is not None
    return FindingEntry(
        id=rows.value(row, "id", int),
        finding=rows.finding_from(row),
        acknowledged_by=rows.optional(row, "acknowledged_by", str),
        acknowledged_at=rows.instant(row, "acknowledged_at") if acked else None,
        note=rows.optional(row, "note", str),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CallDetail:
    """A call with its segments (in the record) and every offer made for it."""

    record: CallRecord
    offers: tuple[OfferRecord, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallSummary:
    """One earlier call of a caller, for a screen pop (C7)."""

    call: CallId
    queue: QueueId
    entered_at: Instant
    ended_at: Instant
    answered: bool
    abandoned: bool
    disposition: str | None
    agents: tuple[AgentId, ...]  # who talked with the caller, in order, each once


class HistoryQueries(StoreClient):
    """Reads stored history; see the module rules for ranges and order."""

    async def call(self, call: CallId) -> CallDetail | None:
        """The call with its segments and offers, or None when it is not stored."""
        async with self._reading() as connection:
            found = await connection.execute(CALLS.select().where(CALLS.c.call_id == call))
            row = found.mappings().first()
            if row is None:
                return None
            segments = await connection.execute(
                SEGMENTS.select().where(SEGMENTS.c.call_id == call).order_by(SEGMENTS.c.ordinal)
            )
            record = rows.call_from(row, tuple(map(rows.segment_from, segments.mappings())))
            return CallDetail(record=record, offers=tuple(await _offers_of(connection, call)))

    async def offers(self, call: CallId) -> list[OfferRecord]:
        """Every offer of the call, in the order they were made."""
        async with self._reading() as connection:
            return await _offers_of(connection, call)

    async def recent_calls(self, caller: str, *, limit: int = 5) -> list[CallSummary]:
        """The caller's latest calls, newest first (a screen pop shows the last five)."""
        query = (
            CALLS.select()
            .where(CALLS.c.caller == caller)
            .order_by(CALLS.c.entered_at.desc(), CALLS.c.id.desc())
            .limit(limit)
        )
        async with self._reading() as connection:
            calls = (await connection.execute(query)).mappings().all()
            ids = [rows.value(row, "call_id", str) for row in calls]
            agents = await _talk_agents(connection, ids)
        return [_summary(row, agents.get(call, ())) for row, call in zip(calls, ids, strict=True)]

    async def calls(
        self, filters: CallFilter, *, limit: int = 100, after: Position | None = None
    ) -> Page[CallRecord]:
        """Calls `filters` keeps, oldest entry first, one page (cti.storage.call_listing)."""
        async with self._reading() as connection:
            return await call_page(connection, filters, limit, after)

    async def findings(self, **query: Unpack[FindingQuery]) -> Page[Finding]:
        """Findings matching every filter given, oldest first, one page of `limit` (rule 5)."""
        page = await self.finding_entries(**query)
        return Page([entry.finding for entry in page.items], page.after)

    async def finding_entries(self, **query: Unpack[FindingQuery]) -> Page[FindingEntry]:
        """As `findings`, each with its stored id and acknowledgement (issue 16)."""
        rule, agent = query.get("rule"), query.get("agent")
        since, until = query.get("since"), query.get("until")
        limit, after = query.get("limit", 1000), query.get("after")
        where = rows.in_range(FINDINGS.c.at, since, until)
        if rule is not None:
            where.append(FINDINGS.c.rule == rule.value)
        if agent is not None:
            where.append(FINDINGS.c.agent_id == agent)
        joined = FINDINGS.outerjoin(ACKS, ACKS.c.finding_id == FINDINGS.c.id)
        listed = select(FINDINGS, *ACKS.c).select_from(joined).where(*where)
        one_page = paged(listed, FINDING_ORDER, after, limit)
        async with self._reading() as connection:
            found = (await connection.execute(one_page)).mappings().all()
        return page_of(found, FINDING_ORDER, limit, _finding_entry)

    async def monitoring_sessions(
        self,
        *,
        agent: AgentId | None = None,
        supervisor: str | None = None,
        since: Instant | None = None,
        until: Instant | None = None,
        limit: int = 1000,
        after: Position | None = None,
    ) -> Page[MonitoringSession]:
        """Monitoring sessions (C8, P11) starting in the range, oldest first, one page."""
        where = rows.in_range(MONITORING.c.started_at, since, until)
        if agent is not None:
            where.append(MONITORING.c.agent_id == agent)
        if supervisor is not None:
            where.append(MONITORING.c.supervisor == supervisor)
        query = paged(MONITORING.select().where(*where), MONITORING_ORDER, after, limit)
        async with self._reading() as connection:
            found = (await connection.execute(query)).mappings().all()
        return page_of(found, MONITORING_ORDER, limit, rows.monitoring_from)

    async def monitored(self, since: Instant, until: Instant) -> list[MonitoringSession]:
        """Every monitoring session starting in [since, until): a week's, for the P11
        quota (at most a few per agent and week)."""
        where = rows.in_range(MONITORING.c.started_at, since, until)
        query = MONITORING.select().where(*where).order_by(MONITORING.c.started_at)
        async with self._reading() as connection:
            return list(map(rows.monitoring_from, (await connection.execute(query)).mappings()))

    async def state_intervals(
        self, agent: AgentId, *, since: Instant | None = None, until: Instant | None = None
    ) -> list[StateInterval]:
        """The agent's state intervals starting in the range, oldest first."""
        where = [
            INTERVALS.c.agent_id == agent,
            *rows.in_range(INTERVALS.c.started_at, since, until),
        ]
        query = INTERVALS.select().where(*where).order_by(INTERVALS.c.started_at)
        async with self._reading() as connection:
            return list(map(rows.interval_from, (await connection.execute(query)).mappings()))

    async def login_sessions(
        self, agent: AgentId, *, since: Instant | None = None, until: Instant | None = None
    ) -> list[LoginSession]:
        """The agent's logins starting in the range, oldest first."""
        where = [SESSIONS.c.agent_id == agent, *rows.in_range(SESSIONS.c.started_at, since, until)]
        query = SESSIONS.select().where(*where).order_by(SESSIONS.c.started_at)
        async with self._reading() as connection:
            return list(map(rows.session_from, (await connection.execute(query)).mappings()))

    async def sessions_overlapping(self, since: Instant, until: Instant) -> list[LoginSession]:
        """Every agent's logins that were on at some instant of [since, until), by start."""
        where = [SESSIONS.c.started_at < rows.utc(until), SESSIONS.c.ended_at > rows.utc(since)]
        query = SESSIONS.select().where(*where).order_by(SESSIONS.c.started_at, SESSIONS.c.id)
        async with self._reading() as connection:
            return list(map(rows.session_from, (await connection.execute(query)).mappings()))

    async def not_ready_overlapping(self, since: Instant, until: Instant) -> list[StateInterval]:
        """Every agent's not-ready spells that were on at some instant of [since, until)."""
        return await self.intervals_overlapping(since, until, AgentState.NOT_READY)

    async def intervals_overlapping(
        self, since: Instant, until: Instant, state: AgentState | None = None
    ) -> list[StateInterval]:
        """Every agent's state intervals (of `state`, if given) on at some instant of
        [since, until), by start."""
        where = [INTERVALS.c.started_at < rows.utc(until), INTERVALS.c.ended_at > rows.utc(since)]
        if state is not None:
            where.append(INTERVALS.c.state == state.value)
        query = INTERVALS.select().where(*where).order_by(INTERVALS.c.started_at, INTERVALS.c.id)
        async with self._reading() as connection:
            return list(map(rows.interval_from, (await connection.execute(query)).mappings()))

    async def talked_calls(self, since: Instant, until: Instant) -> dict[AgentId, list[CallId]]:
        """The calls each agent talked on with talk starting in [since, until) (QA, P11)."""
        where = [
            SEGMENTS.c.kind == SegmentKind.TALK.value,
            SEGMENTS.c.agent_id.is_not(None),
            *rows.in_range(SEGMENTS.c.started_at, since, until),
        ]
        query = select(SEGMENTS.c.agent_id, SEGMENTS.c.call_id).where(*where).distinct()
        found: dict[AgentId, list[CallId]] = {}
        async with self._reading() as connection:
            for row in (await connection.execute(query)).mappings():
                agent = AgentId(rows.value(row, "agent_id", str))
                found.setdefault(agent, []).append(CallId(rows.value(row, "call_id", str)))
        return found

    async def first_logins(self) -> dict[AgentId, Instant]:
        """Each agent's first stored login (a new agent is sampled more often, P11)."""
        query = select(SESSIONS.c.agent_id, func.min(SESSIONS.c.started_at).label("first"))
        query = query.group_by(SESSIONS.c.agent_id)
        async with self._reading() as connection:
            found = (await connection.execute(query)).mappings().all()
        return {AgentId(rows.value(r, "agent_id", str)): rows.instant(r, "first") for r in found}

    async def finding_keys(
        self, rules: Sequence[Rule], since: Instant, until: Instant
    ) -> set[tuple[Rule, AgentId, Instant]]:
        """The keys (rule, agent, at) of stored findings of `rules` at instants in the range."""
        where = [
            FINDINGS.c.rule.in_([r.value for r in rules]),
            *rows.in_range(FINDINGS.c.at, since, until),
        ]
        query = select(FINDINGS.c.rule, FINDINGS.c.agent_id, FINDINGS.c.at).where(*where)
        async with self._reading() as connection:
            found = (await connection.execute(query)).mappings().all()
        return {
            (
                Rule(rows.value(r, "rule", str)),
                AgentId(rows.value(r, "agent_id", str)),
                rows.instant(r, "at"),
            )
            for r in found
        }

    async def queue_visits(self, *, queue: QueueId | None = None) -> list[QueueVisit]:
        """Stored visits, optionally of one queue, oldest entry first."""
        where = [] if queue is None else [VISITS.c.queue == queue]
        query = VISITS.select().where(*where).order_by(VISITS.c.entered_at, VISITS.c.id)
        async with self._reading() as connection:
            return list(map(rows.visit_from, (await connection.execute(query)).mappings()))

    async def presence(self) -> list[Presence]:
        """The latest presence of every logged-in agent (what a restart takes back), by agent id."""
        logged_in = PRESENCE.c.device != rows.LOGGED_OUT
        query = PRESENCE.select().where(logged_in).order_by(PRESENCE.c.agent_id)
        async with self._reading() as connection:
            return list(map(rows.presence_from, (await connection.execute(query)).mappings()))

    async def agent_figures(
        self, since: Instant, until: Instant, *, agent: AgentId | None = None
    ) -> list[AgentFigures]:
        """Figures of every agent with talk, wrap-up or offers in the range, by agent id."""
        async with self._reading() as connection:
            return await figures.agent_figures(connection, since, until, agent)

    async def queue_figures(
        self, queue: QueueId, threshold: float, since: Instant, until: Instant
    ) -> QueueFigures:
        """A queue's offered, answered, abandoned, service level, ASA and AHT over
        [since, until), with T = `threshold` (cti.storage.queue_figures)."""
        async with self._reading() as connection:
            return await queue_figures(connection, queue, threshold, since, until)

    async def queue_surveys(self, since: Instant, until: Instant) -> list[QueueSurvey]:
        """Survey count and average per queue, of calls entered in the range, by queue id."""
        async with self._reading() as connection:
            return await figures.queue_surveys(connection, since, until)


async def _offers_of(connection: AsyncConnection, call: CallId) -> list[OfferRecord]:
    query = OFFERS.select().where(OFFERS.c.call_id == call)
    result = await connection.execute(query.order_by(OFFERS.c.offered_at, OFFERS.c.id))
    return list(map(rows.offer_from, result.mappings()))


async def _talk_agents(
    connection: AsyncConnection, calls: Sequence[str]
) -> dict[str, tuple[AgentId, ...]]:
    """For each call, the agents of its talk segments in order, each once."""
    if not calls:
        return {}
    query = (
        SEGMENTS.select()
        .where(
            SEGMENTS.c.call_id.in_(calls),
            SEGMENTS.c.kind == SegmentKind.TALK.value,
            SEGMENTS.c.agent_id.is_not(None),
        )
        .order_by(SEGMENTS.c.call_id, SEGMENTS.c.ordinal)
    )
    found: dict[str, dict[AgentId, None]] = {}
    for row in (await connection.execute(query)).mappings():
        agent = AgentId(rows.value(row, "agent_id", str))
        found.setdefault(rows.value(row, "call_id", str), {})[agent] = None
    return {call: tuple(agents) for call, agents in found.items()}


def _summary(row: RowMapping, agents: tuple[AgentId, ...]) -> CallSummary:
    return CallSummary(
        call=CallId(rows.value(row, "call_id", str)),
        queue=QueueId(rows.value(row, "queue", str)),
        entered_at=rows.instant(row, "entered_at"),
        ended_at=rows.instant(row, "ended_at"),
        answered=rows.value(row, "answered", bool),
        abandoned=rows.value(row, "abandoned", bool),
        disposition=rows.optional(row, "disposition", str),
        agents=agents,
    )
