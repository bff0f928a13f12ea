"""The spool file format: every record type round-trips exactly, torn lines, chunked reads."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cti.domain.ids import Instant
from cti.domain.records import OfferOutcome
from cti.storage import record_json, spool_file
from tests.storage.samples import (
    make_call,
    make_finding,
    make_offer,
    make_visit,
    make_visits,
    one_of_each,
)


def test_visits_round_trip_exactly_in_chunks(tmp_path: Path) -> None:
    spool = tmp_path / "deep" / "spool.jsonl"
    spool_file.append(spool, make_visits(5))
    spool_file.append(spool, make_visits(3, start=5))

    first = spool_file.read(spool, 0, 6)
    rest = spool_file.read(spool, first.end, 6)

    assert first.records + rest.records == make_visits(8)
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

    assert chunk.records == make_visits(4)
    assert chunk.lines == 5


def test_truncate_empties_and_missing_files_read_as_empty(tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    assert spool_file.count(spool) == (0, 0)
    assert spool_file.read(spool, 0, 10).lines == 0
    spool_file.truncate(spool)
    spool_file.append(spool, make_visits(2))

    spool_file.truncate(spool)

    assert spool_file.count(spool) == (0, 0)


def test_every_record_type_round_trips_exactly_even_below_the_microsecond(
    tmp_path: Path,
) -> None:
    spool = tmp_path / "spool.jsonl"
    nano = Instant(1_700_000_000.123456789)  # finer than a timestamp column keeps
    records = [
        *one_of_each(1),
        replace(make_finding(2), at=nano, measured=0.1 + 0.2),
        replace(make_call(3), abandon_wait=1e-9, survey_score=None, released_by=None),
    ]

    spool_file.append(spool, records)

    assert spool_file.read(spool, 0, 100).records == records


def test_each_line_is_tagged_and_enums_are_written_by_value(tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"

    spool_file.append(spool, [make_offer(1, outcome=OfferOutcome.NO_ANSWER), make_call(2)])

    offer, call = (json.loads(line) for line in spool.read_text().splitlines())
    assert (offer["type"], offer["outcome"]) == ("offer", "no_answer")
    assert (call["type"], call["segments"][1]["kind"]) == ("call", "talk")


def test_a_spool_written_before_type_tags_still_reads_as_queue_visits(tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    old = (
        '{"call":"call-1","channel":"1700000000.1","queue":"sales","caller":"+33612340001",'
        '"priority":1,"entered_at":1700000001.123457,"left_at":1700000013.777778,'
        '"outcome":"connected"}\n'
    )
    spool.write_text(old)

    assert spool_file.read(spool, 0, 10).records == [make_visit(1)]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"type":"meeting"}', "unknown record type 'meeting'"),
        ('{"type":"finding","rule":"C3.ring_limit"}', "missing field agent"),
        ("[1, 2]", "a record is a JSON object"),
        ('{"type":"offer","call":"c","queue":"q","agent":"a","device":"d","offered_at":1,'
         '"ring_started_at":null,"ended_at":2,"rings":true,"outcome":"answered"}',
         "offer.rings: expected int, got True"),
        ('{"type":"offer","call":"c","queue":"q","agent":"a","device":"d","offered_at":1,'
         '"ring_started_at":null,"ended_at":2,"rings":1,"outcome":"maybe"}',
         "offer.outcome: 'maybe' is not a OfferOutcome"),
        ('{"type":"state_interval","agent":"a","state":"available","reason":null,"start":1,'
         '"end":2,"colour":"red"}', "unknown field(s) colour"),
    ],
)  # fmt: skip
def test_lines_that_describe_no_record_are_refused_with_the_reason(line: str, reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        record_json.decode(line)

    assert reason in str(refused.value)


def test_undecodable_lines_are_skipped_and_still_counted(tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    spool_file.append(spool, [make_visit(1)])
    with spool.open("a") as file:
        file.write('{"type":"meeting"}\n')
    spool_file.append(spool, [make_finding(2)])

    chunk = spool_file.read(spool, 0, 10)

    assert (chunk.records, chunk.lines) == ([make_visit(1), make_finding(2)], 3)
