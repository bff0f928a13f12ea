"""RecordingStore: the index of call recordings (issue 16, P11, P22).

Rule 1: a recording's row is written by history (a Recording record, keyed by its file);
this store reads it and marks it deleted, nothing else.
Rule 2: listings are oldest first by the agent's answer, paged (cti/storage/page.py);
every filter left out filters nothing.
Rule 3: retention marks a row deleted (`deleted_at`) once its file is gone; the row stays,
so the call still says it was recorded and when the file went.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict, Unpack

from sqlalchemy import RowMapping, select, update

from cti.domain.ids import AgentId, CallId, Instant, QueueId
from cti.domain.recording import Recording
from cti.storage.client import StoreClient
from cti.storage.models import RecordingRow
from cti.storage.page import Order, Page, Position, page_of, paged
from cti.storage.rows import in_range, instant, opt_instant, utc, value

RECORDINGS = RecordingRow.__table__
RECORDING_ORDER = Order(time=RECORDINGS.c.started_at, id=RECORDINGS.c.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingEntry:
    """A stored recording, its id, and when retention deleted its file, if it did."""

    id: int
    recording: Recording
    deleted_at: Instant | None = None


class RecordingQuery(TypedDict, total=False):
    """The filters of a recordings listing (rule 2)."""

    call: CallId | None
    agent: AgentId | None
    queue: QueueId | None
    since: Instant | None
    until: Instant | None
    limit: int  # 1000 when left out
    after: Position | None


class RecordingStore(StoreClient):
    async def entries(self, **query: Unpack[RecordingQuery]) -> Page[RecordingEntry]:
        """Rule 2: recordings whose answer is in [since, until), matching every filter."""
        where = in_range(RECORDINGS.c.started_at, query.get("since"), query.get("until"))
        for column, wanted in (
            (RECORDINGS.c.call_id, query.get("call")),
            (RECORDINGS.c.agent_id, query.get("agent")),
            (RECORDINGS.c.queue, query.get("queue")),
        ):
            if wanted is not None:
                where.append(column == wanted)
        limit = query.get("limit", 1000)
        listed = paged(
            RECORDINGS.select().where(*where), RECORDING_ORDER, query.get("after"), limit
        )
        async with self._reading() as connection:
            found = (await connection.execute(listed)).mappings().all()
        return page_of(found, RECORDING_ORDER, limit, _entry)

    async def entry(self, recording_id: int) -> RecordingEntry | None:
        query = RECORDINGS.select().where(RECORDINGS.c.id == recording_id)
        async with self._reading() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else _entry(row)

    async def expired(self, before: Instant, limit: int) -> list[RecordingEntry]:
        """Rule 3: up to `limit` recordings answered before `before` and not yet deleted,
        oldest first."""
        query = (
            select(RECORDINGS)
            .where(RECORDINGS.c.started_at < utc(before), RECORDINGS.c.deleted_at.is_(None))
            .order_by(RECORDINGS.c.started_at, RECORDINGS.c.id)
            .limit(limit)
        )
        async with self._reading() as connection:
            return [_entry(row) for row in (await connection.execute(query)).mappings()]

    async def known(self, files: Sequence[str]) -> set[str]:
        """Which of these files a recording names."""
        if not files:
            return set()
        query = select(RECORDINGS.c.file).where(RECORDINGS.c.file.in_(list(files)))
        async with self._reading() as connection:
            return {value(row, "file", str) for row in (await connection.execute(query)).mappings()}

    async def mark_deleted(self, ids: Sequence[int], at: Instant) -> None:
        """Rule 3: these recordings' files are gone as of `at`."""
        if not ids:
            return
        change = (
            update(RecordingRow)
            .where(RecordingRow.id.in_(list(ids)), RecordingRow.deleted_at.is_(None))
            .values(deleted_at=utc(at))
        )
        async with self._writing() as connection:
            await connection.execute(change)


def _entry(row: RowMapping) -> RecordingEntry:
    return RecordingEntry(
        id=value(row, "id", int),
        recording=Recording(
            file=value(row, "file", str),
            call=CallId(value(row, "call_id", str)),
            agent=AgentId(value(row, "agent_id", str)),
            queue=QueueId(value(row, "queue", str)),
            started_at=instant(row, "started_at"),
        ),
        deleted_at=opt_instant(row, "deleted_at"),
    )
