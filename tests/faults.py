"""Faults a test puts a database in (storage tests and the API's tests of a real server)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Another writer on the SQLite file at `path`, holding its write lock until the block
    ends (BEGIN EXCLUSIVE; in WAL mode readers go on)."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()
