"""The database's health as /healthz tells it: reachable, writable, and (SQLite) whether
the file at the configured path is the file open.

Rule 1: a probe opens a new connection (its own engine, without a pool, so what it finds is
what the next connection of the server would find: a PostgreSQL switched to read-only, a
SQLite file gone from its path), runs SELECT 1 (reachable), then takes the write lock in a
transaction it rolls back (`UPDATE database_identity SET id = id`: writable). Nothing it
does is ever committed.
Rule 2: every step is bounded: the SQLite busy timeout (PROBE_BUSY), PostgreSQL's
lock_timeout and statement_timeout, and PROBE_TIMEOUT over the whole probe; a locked file
or a held lock is "not writable" within about half a second, never a wait of the
server's own timeouts.
Rule 3: a result is kept for FRESH_FOR seconds, and callers arriving while a probe runs
share it: a storm of /healthz requests (wallboards, Prometheus, load balancers) costs at
most one probe per FRESH_FOR. A probe is shielded from its callers' cancellation (a client
that leaves does not cancel it for the others).
Rule 4: while a SQLite file open is not at its path, nothing is tried (no connection may
be opened then, cti/storage/sqlite_file.py rule 4): it is neither reachable nor writable.
Rule 5: a reason says what is wrong, from a fixed phrase and the driver's own message (of an
OSError only its strerror, not the address it tried), never a URL or a secret: /healthz
is public.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from cti.storage.sqlite_file import FileState, SqliteFile

logger = logging.getLogger(__name__)

PROBE_BUSY: Final = 0.5  # seconds the probe waits for a write lock (SQLite, PostgreSQL)
PROBE_TIMEOUT: Final = 2.0  # seconds a whole probe may take
FRESH_FOR: Final = 1.0  # seconds a result is served again (rule 3)
WRITE_PROBE: Final = text("UPDATE database_identity SET id = id")
REASON_LENGTH: Final = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseHealth:
    reachable: bool  # a new connection may be opened and answers SELECT 1
    writable: bool  # and it takes the write lock: a write would be committed now
    file: FileState | None  # SQLite: whether the path names the file open; else None
    reason: str | None  # what is wrong; None when reachable and writable

    @property
    def ok(self) -> bool:
        return self.reachable and self.writable


CLOSED: Final = DatabaseHealth(
    reachable=False, writable=False, file=None, reason="the database is closed"
)


class HealthProbe:
    """Probes one database (rule 1), at most once per FRESH_FOR seconds (rule 3)."""

    def __init__(
        self,
        engine: AsyncEngine,
        file: SqliteFile | None,
        *,
        owns_engine: bool = True,
        clock: Callable[[], float] | None = None,
        fresh_for: float = FRESH_FOR,
    ) -> None:
        self._engine = engine
        self._owns_engine = owns_engine  # else it is the Database's, which disposes of it
        self._file = file
        self._clock = clock
        self._fresh_for = fresh_for
        self._kept: tuple[float, DatabaseHealth] | None = None
        self._running: asyncio.Task[DatabaseHealth] | None = None
        self.probes = 0  # probes run, for the tests of rule 3

    async def health(self) -> DatabaseHealth:
        """The latest result, or a new probe's once it is FRESH_FOR old (rule 3)."""
        if self._kept is not None and self._now() - self._kept[0] < self._fresh_for:
            return self._kept[1]
        if self._running is None:
            self._running = asyncio.create_task(self._keep(), name="database-probe")
        return await asyncio.shield(self._running)

    async def close(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        if self._owns_engine:
            await self._engine.dispose()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    async def _keep(self) -> DatabaseHealth:
        try:
            found = await self._probe()
            self._kept = (self._now(), found)
            return found
        finally:
            self._running = None

    async def _probe(self) -> DatabaseHealth:
        self.probes += 1
        file = None if self._file is None else self._file.state()
        if file not in (None, FileState.SAME):  # no connection is opened (sqlite_file rule 4)
            return DatabaseHealth(
                reachable=False, writable=False, file=file, reason=_ELSEWHERE[file]
            )
        reachable, failure = await self._try()
        return DatabaseHealth(
            reachable=reachable, writable=failure is None, file=file, reason=failure
        )

    async def _try(self) -> tuple[bool, str | None]:
        """Rule 1: whether it is reachable, and what failed (None: the lock was taken)."""
        reachable = False
        try:
            async with asyncio.timeout(PROBE_TIMEOUT), self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                await connection.rollback()
                reachable = True
                transaction = await connection.begin()
                try:
                    await connection.execute(WRITE_PROBE)
                finally:
                    await transaction.rollback()
        except Exception as exc:
            logger.debug("database probe failed: %r", exc)
            return reachable, f"{'not writable' if reachable else 'not reachable'}: {_said(exc)}"
        return True, None


_ELSEWHERE: Final = {
    FileState.MOVED: "no file at the database's path: it was moved away or deleted",
    FileState.REPLACED: "another file at the database's path: the one open was replaced",
}


def _said(exc: BaseException) -> str:
    """Rule 5: what the driver said (its first line), or what kind of failure it was."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {PROBE_TIMEOUT:g} s"
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(cause, OSError) and cause.strerror:  # not the address it tried
        return f"{type(cause).__name__}: {cause.strerror}"[:REASON_LENGTH]
    first = str(cause).strip().splitlines()[:1]
    said = f"{type(cause).__name__}: {first[0]}" if first else type(cause).__name__
    return said[:REASON_LENGTH]
