"""SqlHistory: the HistorySink that writes every kind of history record to SQL.

Rule 1: one call is one transaction; a batch, however mixed, is committed whole or not at all.
Rule 2: each record goes to its table with INSERT ... ON CONFLICT (its natural key) DO
NOTHING, so a retry or replay never duplicates (keys: cti.domain.records, models).
Rule 3: Presence is not insert-once: an agent's stored presence (agent_presence) is replaced
by a newer one, never by an older one (`at`; equal `at`: the new one wins), since a spool
replay may bring back a presence already superseded. A logout is stored too, as a row
without a device (rows.LOGGED_OUT), so that an older login replayed after it finds a newer
row and changes nothing; a deleted row could not have told it. Within a
batch the same holds (the latest `at`, then the last one), so the outcome never depends on
how records were cut into batches.
Rule 4: a call record's segments are written only when its call row was (RETURNING tells
which were), so a call already stored keeps exactly the segments it was stored with.
Rule 5: every database await is bounded by a timeout; failures propagate to the caller
(BatchingHistory spools them), except in is_reachable, which only answers True or False.
The write timeout is a last resort, longer than the drivers' own (SQLite busy timeout,
asyncpg command_timeout), because cancelling a statement midway can strand its connection.
Rule 6: the dialer's records (attempts with their contacts, contacts handed back,
campaigns finished: cti/storage/outbound_writes.py) are written in the same transaction,
one by one in the order they came, after the other tables.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, assert_never

from sqlalchemy import Insert, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import DeclarativeBase

from cti.domain.effects import Record
from cti.domain.outbound.outbound_records import CampaignFinish, ContactsRelease, EndedAttempt
from cti.domain.recording import Recording
from cti.domain.records import (
    CallRecord,
    Finding,
    LoginSession,
    MonitoringSession,
    OfferRecord,
    Presence,
    QueueVisit,
    StateInterval,
)
from cti.storage import rows
from cti.storage.client import StoreClient
from cti.storage.dialect import dialect_insert
from cti.storage.models import (
    AgentPresenceRow,
    CallRecordRow,
    CallSegmentRow,
    FindingRow,
    LoginSessionRow,
    MonitoringSessionRow,
    OfferRow,
    QueueVisitRow,
    RecordingRow,
    StateIntervalRow,
)
from cti.storage.outbound_writes import write_outbound

logger = logging.getLogger(__name__)

PING_TIMEOUT: Final = 2.0
OUTBOUND: Final = (EndedAttempt, ContactsRelease, CampaignFinish)


@dataclass(frozen=True, slots=True)
class _Table:
    model: type[DeclarativeBase]
    key: tuple[str, ...]


# Insertion order: parents before children (call_segments references call_records).
VISITS: Final = _Table(QueueVisitRow, ("channel_id", "queue", "entered_at"))
OFFERS: Final = _Table(OfferRow, ("call_id", "agent_id", "offered_at"))
CALLS: Final = _Table(CallRecordRow, ("call_id",))
SEGMENTS: Final = _Table(CallSegmentRow, ("call_id", "ordinal"))
INTERVALS: Final = _Table(StateIntervalRow, ("agent_id", "started_at"))
SESSIONS: Final = _Table(LoginSessionRow, ("agent_id", "started_at"))
FINDINGS: Final = _Table(FindingRow, ("rule", "agent_id", "at"))
MONITORING: Final = _Table(MonitoringSessionRow, ("supervisor", "started_at"))
RECORDINGS: Final = _Table(RecordingRow, ("file",))
PRESENCE: Final = _Table(AgentPresenceRow, ("agent_id",))  # replaced, not insert-once
TABLES: Final = (
    VISITS,
    OFFERS,
    CALLS,
    SEGMENTS,
    INTERVALS,
    SESSIONS,
    FINDINGS,
    MONITORING,
    RECORDINGS,
    PRESENCE,
)


def insert_ignoring_duplicates(table: _Table, dialect: str) -> Insert:
    """INSERT ... ON CONFLICT (the table's natural key) DO NOTHING, in the given dialect."""
    return dialect_insert(table.model, dialect).on_conflict_do_nothing(index_elements=table.key)


# Presence (logouts included) is written with a guarded upsert rather than with
# delete-then-insert: on PostgreSQL, ON CONFLICT DO UPDATE decides insert-or-update
# atomically, so a late write of an older batch racing a newer one (spool.BatchingHistory
# leaves timed-out writes running) waits for the row and then finds the WHERE false; two
# separate statements could interleave and let the older presence win. SQLite (3.24+) has
# the same syntax and serialises writers anyway. The database checks the guard on `at` as
# it writes (SQLite's fixed-width UTC text sorts like the instants); nothing is read first.
def upsert_unless_newer(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT (agent_id) DO UPDATE every column WHERE stored at <= new at."""
    insert = dialect_insert(PRESENCE.model, dialect)
    columns = AgentPresenceRow.__table__.columns
    changed = {c.name: insert.excluded[c.name] for c in columns if c.name not in PRESENCE.key}
    return insert.on_conflict_do_update(
        index_elements=PRESENCE.key,
        set_=changed,
        where=AgentPresenceRow.at <= insert.excluded.at,
    )


def table_rows(records: Sequence[Record], recorded_at: datetime) -> dict[_Table, list[rows.Row]]:
    """The rows each table receives for these records, tables in insertion order (the
    dialer's records are written one by one, in order: `_write_all`)."""
    out: dict[_Table, list[rows.Row]] = {table: [] for table in TABLES}
    presences: dict[str, Presence] = {}  # by agent: the latest, as across batches
    for record in records:
        match record:
            case QueueVisit():
                out[VISITS].append(rows.visit_row(record, recorded_at))
            case OfferRecord():
                out[OFFERS].append(rows.offer_row(record, recorded_at))
            case CallRecord():
                out[CALLS].append(rows.call_row(record, recorded_at))
                out[SEGMENTS].extend(rows.segment_rows(record))
            case StateInterval():
                out[INTERVALS].append(rows.interval_row(record, recorded_at))
            case LoginSession():
                out[SESSIONS].append(rows.session_row(record, recorded_at))
            case Finding():
                out[FINDINGS].append(rows.finding_row(record, recorded_at))
            case MonitoringSession():
                out[MONITORING].append(rows.monitoring_row(record, recorded_at))
            case Recording():
                out[RECORDINGS].append(rows.recording_row(record, recorded_at))
            case Presence():
                kept = presences.get(record.agent)
                if kept is None or kept.at <= record.at:
                    presences[record.agent] = record
            case EndedAttempt() | ContactsRelease() | CampaignFinish():
                pass
            case _:
                assert_never(record)
    # One row per agent: a multi-row upsert must not touch a row twice (PostgreSQL refuses).
    out[PRESENCE] = [rows.presence_row(p, recorded_at) for p in presences.values()]
    return out


class SqlHistory(StoreClient):
    """Writes batches of records, each batch in one transaction, skipping ones already stored."""

    async def record(self, records: Sequence[Record]) -> None:
        if not records:
            return
        engine = self._source.engine
        now = self._now()
        batches = table_rows(records, now)
        outbound = [
            r for r in records if isinstance(r, EndedAttempt | ContactsRelease | CampaignFinish)
        ]
        async with asyncio.timeout(self._timeout), engine.begin() as connection:
            await _insert_all(connection, batches)
            for record in outbound:  # rule 6: in the order they came
                await write_outbound(connection, record, now)

    async def is_reachable(self) -> bool:
        try:
            async with asyncio.timeout(PING_TIMEOUT), self._source.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            logger.debug("database not reachable: %r", exc)
            return False
        return True


async def _insert_all(connection: AsyncConnection, batches: dict[_Table, list[rows.Row]]) -> None:
    dialect = connection.dialect.name
    for table, batch in batches.items():
        if table is CALLS and batch:
            stored = await _insert_calls(connection, batch, dialect)
            # SEGMENTS comes after CALLS: keep the segments of calls stored just now.
            batches[SEGMENTS] = [row for row in batches[SEGMENTS] if row["call_id"] in stored]
        elif table is PRESENCE and batch:
            await _store_presences(connection, batch, dialect)
        elif batch:
            await connection.execute(insert_ignoring_duplicates(table, dialect), batch)


async def _insert_calls(
    connection: AsyncConnection, batch: list[rows.Row], dialect: str
) -> set[str]:
    """Inserts call rows; the ids of those that were new (not skipped as duplicates)."""
    statement = insert_ignoring_duplicates(CALLS, dialect).returning(CallRecordRow.call_id)
    result = await connection.execute(statement, batch)
    return set(result.scalars().all())


async def _store_presences(
    connection: AsyncConnection, batch: list[rows.Row], dialect: str
) -> None:
    """Replaces each agent's stored presence, unless the stored one is newer (rule 3)."""
    await connection.execute(upsert_unless_newer(dialect), batch)
