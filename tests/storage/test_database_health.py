"""Database.health and the SQLite file guard against real SQLite and PostgreSQL: a locked
file or a read-only server is not writable, a file moved away or replaced is reported and
no commit goes into it, and a storm of probes is one probe."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from cti.storage.database import Database, open_database
from cti.storage.health import PROBE_TIMEOUT, DatabaseHealth, HealthProbe
from cti.storage.sqlite_file import DatabaseMoved, FileState
from tests.faults import exclusive_lock
from tests.storage.conftest import PostgresServer
from tests.storage.samples import make_visit
from tests.waiting import eventually

HEALTHY_FILE = DatabaseHealth(reachable=True, writable=True, file=FileState.SAME, reason=None)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def healthy(database: Database) -> DatabaseHealth | None:
    found = await database.health()
    return found if found.ok else None


async def test_a_fresh_database_is_reachable_and_writable(database_url: str, backend: str) -> None:
    database = await open_database(database_url)

    found = await database.health()

    file = FileState.SAME if backend == "sqlite" else None
    assert found == DatabaseHealth(reachable=True, writable=True, file=file, reason=None)
    await database.close()
    assert not (await database.health()).reachable


async def test_a_locked_sqlite_file_is_reachable_not_writable_and_soon_writable_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cti.db"
    database = await open_database(sqlite_url(path))
    loop = asyncio.get_running_loop()

    with exclusive_lock(path):
        began = loop.time()
        found = await database.health()
        took = loop.time() - began

    assert (found.reachable, found.writable, found.file) == (True, False, FileState.SAME)
    assert found.reason == "not writable: OperationalError: database is locked"
    assert took < PROBE_TIMEOUT  # the probe's own short wait, not the server's 3 s
    assert await eventually(lambda: healthy(database), within=5) == HEALTHY_FILE
    await database.close()


async def test_a_sqlite_file_moved_away_is_reported_and_no_commit_goes_into_it(
    tmp_path: Path,
) -> None:
    path, away = tmp_path / "cti.db", tmp_path / "elsewhere.db"
    database = await open_database(sqlite_url(path))
    await database.history().record([make_visit(1)])

    path.rename(away)
    found = await database.health()
    with pytest.raises(DatabaseMoved):
        await database.history().record([make_visit(2)])

    assert (found.reachable, found.writable, found.file) == (False, False, FileState.MOVED)
    assert found.reason == "no file at the database's path: it was moved away or deleted"
    assert not path.exists()  # no connection made an empty database in its place
    away.rename(path)
    assert await eventually(lambda: healthy(database), within=5) == HEALTHY_FILE
    assert await database.queue_visits() == [make_visit(1)]  # the refused write is not there
    await database.history().record([make_visit(2)])
    assert await database.queue_visits() == [make_visit(1), make_visit(2)]
    await database.close()


async def test_a_sqlite_file_replaced_by_another_is_reported_and_refuses_commits(
    tmp_path: Path,
) -> None:
    path, other = tmp_path / "cti.db", tmp_path / "other.db"
    database = await open_database(sqlite_url(path))
    await (await open_database(sqlite_url(other))).close()

    os.replace(other, path)
    found = await database.health()

    assert (found.reachable, found.writable, found.file) == (False, False, FileState.REPLACED)
    assert found.reason == "another file at the database's path: the one open was replaced"
    with pytest.raises(DatabaseMoved):
        await database.history().record([make_visit(1)])
    await database.close()


async def test_a_storm_of_probes_is_one_probe_and_a_result_is_kept_a_second(
    tmp_path: Path,
) -> None:
    database = await open_database(sqlite_url(tmp_path / "cti.db"))
    now = [100.0]
    probe = HealthProbe(database.engine, None, owns_engine=False, clock=lambda: now[0])

    storm = await asyncio.gather(*(probe.health() for _ in range(50)))
    now[0] += 0.9
    kept = await probe.health()
    now[0] += 0.2
    again = await probe.health()

    assert {found.ok for found in storm} == {True} and kept is storm[0]
    assert again.ok and probe.probes == 2
    await probe.close()
    await database.close()


async def _set_read_only(url: str, on: bool) -> None:
    name = make_url(url).database
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            value = "on" if on else "off"
            await connection.execute(text("SET default_transaction_read_only = off"))
            await connection.execute(
                text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {value}')
            )
    finally:
        await admin.dispose()


@pytest.mark.postgres
async def test_a_read_only_postgres_is_reachable_but_not_writable(fresh_postgres_url: str) -> None:
    database = await open_database(fresh_postgres_url)

    await _set_read_only(fresh_postgres_url, True)

    async def read_only() -> DatabaseHealth | None:
        found = await database.health()
        return None if found.writable else found

    found = await eventually(read_only, within=5)
    assert (found.reachable, found.file) == (True, None)
    assert found.reason is not None and "read-only transaction" in found.reason
    await _set_read_only(fresh_postgres_url, False)
    assert (await eventually(lambda: healthy(database), within=5)).file is None
    await database.close()


@pytest.mark.postgres
async def test_a_held_postgres_lock_is_not_writable_within_the_probes_wait(
    fresh_postgres_url: str,
) -> None:
    database = await open_database(fresh_postgres_url)
    holder = create_async_engine(fresh_postgres_url)
    loop = asyncio.get_running_loop()
    try:
        async with holder.begin() as connection:
            await connection.execute(text("LOCK TABLE database_identity IN EXCLUSIVE MODE"))
            began = loop.time()
            found = await database.health()
            took = loop.time() - began
    finally:
        await holder.dispose()

    assert (found.reachable, found.writable) == (True, False)
    assert found.reason is not None and "lock timeout" in found.reason
    assert took < PROBE_TIMEOUT
    assert await eventually(lambda: healthy(database), within=5)
    await database.close()


@pytest.mark.postgres
async def test_a_stopped_postgres_is_not_reachable(
    postgres_server: PostgresServer, fresh_postgres_url: str
) -> None:
    database = await open_database(fresh_postgres_url)
    await database.health()

    await asyncio.to_thread(postgres_server.stop)
    try:
        down = await eventually(
            lambda: _unreachable(database), within=PROBE_TIMEOUT + 3, what="probe: down"
        )
    finally:
        await asyncio.to_thread(postgres_server.start)

    assert (down.writable, down.file) == (False, None)
    assert down.reason is not None and down.reason.startswith("not reachable: ")
    assert await eventually(lambda: healthy(database), within=10)
    await database.close()


async def _unreachable(database: Database) -> DatabaseHealth | None:
    found = await database.health()
    return None if found.reachable else found
