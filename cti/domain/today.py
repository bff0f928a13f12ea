"""Today: the calendar day of an instant in the centre's time zone (the wallboard, issue 14).

Rule 1: a day is half-open, [start, end): `start` is the first instant whose local date is
the day's, `end` the first instant of the next day; so every instant is in exactly one day.
Rule 2: days follow the zone's clock, not 24-hour steps: a day that springs forward is
23 hours long, one that falls back 25 (Europe/London, end of March and of October). Where a
transition falls at midnight, the day starts at the first local time that exists (01:00
when 00:00-00:59 is skipped, America/Santiago) and at the earlier of a repeated midnight.
Rule 3: pure: the zone is handed in (a `tzinfo`, from zoneinfo in the shell), time is an
argument; nothing here reads a clock or the zone database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from cti.domain.ids import Instant


@dataclass(frozen=True, slots=True, kw_only=True)
class Day:
    """One calendar day of a zone (rule 1)."""

    date: date
    start: Instant
    end: Instant

    @property
    def hours(self) -> float:
        return (self.end - self.start) / 3600

    def holds(self, at: Instant) -> bool:
        return self.start <= at < self.end


def day_of(at: Instant, zone: tzinfo) -> Day:
    """The day of `zone` that holds the instant `at` (rules 1 and 2)."""
    local = datetime.fromtimestamp(at, UTC).astimezone(zone).date()
    day = _day(local, zone)
    # datetime rounds to the nearest microsecond: an instant a hair before midnight reads
    # as the next day (never the other way: midnight is a whole microsecond), so the day's
    # own start decides (rule 1).
    return _day(local - timedelta(1), zone) if at < day.start else day


def _day(local: date, zone: tzinfo) -> Day:
    return Day(date=local, start=start_of(local, zone), end=start_of(local + timedelta(1), zone))


def start_of(day: date, zone: tzinfo) -> Instant:
    """The first instant of the local date `day` in `zone` (rule 2)."""
    # fold=0 reads a skipped midnight with the offset before the jump (its instant is the
    # first that exists on the day) and a repeated one as its first occurrence.
    return Instant(datetime.combine(day, time(0), tzinfo=zone).timestamp())
