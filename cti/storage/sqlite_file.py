"""The SQLite file a Database opened, and whether its configured path still names it.

SQLite keeps writing to the file it opened even after that file was moved away, deleted or
replaced: every write would then be acknowledged into an orphan that no restart reads again.
Rule 1: a file is known by its device and inode, taken once the database is open (`opened`);
the path names it while a stat of the path shows the same pair (FileState.SAME); no file at
the path is MOVED (moved away or deleted), another file there is REPLACED.
Rule 2: every commit on the Database's engine is refused (DatabaseMoved, before the COMMIT
is sent, so the transaction is rolled back) while the path does not name the file open.
Checking at the commit, rather than periodically, leaves no interval in which a write is
acknowledged into the orphan; the history writer spools what it could not commit, and the
API answers 503 "storage unavailable" (DatabaseMoved is an OSError, as the file's absence
is). The file moved back (the same inode at the path) is the same file again: commits go on.
Rule 3: the check is a stat of a local path, made on the event loop: SQLite's file has to be
local (its locking does not work over network file systems), so the stat is answered from
the kernel's inode cache in about a microsecond, far less than a hop to a worker thread,
and it must not wait behind whatever occupies the default executor.
Rule 4: once opened, connections never create the file (`mode=rw`), and none is opened
while the path does not name the file open: it would make an empty database in its place,
or, worse, open the replacement with the orphan's -wal and -shm files, which are still at
the path's name and would be taken for the replacement's own (and checkpointed into it).
Reads are not refused: what they find was acknowledged before the file went away.
"""

from __future__ import annotations

import logging
import os
from enum import StrEnum
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry

logger = logging.getLogger(__name__)


class FileState(StrEnum):
    SAME = "same"  # the path names the file open
    MOVED = "moved"  # no file at the path: moved away or deleted
    REPLACED = "replaced"  # another file at the path


class DatabaseMoved(OSError):
    """A commit refused because the SQLite file open is no longer at its configured path."""


class SqliteFile:
    """One SQLite database file: how connections open it and whether the path names it."""

    def __init__(self, path: Path) -> None:
        self.path = path.absolute()
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) once opened
        self._reported: FileState = FileState.SAME

    @classmethod
    def of(cls, url: URL) -> SqliteFile | None:
        """The file of an SQLite URL naming one; None for PostgreSQL, memory or URIs."""
        database = url.database
        if url.get_backend_name() != "sqlite" or not database:
            return None
        if database == ":memory:" or database.startswith("file:"):
            return None
        return cls(Path(database))

    def exists(self) -> bool:
        return self.path.exists()

    def attach(self, engine: AsyncEngine) -> None:
        """Rules 2 and 4 for every connection of `engine`."""
        event.listen(engine.sync_engine, "do_connect", self._connect_args)
        event.listen(engine.sync_engine, "commit", self._guard)

    def opened(self) -> None:
        """Rule 1: the file at the path now is the file open (called once it is migrated)."""
        found = os.stat(self.path)
        self._identity = (found.st_dev, found.st_ino)

    def state(self) -> FileState:
        """Rule 1: whether the configured path still names the file opened."""
        if self._identity is None:
            return FileState.SAME  # not opened yet: nothing to compare with
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return FileState.MOVED
        same = (found.st_dev, found.st_ino) == self._identity
        return FileState.SAME if same else FileState.REPLACED

    def _connect_args(
        self,
        _dialect: Dialect,
        _record: ConnectionPoolEntry,
        cargs: list[object],
        cparams: dict[str, object],
    ) -> None:
        self._check()  # rule 4
        # Before `opened`, the first connection may create the file (a first start).
        mode = "rwc" if self._identity is None else "rw"
        cargs[0] = f"{self.path.as_uri()}?mode={mode}"
        cparams["uri"] = True

    def _guard(self, _connection: Connection) -> None:
        self._check()  # rule 2

    def _check(self) -> None:
        state = self.state()
        if state is not self._reported:  # log the change, not every refusal
            self._reported = state
            if state is FileState.SAME:
                logger.info("database file %s is back at its path: commits resume", self.path)
            else:
                logger.error(
                    "database file %s %s while open: commits refused until it is back",
                    self.path,
                    "moved away or deleted" if state is FileState.MOVED else "replaced",
                )
        if state is not FileState.SAME:
            raise DatabaseMoved(f"database file {self.path} is not the one open ({state})")
