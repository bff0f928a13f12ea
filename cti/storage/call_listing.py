"""Stored call records listed by filters, a page at a time (issue 12; P22, P26).

Rule 1: calls are listed oldest first by the instant the caller first entered a queue,
then by the table's id (insertion order) for calls that entered at the same instant
(cti.storage.page rule 1: a keyset, never an offset). A call is stored when it ends, so a
call still in progress is on no page yet; a range that ended before the longest call
pages completely.
Rule 2: a call belongs to a range [since, until) by the instant it first entered a queue.
Rule 3: `queue` keeps the calls that visited the queue: the one first entered, or one
moved or transferred to (a queue segment of the record).
Rule 4: `agent` keeps the calls the agent took part in: offered (an offer to it) or
talked, held or wrapped up (a segment credited to it), as cti.api.views.took_part says of
one call.
Rule 5: `outcome` is the record's (cti.domain.records rule 4), from the stored flags.
Rule 6: every call comes whole, with its segments in order (one more query per page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, RowMapping, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from cti.domain.ids import AgentId, Instant, QueueId
from cti.domain.records import CallOutcome, CallRecord, Segment, SegmentKind
from cti.storage import rows
from cti.storage.models import CallRecordRow, CallSegmentRow, OfferRow
from cti.storage.page import Order, Page, Position, page_of, paged

CALLS = CallRecordRow.__table__
SEGMENTS = CallSegmentRow.__table__
OFFERS = OfferRow.__table__
CALL_ORDER = Order(time=CALLS.c.entered_at, id=CALLS.c.id)  # rule 1


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFilter:
    """What a listing keeps (rules 2-5); None keeps everything."""

    queue: QueueId | None = None
    agent: AgentId | None = None
    outcome: CallOutcome | None = None
    since: Instant | None = None
    until: Instant | None = None

    def where(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.since is not None:
            where.append(CALLS.c.entered_at >= rows.utc(self.since))
        if self.until is not None:
            where.append(CALLS.c.entered_at < rows.utc(self.until))
        if self.queue is not None:
            where.append(_visited(self.queue))
        if self.agent is not None:
            where.append(_took_part(self.agent))
        if self.outcome is not None:
            where.append(_outcome(self.outcome))
        return where


async def call_page(
    connection: AsyncConnection, filters: CallFilter, limit: int, after: Position | None
) -> Page[CallRecord]:
    """One page of the calls `filters` keeps (rules 1 and 6)."""
    query = paged(CALLS.select().where(*filters.where()), CALL_ORDER, after, limit)
    page = page_of((await connection.execute(query)).mappings().all(), CALL_ORDER, limit, _row)
    segments = await _segments(connection, [rows.value(row, "call_id", str) for row in page.items])
    calls = [rows.call_from(row, segments.get(row["call_id"], ())) for row in page.items]
    return Page(calls, page.after)


def _row(row: RowMapping) -> RowMapping:
    return row


def _visited(queue: QueueId) -> ColumnElement[bool]:
    s = SEGMENTS.c
    moved_there = exists().where(
        s.call_id == CALLS.c.call_id, s.kind == SegmentKind.QUEUE.value, s.queue == queue
    )
    return or_(CALLS.c.queue == queue, moved_there)


def _took_part(agent: AgentId) -> ColumnElement[bool]:
    s, o = SEGMENTS.c, OFFERS.c
    credited = exists().where(s.call_id == CALLS.c.call_id, s.agent_id == agent)
    offered = exists().where(o.call_id == CALLS.c.call_id, o.agent_id == agent)
    return or_(credited, offered)


def _outcome(outcome: CallOutcome) -> ColumnElement[bool]:
    answered, abandoned = CALLS.c.answered, CALLS.c.abandoned
    match outcome:
        case CallOutcome.ANSWERED:
            return answered == true()
        case CallOutcome.ABANDONED:
            return and_(answered == false(), abandoned == true())
        case CallOutcome.UNANSWERED:
            return and_(answered == false(), abandoned == false())


async def _segments(
    connection: AsyncConnection, calls: Sequence[str]
) -> dict[str, tuple[Segment, ...]]:
    if not calls:
        return {}
    query = (
        select(SEGMENTS)
        .where(SEGMENTS.c.call_id.in_(calls))
        .order_by(SEGMENTS.c.call_id, SEGMENTS.c.ordinal)
    )
    found: dict[str, list[Segment]] = {}
    for row in (await connection.execute(query)).mappings():
        found.setdefault(rows.value(row, "call_id", str), []).append(rows.segment_from(row))
    return {call: tuple(segments) for call, segments in found.items()}
