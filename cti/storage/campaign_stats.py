"""CampaignFigures: what a campaign's stored dial attempts add up to (C5, P16), computed
by the database. CampaignStore is one (it inherits these reads).

Rule 1: attempts belong to a time range by the instant their dial started; ranges are
half-open, [since, until), and an open end is unbounded. The figures of a range are one
aggregate query grouped by result; nothing is read row by row.
Rule 2: a dial is an attempt that was not a preview skip; a success is a connected call;
the abandon rate is abandoned / answered by a person (cti.domain.outbound.attempt rule 2).
Rule 3: ring seconds average the dials someone (a person or a machine) answered, from the
dial to the answer (the stored `ring_seconds`, as cti_campaign_ring_seconds observes);
time to connect averages connected calls from the answer to the agent. No column keeps
that duration (cti.storage.models rule 3), so it is the one date difference computed per
dialect: julianday on SQLite (whose date functions keep milliseconds), EXTRACT(EPOCH) on
PostgreSQL. Sums and averages are read in double precision on every dialect (PostgreSQL
hands NUMERIC back as Decimal; cti.storage.figures rule 4).
Rule 4: the abandon window is counted as the dialer rebuilds the pacer's after a restart
(CampaignStore.attempts_since, then abandon_window.tally): attempts a person answered that ended
at or after now - length, whose outcome (the connect, else the end) is not after now.
Rule 5: a seat's day counts the dials placed for or by an agent and their successes; the
dials no agent was attached to (a predictive dial nobody answered) are counted apart.
Rule 6: every read is one connection bounded by the store's timeout (StoreClient).
Rule 7: attempts are listed newest first by the instant their dial started, then by id,
as keyset pages (cti.storage.page): an attempt stored after a page was read sorts before
it, so it is on no later page (a listing read again from the start shows it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, NamedTuple, TypeAlias

from sqlalchemy import ColumnElement, Double, Select, case, cast, extract, func, select
from sqlalchemy.orm import InstrumentedAttribute

from cti.domain.ids import AgentId, Instant
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.attempt import DialAttempt
from cti.domain.outbound.campaign import AttemptResult, CampaignId
from cti.domain.outbound.seats import NO_CALLS, SeatCount
from cti.storage import campaign_rows
from cti.storage.campaign_models import DialAttemptRow
from cti.storage.client import StoreClient
from cti.storage.page import Order, Page, Position, page_of, paged
from cti.storage.rows import utc

A = DialAttemptRow
ATTEMPTS = DialAttemptRow.__table__
NEWEST_FIRST = Order(time=ATTEMPTS.c.started_at, id=ATTEMPTS.c.id, descending=True)  # rule 7
R = AttemptResult
DAY_SECONDS: Final = 86_400.0
Moment: TypeAlias = InstrumentedAttribute[datetime | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptFigures:
    """A campaign's attempts over a range (rules 1-3); averages are None without calls."""

    by_result: Mapping[AttemptResult, int] = field(default_factory=dict)  # every result
    answered_by_person: int = 0
    average_ring_seconds: float | None = None
    average_connect_seconds: float | None = None

    @property
    def attempts(self) -> int:
        return sum(self.by_result.values())

    @property
    def dials(self) -> int:
        return self.attempts - self.by_result.get(R.SKIPPED, 0)

    @property
    def connected(self) -> int:
        return self.by_result.get(R.CONNECTED, 0)

    @property
    def abandoned(self) -> int:
        return self.by_result.get(R.ABANDONED, 0)

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.answered_by_person if self.answered_by_person else None


class SeatCounts(NamedTuple):
    seats: dict[AgentId, SeatCount]  # agents with a dial in the range
    unassigned: SeatCount  # dials no agent was attached to (rule 5)


class CampaignFigures(StoreClient):
    """Reads of campaigns' attempts as figures; see the module rules."""

    async def attempt_figures(
        self, campaign: CampaignId, since: Instant | None = None, until: Instant | None = None
    ) -> AttemptFigures:
        """The campaign's attempts started in [since, until), by result and on average."""
        async with self._reading() as connection:
            query = _figures(connection.dialect.name, campaign, since, until)
            found = (await connection.execute(query)).all()
        by_result = dict.fromkeys(R, 0)
        person, rung, ring, connects, connect = 0, 0, 0.0, 0, 0.0
        for result, count, people, answered, ring_sum, connected, connect_sum in found:
            by_result[R(result)] = count
            person, rung, connects = (
                person + int(people or 0),
                rung + answered,
                connects + connected,
            )
            ring, connect = ring + (ring_sum or 0.0), connect + (connect_sum or 0.0)
        return AttemptFigures(
            by_result=by_result,
            answered_by_person=person,
            average_ring_seconds=ring / rung if rung else None,
            average_connect_seconds=connect / connects if connects else None,
        )

    async def abandon_window(
        self, campaign: CampaignId, now: Instant, length: float
    ) -> AbandonWindow:
        """Person-answered and abandoned attempts in the window ending `now` (rule 4)."""
        abandoned = case((A.result == R.ABANDONED.value, 1), else_=0)
        outcome_at = func.coalesce(A.connected_at, A.ended_at)
        query = select(func.count(), func.sum(abandoned)).where(
            A.campaign_id == campaign,
            A.person.is_(True),
            A.ended_at >= utc(now - length),
            outcome_at <= utc(now),
        )
        async with self._reading() as connection:
            answered, abandons = (await connection.execute(query)).one()
        return AbandonWindow(length=length, answered=answered, abandoned=int(abandons or 0))

    async def attempts(
        self,
        campaign: CampaignId,
        *,
        since: Instant | None = None,
        until: Instant | None = None,
        result: AttemptResult | None = None,
        limit: int = 100,
        after: Position | None = None,
    ) -> Page[DialAttempt]:
        """The campaign's attempts started in [since, until), newest first, one page of
        at most `limit` resumed after `after` (rule 7)."""
        where = _started_in(since, until)
        if result is not None:
            where.append(A.result == result.value)
        query = select(ATTEMPTS).where(A.campaign_id == campaign, *where)
        async with self._reading() as connection:
            found = await connection.execute(paged(query, NEWEST_FIRST, after, limit))
            rows = found.mappings().all()
        return page_of(rows, NEWEST_FIRST, limit, campaign_rows.attempt_from)

    async def seat_day(
        self, day_start: Instant, day_end: Instant, campaign: CampaignId | None = None
    ) -> SeatCounts:
        """P16 over attempts started in [day_start, day_end): each agent's dials and
        successes, and those of the dials no agent was attached to (rule 5)."""
        connected = case((A.result == R.CONNECTED.value, 1), else_=0)
        query = select(A.agent_id, func.count(), func.sum(connected)).where(
            A.result != R.SKIPPED.value, *_started_in(day_start, day_end)
        )
        if campaign is not None:
            query = query.where(A.campaign_id == campaign)
        async with self._reading() as connection:
            found = (await connection.execute(query.group_by(A.agent_id))).all()
        seats: dict[AgentId, SeatCount] = {}
        unassigned = NO_CALLS
        for agent, dials, successes in found:
            count = SeatCount(dials=dials, successes=int(successes))
            if agent is None:
                unassigned = count
            else:
                seats[AgentId(agent)] = count
        return SeatCounts(seats, unassigned)

    async def seat_counts(
        self, day_start: Instant, day_end: Instant, campaign: CampaignId | None = None
    ) -> dict[AgentId, SeatCount]:
        """P16 per agent, over attempts started in [day_start, day_end): dials placed for
        or by the agent (preview skips excluded) and those that connected."""
        return (await self.seat_day(day_start, day_end, campaign)).seats


def _started_in(since: Instant | None, until: Instant | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if since is not None:
        where.append(A.started_at >= utc(since))
    if until is not None:
        where.append(A.started_at < utc(until))
    return where


def _double(value: ColumnElement[float] | ColumnElement[int]) -> ColumnElement[float]:
    return cast(value, Double)


def _seconds_between(dialect: str, later: Moment, earlier: Moment) -> ColumnElement[float]:
    """later - earlier in seconds (rule 3: the one date difference, per dialect)."""
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * DAY_SECONDS
    return _double(extract("epoch", later - earlier))


def _figures(
    dialect: str, campaign: CampaignId, since: Instant | None, until: Instant | None
) -> Select[str, int, int, int, float, int, float]:
    person = case((A.person.is_(True), 1), else_=0)
    ring = case((A.answered_at.is_not(None), A.ring_seconds))  # NULL: nobody answered
    connect = _seconds_between(dialect, A.connected_at, A.answered_at)  # NULL: not connected
    return (
        select(
            A.result,
            func.count(),
            func.sum(person),
            func.count(ring),
            _double(func.sum(ring)),
            func.count(connect),
            _double(func.sum(connect)),
        )
        .where(A.campaign_id == campaign, *_started_in(since, until))
        .group_by(A.result)
    )
