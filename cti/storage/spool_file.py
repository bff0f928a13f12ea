"""The durable local spool: history records as JSON lines, one record per line.

Rule 1: these functions block (file I/O and fsync); callers run them in a thread.
Rule 2: an append is durable when it returns (flushed and fsync'd, and the directory entry
too when the file is new); a failed append truncates the file back to its previous size.
Rule 3: a torn last line (a crash mid-append) is skipped with an error, never fatal, and the
next append starts on a fresh line.
Rule 4: each line is cti.storage.record_json: any Record, tagged with its type, read back
exactly; a line written before tags existed reads as a queue visit.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cti.domain.effects import Record
from cti.storage.record_json import decode, encode

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Chunk:
    """Records read from the spool, the lines they took, and where the next read starts."""

    records: list[Record]
    lines: int
    end: int


def append(path: Path, records: Sequence[Record]) -> None:
    """Appends the records durably."""
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = "".join(encode(record) + "\n" for record in records).encode()
    with path.open("ab+") as spool:
        size = spool.seek(0, os.SEEK_END)
        try:
            if size and _last_byte(spool) != b"\n":
                payload = b"\n" + payload  # close a torn line left by a crash
            spool.write(payload)
            spool.flush()
            os.fsync(spool.fileno())
        except BaseException:
            spool.truncate(size)
            raise
    if created:
        fsync_directory(path.parent)


def count(path: Path) -> tuple[int, int]:
    """The number of non-empty lines in the spool and its size in bytes (0, 0 if absent)."""
    try:
        with path.open("rb") as spool:
            lines = sum(1 for line in spool if line.strip())
            return lines, spool.tell()
    except FileNotFoundError:
        return 0, 0


def read(path: Path, offset: int, limit: int) -> Chunk:
    """Up to `limit` records starting at byte `offset`; undecodable lines are logged, skipped."""
    records: list[Record] = []
    lines = 0
    try:
        spool = path.open("rb")
    except FileNotFoundError:
        return Chunk(records=records, lines=0, end=offset)
    with spool:
        spool.seek(offset)
        while lines < limit and (line := spool.readline()):
            if not line.strip():
                continue
            lines += 1
            try:
                records.append(decode(line))
            except (ValueError, TypeError) as exc:
                logger.error("skipping undecodable spool line in %s: %r (%r)", path, line, exc)
        return Chunk(records=records, lines=lines, end=spool.tell())


def truncate(path: Path) -> None:
    """Empties the spool durably (its records are committed)."""
    try:
        with path.open("rb+") as spool:
            spool.truncate(0)
            spool.flush()
            os.fsync(spool.fileno())
    except FileNotFoundError:
        return


def _last_byte(spool: BinaryIO) -> bytes:
    spool.seek(-1, os.SEEK_END)
    last: bytes = spool.read(1)
    spool.seek(0, os.SEEK_END)
    return last


def fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
