"""Opening the database (history and configuration): engine, migrations, health, reads.

Rule 1: open_database() migrates to head before it returns, so a Database is always current.
Rule 1a: given the history spool (`spool=`), it first checks that the database at the URL
is the one the spool's stamp names (cti/storage/stamp.py) and refuses, DatabaseVanished,
before it creates, migrates or writes anything: no empty SQLite file is left behind.
Rule 2: nothing here blocks the event loop: migrations run inside AsyncConnection.run_sync
(in a greenlet on the async driver) and directories are created in a thread.
Rule 3: every await that may touch the network is bounded by a timeout.
Rule 4: a closed Database refuses work (DatabaseClosed) and is never reachable.
Rule 5: SQLite runs in WAL mode with a busy timeout, so readers never block the writer.
Rule 6: a SQLite file is watched (cti/storage/sqlite_file.py): once open, it is never created
again, and commits are refused while its path does not name it. health() is the probe of
cti/storage/health.py, on an engine of its own with short timeouts.
Rule 7: SQLite gets a fixed pool of SQLITE_POOL connections: a burst of requests queues
for one (bounded by the timeout) rather than opening and closing a connection each, which
costs a thread and a file open every time (issue 13, item 7).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from cti.domain.ids import QueueId
from cti.domain.records import QueueVisit
from cti.storage import stamp
from cti.storage.compliance_store import ComplianceStore
from cti.storage.dialect import UnsupportedDatabase
from cti.storage.health import CLOSED, PROBE_BUSY, PROBE_TIMEOUT, DatabaseHealth, HealthProbe
from cti.storage.history import SqlHistory
from cti.storage.models import DatabaseIdentityRow
from cti.storage.queries import HistoryQueries
from cti.storage.recording_store import RecordingStore
from cti.storage.sqlite_file import SqliteFile

logger = logging.getLogger(__name__)

MIGRATIONS: Final = Path(__file__).resolve().parent / "migrations"
# Below BatchingHistory's 5 s write timeout: on a locked file the driver gives up first, so
# SQLite writes end on their own and are never cancelled midway (see spool._bounded).
SQLITE_BUSY_TIMEOUT: Final = 3.0
SQLITE_POOL: Final = 8  # connections, each with its thread (rule 7)


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened or migrated in time."""


class DatabaseVanished(DatabaseUnavailable):
    """Rule 1a: the database at the URL is not the one the history spool belongs to."""


class DatabaseClosed(RuntimeError):
    """The Database was closed; open a new one."""


class Database:
    """An open, migrated database."""

    def __init__(
        self, engine: AsyncEngine, *, timeout: float, identity: str, where: str, probe: HealthProbe
    ) -> None:
        self._engine: AsyncEngine | None = engine
        self._timeout = timeout
        self._probe = probe
        self.identity = identity  # the random id drawn when the database was created
        self.where = where  # its file, or its URL with the password hidden

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

    def recordings(self) -> RecordingStore:
        """The index of call recordings (issue 16, P11)."""
        return RecordingStore(self, timeout=self._timeout)

    def compliance(self) -> ComplianceStore:
        """Schedules, rule parameters and acknowledgements of findings (issue 16)."""
        return ComplianceStore(self, timeout=self._timeout)

    async def is_reachable(self) -> bool:
        """True when SELECT 1 succeeds within 2 s; False on any failure or once closed."""
        return self._engine is not None and await self.history().is_reachable()

    async def health(self) -> DatabaseHealth:
        """Reachable, writable, the file at its path (rule 6); at most one probe a second."""
        return CLOSED if self._engine is None else await self._probe.health()

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
                await self._probe.close()
                await engine.dispose()
        except TimeoutError:
            logger.warning("closing the history database timed out after %.1f s", self._timeout)


# The keyword is the caller's budget for connecting and migrating, as the API promises.
async def open_database(
    url: str,
    *,
    timeout: float = 10.0,  # noqa: ASYNC109
    spool: Path | None = None,
) -> Database:
    """Connects, checks it is the spool's database (rule 1a), migrates to head, opens."""
    parsed = make_url(url)
    file = SqliteFile.of(parsed)
    where = str(file.path) if file else parsed.render_as_string(hide_password=True)
    expected = None if spool is None else await _expectation(spool)
    if expected is not None and file is not None and not await asyncio.to_thread(file.exists):
        _refuse(expected, stamp.Found(where=where, exists=False, database_id=None, schema=False))
    try:
        engine = await _create_engine(parsed, timeout, file)
    except OSError as exc:  # the SQLite file's directory cannot be created
        raise DatabaseUnavailable(f"could not open history database {where}: {exc!r}") from exc
    try:
        async with asyncio.timeout(timeout), engine.begin() as connection:
            identity = await connection.run_sync(_checked_migration, expected, where)
        if file is not None:
            file.opened()
        own = _probe_engine(parsed, file)
        probe = HealthProbe(own or engine, file, owns_engine=own is not None)
    except DatabaseVanished:
        await _dispose_quietly(engine, timeout)
        raise
    except Exception as exc:
        await _dispose_quietly(engine, timeout)
        raise DatabaseUnavailable(f"could not open history database {where}: {exc!r}") from exc
    return Database(engine, timeout=timeout, identity=identity, where=where, probe=probe)


async def _expectation(spool: Path) -> stamp.Expectation:
    try:
        return await asyncio.to_thread(stamp.read_expectation, spool)
    except (stamp.StampUnreadable, OSError) as exc:
        raise DatabaseVanished(
            f"cannot tell which database the spool {spool} is for: {exc}"
        ) from exc


def _refuse(expected: stamp.Expectation, found: stamp.Found) -> None:
    reason = stamp.refusal(expected, found)
    if reason is not None:
        raise DatabaseVanished(reason)


def _checked_migration(
    connection: Connection, expected: stamp.Expectation | None, where: str
) -> str:
    """Rule 1a, then rule 1, in one transaction: the database's id."""
    schema, found = _identity(connection)
    if expected is not None:
        _refuse(expected, stamp.Found(where=where, exists=True, database_id=found, schema=schema))
    migrate(connection)
    _, identity = _identity(connection)
    assert identity is not None  # migration 0008 drew it
    return identity


def _identity(connection: Connection) -> tuple[bool, str | None]:
    """Whether the database was ever migrated, and its id (None: it has none yet)."""
    tables = inspect(connection)
    if not tables.has_table(DatabaseIdentityRow.__tablename__):
        return tables.has_table("alembic_version"), None
    return True, connection.execute(select(DatabaseIdentityRow.id)).scalar()


def migrate(connection: Connection, revision: str = "head") -> None:
    """Upgrades the database behind a synchronous connection (to the newest revision)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def _create_engine(url: URL, seconds: float, file: SqliteFile | None) -> AsyncEngine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        await _create_parent_directory(url)
        engine = create_async_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT},
            # A fixed pool (rule 7): under a burst, requests queue for a connection
            # instead of each opening one (a thread and a file) to close it again.
            pool_size=SQLITE_POOL,
            max_overflow=0,
            pool_timeout=seconds,
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite(SQLITE_BUSY_TIMEOUT))
        if file is not None:
            file.attach(engine)
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


def _probe_engine(url: URL, file: SqliteFile | None) -> AsyncEngine | None:
    """Rule 6: the health probe's engine, a new connection per probe with short timeouts;
    None for an SQLite database without a file (in memory: another connection is another
    database), which is probed on its own engine."""
    if url.get_backend_name() == "postgresql":
        waits = {"lock_timeout": _ms(PROBE_BUSY), "statement_timeout": _ms(PROBE_TIMEOUT)}
        limits = {"timeout": PROBE_TIMEOUT, "command_timeout": PROBE_TIMEOUT}
        return create_async_engine(
            url, poolclass=NullPool, connect_args={**limits, "server_settings": waits}
        )
    if file is None:
        return None
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": PROBE_BUSY})
    event.listen(engine.sync_engine, "connect", _configure_sqlite(PROBE_BUSY))
    file.attach(engine)
    return engine


def _ms(seconds: float) -> str:
    return str(int(seconds * 1000))


async def _create_parent_directory(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    await asyncio.to_thread(Path(database).parent.mkdir, parents=True, exist_ok=True)


def _configure_sqlite(
    busy_timeout: float,
) -> Callable[[DBAPIConnection, ConnectionPoolEntry], None]:
    def configure(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        finally:
            cursor.close()

    return configure


async def _dispose_quietly(engine: AsyncEngine, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await engine.dispose()
    except Exception as exc:
        logger.debug("disposing a failed engine: %r", exc)
