"""The centre's today (cti/domain/today.py, issue 14): a calendar day of the centre's time
zone, half-open, 23 or 25 hours long on the days the clocks change."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cti.domain.ids import Instant
from cti.domain.today import day_of, start_of

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


def at(text: str, zone: ZoneInfo) -> Instant:
    """The instant a local wall-clock time (ISO, no offset) names in `zone`."""
    return Instant(datetime.fromisoformat(text).replace(tzinfo=zone).timestamp())


def local(instant: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(instant, zone).isoformat()


def test_a_day_in_utc_is_24_hours_from_midnight() -> None:
    day = day_of(at("2027-01-15T13:45:00", UTC), UTC)

    assert day.date == date(2027, 1, 15)
    assert (local(day.start, UTC), local(day.end, UTC)) == (
        "2027-01-15T00:00:00+00:00",
        "2027-01-16T00:00:00+00:00",
    )
    assert day.hours == 24


def test_the_day_is_the_zones_not_utcs() -> None:
    """00:30 in Shanghai is still the evening before in UTC: the day is Shanghai's."""
    shanghai = ZoneInfo("Asia/Shanghai")

    day = day_of(at("2027-01-15T00:30:00", shanghai), shanghai)

    assert day.date == date(2027, 1, 15)
    assert local(day.start, UTC) == "2027-01-14T16:00:00+00:00"


@pytest.mark.parametrize(
    ("moment", "hours", "start", "end"),
    [
        # The clocks go forward at 01:00 on the last Sunday of March: 23 hours.
        ("2024-03-31T12:00:00", 23, "2024-03-31T00:00:00+00:00", "2024-04-01T00:00:00+01:00"),
        ("2024-03-31T00:59:59", 23, "2024-03-31T00:00:00+00:00", "2024-04-01T00:00:00+01:00"),
        ("2024-03-31T02:00:00", 23, "2024-03-31T00:00:00+00:00", "2024-04-01T00:00:00+01:00"),
        # Back at 02:00 on the last Sunday of October: 25 hours.
        ("2024-10-27T12:00:00", 25, "2024-10-27T00:00:00+01:00", "2024-10-28T00:00:00+00:00"),
        ("2024-10-27T23:59:59", 25, "2024-10-27T00:00:00+01:00", "2024-10-28T00:00:00+00:00"),
        # The days around them are 24 hours.
        ("2024-03-30T12:00:00", 24, "2024-03-30T00:00:00+00:00", "2024-03-31T00:00:00+00:00"),
        ("2024-10-28T00:00:00", 24, "2024-10-28T00:00:00+00:00", "2024-10-29T00:00:00+00:00"),
    ],
)
def test_days_when_the_clocks_change_are_23_and_25_hours(
    moment: str, hours: int, start: str, end: str
) -> None:
    day = day_of(at(moment, LONDON), LONDON)

    assert day.hours == hours
    assert (local(day.start, LONDON), local(day.end, LONDON)) == (start, end)


def test_both_instants_of_a_repeated_hour_are_the_same_day() -> None:
    first = datetime(2024, 10, 27, 1, 30, tzinfo=LONDON, fold=0).timestamp()
    second = datetime(2024, 10, 27, 1, 30, tzinfo=LONDON, fold=1).timestamp()

    assert second - first == 3600
    assert day_of(Instant(first), LONDON) == day_of(Instant(second), LONDON)


def test_a_skipped_midnight_starts_the_day_at_the_first_time_that_exists() -> None:
    """Chile springs forward at 24:00: 00:00-00:59 of 11 September 2022 never happened."""
    santiago = ZoneInfo("America/Santiago")

    day = day_of(at("2022-09-11T12:00:00", santiago), santiago)

    assert local(day.start, santiago) == "2022-09-11T01:00:00-03:00"
    assert local(day.start - 1, santiago) == "2022-09-10T23:59:59-04:00"
    assert day.hours == 23


def test_a_repeated_midnight_starts_the_day_at_its_first_occurrence() -> None:
    """Cuba falls back at 01:00 to 00:00: midnight of 5 November 2023 came twice."""
    havana = ZoneInfo("America/Havana")

    day = day_of(at("2023-11-05T12:00:00", havana), havana)

    assert local(day.start, havana) == "2023-11-05T00:00:00-04:00"
    assert day.hours == 25


def test_the_start_is_in_the_day_and_the_end_in_the_next() -> None:
    day = day_of(at("2027-06-01T08:00:00", LONDON), LONDON)

    assert day.holds(day.start) and not day.holds(Instant(day.start - 0.001))
    assert not day.holds(day.end) and day.holds(Instant(day.end - 0.001))
    assert day_of(day.end, LONDON).start == day.end
    assert day_of(Instant(day.start - 0.001), LONDON).end == day.start


ZONES = st.sampled_from(
    ["UTC", "Europe/London", "America/New_York", "America/Santiago", "America/Havana",
     "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Apia"]
)  # fmt: skip


@given(moment=st.floats(min_value=0, max_value=4_102_444_800), name=ZONES)
def test_every_instant_is_in_exactly_one_day_of_its_date(moment: float, name: str) -> None:
    zone = ZoneInfo(name)

    day = day_of(Instant(moment), zone)

    assert day.holds(Instant(moment))
    assert datetime.fromtimestamp(int(moment), zone).date() == day.date  # no rounding up
    assert datetime.fromtimestamp(day.start, zone).date() == day.date
    assert datetime.fromtimestamp(day.start - 0.5, zone).date() < day.date
    assert day.end == start_of(date.fromordinal(day.date.toordinal() + 1), zone)
    assert 22 <= day.hours <= 26


def test_an_instant_a_hair_before_midnight_is_in_the_day_it_ends() -> None:
    """datetime reads 2034-12-31T23:59:59.9999995 as the next midnight (microseconds)."""
    moment = Instant(2_051_222_399.9999995)

    day = day_of(moment, UTC)

    assert day.date == date(2034, 12, 31) and day.holds(moment)
    assert day_of(Instant(day.start - 1e-6), UTC).date == date(2034, 12, 30)
