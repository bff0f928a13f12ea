"""Schedules in the centre's local time (cti/domain/compliance/schedule.py, issue 16,
P4, P13): midnight, 24-hour rotas, changes of summer time, bad rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from cti.domain.compliance.schedule import (
    Activity,
    ScheduleError,
    check,
    duties,
    local_activity,
    parsed,
)
from cti.domain.ids import AgentId, Instant

LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")
A, B = AgentId("1001"), AgentId("1002")


def utc(text: str) -> Instant:
    return Instant(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_a_day_shift_in_local_time() -> None:
    shift = local_activity(A, date(2026, 12, 7), "08:25", "17:35", SHANGHAI)
    assert (shift.start, shift.end) == (utc("2026-12-07 00:25"), utc("2026-12-07 09:35"))
    assert shift.activity == "on_queue"


def test_a_night_shift_ends_the_next_day_and_24_00_is_midnight() -> None:
    night = local_activity(A, date(2026, 12, 7), "18:00", "08:00", LONDON)
    assert (night.start, night.end) == (utc("2026-12-07 18:00"), utc("2026-12-08 08:00"))
    whole = local_activity(A, date(2026, 12, 7), "08:00", "08:00", LONDON)
    assert whole.seconds == 24 * 3600
    evening = local_activity(A, date(2026, 12, 7), "18:00", "24:00", LONDON)
    assert evening.end == utc("2026-12-08 00:00")
    to_midnight = local_activity(A, date(2026, 12, 7), "18:00", "00:00", LONDON)
    assert to_midnight.end == evening.end


def test_a_night_across_a_change_of_summer_time_is_13_or_15_hours() -> None:
    spring = local_activity(A, date(2027, 3, 27), "18:00", "08:00", LONDON)
    autumn = local_activity(A, date(2026, 10, 24), "18:00", "08:00", LONDON)
    assert (spring.seconds / 3600, autumn.seconds / 3600) == (13.0, 15.0)


def test_a_skipped_local_time_is_refused_and_a_repeated_one_is_its_first() -> None:
    with pytest.raises(ScheduleError, match="does not exist") as refused:
        local_activity(A, date(2027, 3, 28), "01:30", "08:00", LONDON)
    assert refused.value.field == "start"
    repeated = local_activity(A, date(2026, 10, 25), "01:30", "08:00", LONDON)
    assert repeated.start == utc("2026-10-25 00:30")  # 01:30 BST, the first 01:30


@pytest.mark.parametrize(
    ("start", "end", "activity", "field"),
    [
        ("8.30", "12:00", "on_queue", "start"),
        ("08:00", "25:00", "on_queue", "end"),
        ("08:00", "12:60", "on_queue", "end"),
        ("08:00", "12:00", "Lunch!", "activity"),
    ],
)
def test_bad_times_and_activities_name_their_field(
    start: str, end: str, activity: str, field: str
) -> None:
    with pytest.raises(ScheduleError) as refused:
        local_activity(A, date(2026, 12, 7), start, end, LONDON, activity)
    assert refused.value.field == field


def rota(agent: AgentId, day: date) -> list[Activity]:
    """P13's four shifts, 08-12, 12-14:30, 14:30-18, 18-08, as one agent's day and night."""
    spans = [("08:00", "12:00"), ("12:00", "14:30"), ("14:30", "18:00"), ("18:00", "08:00")]
    return [local_activity(agent, day, s, e, LONDON) for s, e in spans]


def test_a_24_hour_rota_without_gaps_is_one_duty_and_a_gap_splits_it() -> None:
    [duty] = duties(rota(A, date(2026, 12, 7)))
    assert (duty.start, duty.end) == (utc("2026-12-07 08:00"), utc("2026-12-08 08:00"))
    assert len(duty.activities) == 4
    morning = local_activity(B, date(2026, 12, 7), "08:00", "12:00", LONDON)
    afternoon = local_activity(B, date(2026, 12, 7), "13:00", "17:00", LONDON)
    assert [
        (d.agent, d.start) for d in duties([afternoon, morning, *rota(A, date(2026, 12, 7))])
    ] == [
        (A, utc("2026-12-07 08:00")),
        (B, morning.start),
        (B, afternoon.start),
    ]


def test_check_names_the_row_of_an_unknown_agent_a_backwards_span_or_an_overlap() -> None:
    day = date(2026, 12, 7)
    good = local_activity(A, day, "08:00", "12:00", LONDON)
    stranger = local_activity(AgentId("9999"), day, "08:00", "12:00", LONDON)
    backwards = Activity(agent=A, start=good.end, end=good.start)
    overlapping = local_activity(A, day, "11:00", "13:00", LONDON)
    cases = [
        ([good, stranger], [], 2, "agent"),
        ([good, backwards], [], 2, "end"),
        ([good, overlapping], [], 2, "start"),
        ([overlapping], [good], 1, "start"),  # overlaps one already scheduled
    ]
    for rows, kept, row, field in cases:
        with pytest.raises(ScheduleError) as refused:
            check(rows, [A, B], kept)
        assert (refused.value.row, refused.value.field) == (row, field), rows
        assert str(refused.value).startswith(f"row {row}: ")
    check([good, local_activity(A, day, "12:00", "13:00", LONDON)], [A], [])  # touching is fine


def test_rows_as_written_are_parsed_and_a_bad_one_names_its_row_and_field() -> None:
    rows = [
        ("1001", "2026-12-07", "08:25", "17:35", "on_queue", "desk-1"),
        ("1002", "2026-12-07", "18:00", "08:00", "on_queue", ""),
    ]
    first, night = parsed(rows, SHANGHAI)
    assert (first.agent, first.position, night.seconds) == (A, "desk-1", 14 * 3600)
    for bad, field in (
        (("1001", "07/12/2026", "08:00", "12:00", "on_queue", ""), "date"),
        (("1001", "2026-12-07", "8h", "12:00", "on_queue", ""), "start"),
        (("1001", "2026-12-07", "08:00", "12:00", "Break", ""), "activity"),
        (("1001", "2026-12-07", "08:00", "12:00", "on_queue", "desk 1"), "position"),
    ):
        with pytest.raises(ScheduleError) as refused:
            parsed([rows[0], bad], SHANGHAI)
        assert (refused.value.row, refused.value.field) == (2, field)
        assert str(refused.value).startswith("row 2: ")
