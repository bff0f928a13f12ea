"""SqlHistory: the HistorySink that writes queue visits to the SQL database.

Rule 1: one call is one transaction; a batch is committed whole or not at all.
Rule 2: a visit already stored (same channel, queue and entry instant) is skipped by the
database itself (INSERT ... ON CONFLICT DO NOTHING), so a retry or replay never duplicates.
Rule 3: every database await is bounded by a timeout; failures propagate to the caller
(BatchingHistory spools them), except in is_reachable, which only answers True or False.
The write timeout is a last resort, longer than the drivers' own (SQLite busy timeout,
asyncpg command_timeout), because cancelling a statement midway can strand its connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final, Protocol

from sqlalchemy import Insert, RowMapping, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from cti.domain.ids import CallId, ChannelId, Instant, QueueId
from cti.domain.records import QueueVisit, VisitOutcome
from cti.storage.models import QueueVisitRow

logger = logging.getLogger(__name__)

VISIT_KEY: Final = ("channel_id", "queue", "entered_at")
PING_TIMEOUT: Final = 2.0


class UnsupportedDatabase(ValueError):
    """The URL names a database this module cannot write idempotently."""


class EngineSource(Protocol):
    """Hands out the engine, or raises once the database has been closed."""

    @property
    def engine(self) -> AsyncEngine: ...


def to_row(visit: QueueVisit, recorded_at: datetime) -> dict[str, object]:
    """The column values for one visit."""
    return {
        "call_id": visit.call,
        "channel_id": visit.channel,
        "queue": visit.queue,
        "caller": visit.caller,
        "priority": visit.priority,
        "entered_at": datetime.fromtimestamp(visit.entered_at, tz=UTC),
        "left_at": datetime.fromtimestamp(visit.left_at, tz=UTC),
        "wait_seconds": visit.wait_seconds,
        "outcome": visit.outcome.value,
        "recorded_at": recorded_at,
    }


def from_row(row: RowMapping) -> QueueVisit:
    """The visit a stored row describes."""
    entered_at, left_at, priority = row["entered_at"], row["left_at"], row["priority"]
    if not (
        isinstance(entered_at, datetime)
        and isinstance(left_at, datetime)
        and isinstance(priority, int)
    ):
        raise TypeError(f"queue_visits row with unexpected types: {dict(row)!r}")
    return QueueVisit(
        call=CallId(str(row["call_id"])),
        channel=ChannelId(str(row["channel_id"])),
        queue=QueueId(str(row["queue"])),
        caller=str(row["caller"]),
        priority=priority,
        entered_at=Instant(entered_at.timestamp()),
        left_at=Instant(left_at.timestamp()),
        outcome=VisitOutcome(str(row["outcome"])),
    )


def insert_ignoring_duplicates(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT (visit key) DO NOTHING, in the given dialect."""
    if dialect == "postgresql":
        return postgresql.insert(QueueVisitRow).on_conflict_do_nothing(index_elements=VISIT_KEY)
    if dialect == "sqlite":
        return sqlite.insert(QueueVisitRow).on_conflict_do_nothing(index_elements=VISIT_KEY)
    raise UnsupportedDatabase(f"history needs sqlite or postgresql, but got {dialect!r}")


class SqlHistory:
    """Writes batches of queue visits, each in one transaction, skipping ones already stored."""

    def __init__(self, source: EngineSource, *, timeout: float = 10.0) -> None:
        self._source = source
        self._timeout = timeout

    async def record_queue_visits(self, visits: Sequence[QueueVisit]) -> None:
        if not visits:
            return
        engine = self._source.engine
        statement = insert_ignoring_duplicates(engine.dialect.name)
        now = datetime.now(UTC)
        rows = [to_row(visit, now) for visit in visits]
        async with asyncio.timeout(self._timeout), engine.begin() as connection:
            await connection.execute(statement, rows)

    async def is_reachable(self) -> bool:
        try:
            async with asyncio.timeout(PING_TIMEOUT), self._source.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            logger.debug("database not reachable: %r", exc)
            return False
        return True
