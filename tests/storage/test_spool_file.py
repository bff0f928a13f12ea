"""The spool file format: exact round trip, torn lines, chunked reads."""

from __future__ import annotations

from pathlib import Path

from cti.storage import spool_file
from tests.storage.visits import make_visits


def test_visits_round_trip_exactly_in_chunks(tmp_path: Path) -> None:
    spool = tmp_path / "deep" / "spool.jsonl"
    spool_file.append(spool, make_visits(5))
    spool_file.append(spool, make_visits(3, start=5))

    first = spool_file.read(spool, 0, 6)
    rest = spool_file.read(spool, first.end, 6)

    assert first.visits + rest.visits == make_visits(8)
    assert (first.lines, rest.lines) == (6, 2)
    assert spool_file.read(spool, rest.end, 6).lines == 0
    assert spool_file.count(spool) == (8, rest.end)


def test_a_torn_line_is_skipped_and_the_next_append_starts_a_new_line(tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    spool_file.append(spool, make_visits(2))
    with spool.open("ab") as torn:
        torn.write(b'{"call":"x"')

    spool_file.append(spool, make_visits(2, start=2))
    chunk = spool_file.read(spool, 0, 100)

    assert chunk.visits == make_visits(4)
    assert chunk.lines == 5


def test_truncate_empties_and_missing_files_read_as_empty(tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    assert spool_file.count(spool) == (0, 0)
    assert spool_file.read(spool, 0, 10).lines == 0
    spool_file.truncate(spool)
    spool_file.append(spool, make_visits(2))

    spool_file.truncate(spool)

    assert spool_file.count(spool) == (0, 0)
