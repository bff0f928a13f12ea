"""Opening the database (history and configuration): engine, migrations, health, reads.

Rule 1: open_database() migrates to head before it returns, so a Database is always current.
Rule 2: nothing here blocks the event loop: migrations run inside AsyncConnection.run_sync
(in a greenlet on the async driver) and directories are created in a thread.
Rule 3: every await that may touch the network is bounded by a timeout.
Rule 4: a closed Database refuses work (DatabaseClosed) and is never reachable.
Rule 5: SQLite runs in WAL mode with a busy timeout, so readers never block the writer.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from cti.domain.ids import QueueId
from cti.domain.records import QueueVisit
from cti.storage.dialect import UnsupportedDatabase
from cti.storage.history import SqlHistory
from cti.storage.queries import HistoryQueries

logger = logging.getLogger(__name__)

MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"
# Below BatchingHistory's 5 s write timeout: on a locked file the driver gives up first, so
# SQLite writes end on their own and are never cancelled midway (see spool._bounded).
SQLITE_BUSY_TIMEOUT: Final = 3.0


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened or migrated in time."""


class DatabaseClosed(RuntimeError):
    """The Database was closed; open a new one."""


class Database:
    """An open, migrated database."""

    def __init__(self, engine: AsyncEngine, *, timeout: float) -> None:
        self._engine: AsyncEngine | None = engine
        self._timeout = timeout

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise DatabaseClosed("the history database is closed")
        return self._engine

    @property
    def timeout(self) -> float:
        """The bound on each database operation, in seconds."""
        return self._timeout

    def history(self) -> SqlHistory:
        """The HistorySink writing to this database."""
        return SqlHistory(self, timeout=self._timeout)

    def queries(self) -> HistoryQueries:
        """Reads over stored history."""
        return HistoryQueries(self, timeout=self._timeout)

    async def is_reachable(self) -> bool:
        """True when SELECT 1 succeeds within 2 s; False on any failure or once closed."""
        return self._engine is not None and await self.history().is_reachable()

    async def queue_visits(self, *, queue: str | None = None) -> list[QueueVisit]:
        """Stored visits, optionally of one queue, oldest entry first."""
        return await self.queries().queue_visits(queue=None if queue is None else QueueId(queue))

    async def close(self) -> None:
        """Closes pooled connections; the Database cannot be used afterwards."""
        engine, self._engine = self._engine, None
        if engine is None:
            return
        try:
            async with asyncio.timeout(self._timeout):
                await engine.dispose()
        except TimeoutError:
            logger.warning("closing the history database timed out after %.1f s", self._timeout)


# The keyword is the caller's budget for connecting and migrating, as the API promises.
async def open_database(url: str, *, timeout: float = 10.0) -> Database:  # noqa: ASYNC109
    """Connects, applies migrations up to head and returns the open Database."""
    parsed = make_url(url)
    where = parsed.render_as_string(hide_password=True)
    try:
        engine = await _create_engine(parsed, timeout)
    except OSError as exc:  # the SQLite file's directory cannot be created
        raise DatabaseUnavailable(f"could not open history database {where}: {exc!r}") from exc
    try:
        async with asyncio.timeout(timeout), engine.begin() as connection:
            await connection.run_sync(migrate)
    except Exception as exc:
        await _dispose_quietly(engine, timeout)
        raise DatabaseUnavailable(f"could not open history database {where}: {exc!r}") from exc
    return Database(engine, timeout=timeout)


def migrate(connection: Connection, revision: str = "head") -> None:
    """Upgrades the database behind a synchronous connection (to the newest revision)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def _create_engine(url: URL, seconds: float) -> AsyncEngine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        await _create_parent_directory(url)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    if backend == "postgresql":
        return create_async_engine(
            url,
            # A restarted server leaves dead pooled connections; ping before each checkout.
            pool_pre_ping=True,
            pool_timeout=seconds,
            connect_args={"timeout": seconds, "command_timeout": seconds},
        )
    raise UnsupportedDatabase(f"history needs sqlite or postgresql, but got {backend!r}")


async def _create_parent_directory(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    await asyncio.to_thread(Path(database).parent.mkdir, parents=True, exist_ok=True)


def _configure_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
    finally:
        cursor.close()


async def _dispose_quietly(engine: AsyncEngine, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await engine.dispose()
    except Exception as exc:
        logger.debug("disposing a failed engine: %r", exc)
