"""open_database, migrations and SqlHistory against real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from cti.domain.recording import Recording
from cti.domain.records import Presence
from cti.storage.database import (
    Database,
    DatabaseClosed,
    DatabaseUnavailable,
    open_database,
)
from cti.storage.models import QueueVisitRow
from tests.storage.conftest import PostgresServer, history_at, tables
from tests.storage.samples import (
    HEAD,
    make_finding,
    make_presence,
    make_visit,
    make_visits,
    one_of_each,
)


async def _revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()


async def test_migrations_apply_to_a_fresh_database_and_again_to_a_migrated_one(
    database_url: str,
) -> None:
    first = await open_database(database_url)
    await first.history().record([make_visit(1)])
    await first.close()

    second = await open_database(database_url)

    assert await _revision(second) == HEAD
    assert await second.queue_visits() == [make_visit(1)]
    await second.close()


async def test_visits_round_trip_with_exact_instants_and_wait(database_url: str) -> None:
    database = await open_database(database_url)
    visits = make_visits(20)

    await database.history().record(visits)

    stored = await database.queue_visits()
    assert stored == visits
    assert [v.wait_seconds for v in stored] == [v.wait_seconds for v in visits]
    async with database.engine.connect() as connection:
        row = (await connection.execute(text("SELECT wait_seconds FROM queue_visits"))).first()
    assert row is not None and row[0] == visits[0].wait_seconds
    await database.close()


async def test_timestamps_are_aware_utc_with_microseconds(database_url: str) -> None:
    database = await open_database(database_url)
    await database.history().record([make_visit(0)])

    async with database.engine.connect() as connection:
        query = QueueVisitRow.__table__.select()
        row = (await connection.execute(query)).mappings().one()

    assert row["entered_at"] == datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=UTC)
    assert row["left_at"].microsecond == 777777
    assert row["recorded_at"].tzinfo is not None
    await database.close()


async def test_the_same_visit_recorded_twice_is_stored_once(database_url: str) -> None:
    database = await open_database(database_url)
    history = database.history()

    await history.record([make_visit(1), make_visit(1), make_visit(2)])
    await history.record(make_visits(3))

    assert await database.queue_visits() == make_visits(3)
    await database.close()


async def test_visits_are_read_per_queue_oldest_first(database_url: str) -> None:
    database = await open_database(database_url)
    sales, support = make_visits(3, queue="sales"), make_visits(2, start=10, queue="support")
    await database.history().record([*reversed(sales), *support])

    assert await database.queue_visits(queue="sales") == sales
    assert await database.queue_visits(queue="support") == support
    assert await database.queue_visits(queue="nobody") == []
    await database.close()


async def test_a_closed_database_is_unreachable_and_refuses_writes(database_url: str) -> None:
    database = await open_database(database_url)
    history = database.history()
    assert await database.is_reachable()
    assert await history.is_reachable()

    await database.close()

    assert not await database.is_reachable()
    assert not await history.is_reachable()
    with pytest.raises(DatabaseClosed):
        await history.record([make_visit(1)])


async def test_sqlite_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "history.sqlite3"

    database = await open_database(f"sqlite+aiosqlite:///{path}")

    assert path.exists()
    async with database.engine.connect() as connection:
        mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
    assert mode == "wal"
    await database.close()


async def test_an_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="sqlite or postgresql"):
        await open_database("mysql+aiomysql://user@127.0.0.1/cti")


@pytest.mark.postgres
async def test_postgres_reachability_follows_the_server(
    postgres_server: PostgresServer, fresh_postgres_url: str
) -> None:
    database = await open_database(fresh_postgres_url)
    assert await database.is_reachable()

    await asyncio.to_thread(postgres_server.stop)
    try:
        assert not await database.is_reachable()
        with pytest.raises(DatabaseUnavailable):
            await open_database(fresh_postgres_url, timeout=2.0)
    finally:
        await asyncio.to_thread(postgres_server.start)

    assert await database.is_reachable()
    await database.history().record([make_visit(1)])
    assert await database.queue_visits() == [make_visit(1)]
    await database.close()


async def test_a_database_at_the_first_revision_keeps_its_visits_through_the_upgrade(
    database_url: str,
) -> None:
    await history_at(database_url, "0001", make_visits(3))

    database = await open_database(database_url)

    assert await _revision(database) == HEAD
    assert await database.queue_visits() == make_visits(3)
    await database.close()


async def test_a_database_at_revision_0002_gains_the_presence_table_and_keeps_its_history(
    database_url: str,
) -> None:
    history = [r for r in one_of_each(1) if not isinstance(r, Presence | Recording)]
    before = await history_at(database_url, "0002", history)

    database = await open_database(database_url)

    assert await _revision(database) == HEAD
    async with database.engine.connect() as connection:
        added = await connection.run_sync(tables) - before
    assert added == {
        "agent_presence",
        "campaigns",
        "contacts",
        "dial_attempts",
        "do_not_call",
        "database_identity",
        "supervisors",
        "monitoring_sessions",
        "queue_notices",
        "recordings",
        "schedule_activities",
        "rule_overrides",
        "finding_acks",
        "handover_notes",
        "qa_evaluations",
    }
    assert await database.queries().presence() == []
    assert (await database.queries().findings()).items == [make_finding(1)]
    await database.history().record([make_presence(2)])
    assert await database.queries().presence() == [make_presence(2)]
    await database.close()
