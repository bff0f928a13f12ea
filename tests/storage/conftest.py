"""Fixtures for storage tests: a real PostgreSQL server for the session, SQLite per test.

The server is initdb'd into a temporary directory and started with pg_ctl on a free
loopback port (as the `postgres` user when running as root, since PostgreSQL refuses root).
If it cannot be started, PostgreSQL tests fail with the reason; they never skip.
Each test gets a fresh database, so migrations always start from nothing: `database_url`
names it, `database` opens it, and `history_at` builds it at an older revision instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import Connection, inspect, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from cti.domain.effects import Record
from cti.storage import history
from cti.storage.database import Database, migrate, open_database
from cti.storage.history import SqlHistory
from tests.postgres import PostgresServer, postgres_server

__all__ = ["postgres_server"]  # the fixture, used by name


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of the session's PostgreSQL database (created at start)."""
    return postgres_server.url()


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A URL to a database created empty for this test and dropped after it."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty database: an SQLite file under tmp_path, or a fresh PostgreSQL one."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'db' / 'history.sqlite3'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The empty database of database_url, opened (so migrated to the newest revision)."""
    database = await open_database(database_url)
    yield database
    await database.close()


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def history_at(url: str, revision: str, records: Sequence[Record]) -> set[str]:
    """Migrates the empty database at `url` to `revision` only, records history there as a
    server of that revision did, and returns the tables it has then."""
    path = make_url(url).database
    if url.startswith("sqlite") and path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    old = create_async_engine(url)

    class Source:
        engine = old

    try:
        async with old.begin() as connection:
            await connection.run_sync(migrate, revision)
            before = await connection.run_sync(tables)
            known = await connection.run_sync(columns)
        # A server of that revision wrote only the columns its tables had then.
        current = history.table_rows

        def as_then(records: Sequence[Record], recorded_at: datetime) -> Any:
            found = current(records, recorded_at)
            return {
                table: [
                    {k: v for k, v in row.items() if k in known[table.model.__tablename__]}
                    for row in written
                ]
                for table, written in found.items()
            }

        with mock.patch.object(history, "table_rows", as_then):
            await SqlHistory(Source()).record(records)
    finally:
        await old.dispose()
    return before


def columns(connection: Connection) -> dict[str, set[str]]:
    found = inspect(connection)
    return {
        table: {c["name"] for c in found.get_columns(table)} for table in found.get_table_names()
    }
