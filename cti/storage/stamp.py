"""The stamp beside the history spool: which database the spool (and the tokens clients
hold) belong to, so that a server never starts afresh on a database that vanished under it.

Rule 1: every database has a random id (table database_identity, drawn by migration 0008).
Rule 2: `cti serve`, once its database is open, remembers that id in the stamp,
`<spool>.database-id` (JSON, written whole: a temporary file, fsync, rename, fsync of the
directory). A stamp that names the id already is left as it is.
Rule 3: `read_expectation(spool)` is what the spool's side says of the database: the id the
stamp names, and whether the spool holds records (only a server that had opened a database
can have left any). open_database(url, spool=...) compares it with what it finds at the URL
before it creates, migrates or writes anything, and `refusal` says why it must not go on:
  - a stamp, and no database there (the SQLite file is gone), one without an id (new, or
    emptied) or one with another id;
  - no stamp, records in the spool, and no database there or a new one (a spool left by a
    server older than the stamp).
Rule 4: no stamp and an empty (or no) spool is a first start, or a database older than the
stamp: nothing is refused, and the server writes the stamp once the database is open.
Rule 5: `cti admin`, `cti campaign` and `cti dnc` check the stamp but never write it: they
may run before the server's first start (an import to set up a new machine), or as another
user than the server's; the stamp is the server's, since the spool it describes is. They
check it because, run after the file vanished, they would otherwise create an empty
database at the path and store their changes there, out of sight of the restored file.
Rule 6: these functions block on file I/O (callers run them in a thread), except
`remember`, which runs itself in one.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cti.storage.spool_file import fsync_directory

SUFFIX: Final = ".database-id"


class StampUnreadable(ValueError):
    """The stamp exists but does not say which database (hand-edited or damaged)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Expectation:
    """What the spool's side says of the database (rule 3)."""

    spool: Path
    stamp: Path
    database_id: str | None  # the id the stamp names; None: no stamp
    spooled: bool  # the spool holds records


@dataclass(frozen=True, slots=True, kw_only=True)
class Found:
    """What open_database found at the URL, before touching it."""

    where: str  # the SQLite file, or the URL with its password hidden
    exists: bool  # False: no SQLite file at the path (a PostgreSQL database always exists)
    database_id: str | None  # None: no id (a new database, or one older than the stamp)
    schema: bool  # the database has been migrated at least once


def stamp_of(spool: Path) -> Path:
    return spool.with_name(spool.name + SUFFIX)


def read_expectation(spool: Path) -> Expectation:
    """Rule 3: the stamp beside `spool` and whether the spool holds records."""
    stamp = stamp_of(spool)
    try:
        text = stamp.read_text(encoding="utf-8")
    except FileNotFoundError:
        database_id = None
    else:
        database_id = _database_id(stamp, text)
    try:
        spooled = spool.stat().st_size > 0
    except FileNotFoundError:
        spooled = False
    return Expectation(spool=spool, stamp=stamp, database_id=database_id, spooled=spooled)


def refusal(expected: Expectation, found: Found) -> str | None:
    """Rule 3: why the database found must not be opened for this spool; None: it may."""
    named = expected.database_id
    if named is not None and found.database_id == named:
        return None
    if named is not None:
        if not found.exists:
            now = f"the database {found.where} is gone"
        elif found.database_id is None:
            now = f"the database {found.where} is new (it has no id)"
        else:
            now = f"the database {found.where} is another one (id {found.database_id})"
        return (
            f"{now}, but {expected.stamp} says the history spool {expected.spool} belongs "
            f"to database {named}: restore that database at {found.where}, or remove "
            f"{expected.stamp} and {expected.spool} to start afresh on purpose (what the "
            "spool holds is then lost, and every token issued before stops working)"
        )
    if expected.spooled and not (found.exists and found.schema):
        now = "gone" if not found.exists else "new"
        return (
            f"the database {found.where} is {now}, but the history spool {expected.spool} "
            f"holds records written to a database that existed: restore that database at "
            f"{found.where}, or remove {expected.spool} to start afresh on purpose (what it "
            "holds is then lost)"
        )
    return None


async def remember(spool: Path, database_id: str, where: str) -> None:
    """Rule 2: the stamp beside `spool` names `database_id` (written unless it already does)."""
    await asyncio.to_thread(_remember, spool, database_id, where)


def _remember(spool: Path, database_id: str, where: str) -> None:
    if read_expectation(spool).database_id != database_id:
        write_stamp(stamp_of(spool), database_id, where)


def write_stamp(stamp: Path, database_id: str, where: str) -> None:
    """Rule 2: replaces the stamp whole and durably."""
    stamp.parent.mkdir(parents=True, exist_ok=True)
    partial = stamp.with_name(stamp.name + ".partial")
    payload = json.dumps({"database_id": database_id, "database": where}) + "\n"
    with partial.open("w", encoding="utf-8") as file:
        file.write(payload)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(stamp)
    fsync_directory(stamp.parent)


def _database_id(stamp: Path, text: str) -> str:
    try:
        found = json.loads(text)
    except ValueError as exc:
        raise StampUnreadable(f"{stamp} is not JSON ({exc}): restore it, or remove it") from None
    named = found.get("database_id") if isinstance(found, dict) else None
    if not isinstance(named, str) or not named:
        raise StampUnreadable(f"{stamp} names no database_id: restore it, or remove it")
    return named
