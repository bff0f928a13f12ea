"""Schedules: what each agent is planned to do when (issue 16, P4, P13, P14).

Rule 1: a schedule is a set of activities, each an agent, a half-open span [start, end) of
instants and what the agent does then (`on_queue`, `break`, `lunch`, `training`, ...).
Key: (agent, start). One agent's activities never overlap.
Rule 2: a duty is a run of one agent's activities with no gap between them (08:25-12:00
on queue, 12:00-13:00 lunch, 13:00-17:35 on queue is one duty): attendance is judged per
duty (cti/domain/compliance/attendance.py).
Rule 3: people write schedules in the centre's local time: a date, a start and an end
("HH:MM"). An end at or before the start is on the next day (18:00-08:00 crosses
midnight; 08:00-08:00 is 24 hours), "24:00" is the next midnight. The instants follow the
zone's clock, so a night shift across a change of summer time is 13 or 15 hours long. A
local time the zone skips (02:30 on the night clocks spring forward) is an error; one it
repeats (01:30 on the night they fall back) is its first occurrence.
Rule 4: `check` refuses a schedule whose activity names an unknown agent, ends before it
starts, lasts more than a day (LONGEST, 25 hours on a day that falls back) or overlaps
another of the same agent's, naming the row (its index in what was
given, counted from 1, or the line of a file); nothing of it is taken.
Rule 5: pure: the zone is handed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Final

from cti.domain.ids import AgentId, Instant

ON_QUEUE: Final = "on_queue"
LONGEST: Final = 24 * 3600.0  # seconds an activity lasts at most (rule 4)
ACTIVITY: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
POSITION: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
CLOCK: Final = re.compile(r"(\d{1,2}):(\d{2})")


class ScheduleError(ValueError):
    """A schedule row that cannot be taken; `row` names it (1-based, 0: the whole)."""

    def __init__(self, message: str, row: int = 0, field: str = "") -> None:
        super().__init__(f"row {row}: {message}" if row else message)
        self.reason = message
        self.row = row
        self.field = field

    def at_row(self, row: int) -> ScheduleError:
        return ScheduleError(self.reason, row, self.field)


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    agent: AgentId
    start: Instant
    end: Instant
    activity: str = ON_QUEUE
    position: str = ""  # the seat or desk it is at, for handovers (handover.py)

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True, kw_only=True)
class Duty:
    """Rule 2: one agent's run of activities without a gap."""

    agent: AgentId
    start: Instant
    end: Instant
    activities: tuple[Activity, ...]


def _clock(text: str, field: str) -> tuple[int, int]:
    found = CLOCK.fullmatch(text.strip())
    hours, minutes = (int(found[1]), int(found[2])) if found else (99, 99)
    if not (hours < 24 and minutes < 60) and (hours, minutes) != (24, 0):
        raise ScheduleError(f"{field} {text!r} is not a time of day (HH:MM, 00:00-24:00)", 0, field)
    return hours, minutes


def _instant(day: date, hours: int, minutes: int, zone: tzinfo, field: str) -> Instant:
    """Rule 3: the instant of a local date and time; a skipped time is an error."""
    if (hours, minutes) == (24, 0):
        day, hours = day + timedelta(days=1), 0
    local = datetime.combine(day, time(hours, minutes), zone)
    there_and_back = local.astimezone(UTC).astimezone(zone)
    if there_and_back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ScheduleError(f"{field} {day} {hours:02}:{minutes:02} does not exist there", 0, field)
    return Instant(local.timestamp())


def local_activity(
    agent: AgentId,
    day: date,
    start: str,
    end: str,
    zone: tzinfo,
    activity: str = ON_QUEUE,
    position: str = "",
) -> Activity:
    """Rule 3: an activity written in the centre's local time."""
    if not ACTIVITY.fullmatch(activity):
        raise ScheduleError(
            f"activity {activity!r}: 1-40 lower-case letters, digits or _", 0, "activity"
        )
    begins = _clock(start, "start")
    ends = _clock(end, "end")
    begin = _instant(day, *begins, zone, "start")
    end_day = day if ends > begins else day + timedelta(days=1)  # "24:00" is after any
    finish = _instant(end_day, *ends, zone, "end")
    if position and not POSITION.fullmatch(position):
        raise ScheduleError(
            f"position {position[:40]!r}: 1-40 letters, digits or _ . -", 0, "position"
        )
    return Activity(agent=agent, start=begin, end=finish, activity=activity, position=position)


Row = tuple[str, str, str, str, str, str]  # agent, date, start, end, activity, position


def parsed(rows: Iterable[Row], zone: tzinfo) -> list[Activity]:
    """Rows of (agent, date, start, end, activity, position) in local time (rule 3), as
    written in a file or a request; a fault names its row (counted from 1)."""
    found = []
    for row, (agent, day, start, end, activity, position) in enumerate(rows, 1):
        try:
            when = date.fromisoformat(day.strip())
        except ValueError:
            raise ScheduleError(f"date {day!r} is not a date (YYYY-MM-DD)", row, "date") from None
        try:
            who = AgentId(agent.strip())
            found.append(local_activity(who, when, start, end, zone, activity, position.strip()))
        except ScheduleError as exc:
            raise exc.at_row(row) from None
    return found


def check(
    rows: Sequence[Activity], agents: Iterable[AgentId], kept: Iterable[Activity] = ()
) -> None:
    """Rule 4: every row valid, or the first fault found, by row; `kept`: activities
    already scheduled that the rows join."""
    known = set(agents)
    for row, found in enumerate(rows, 1):
        if found.agent not in known:
            raise ScheduleError(f"agent {found.agent} is not configured", row, "agent")
        if not found.end > found.start:
            raise ScheduleError("it ends before it starts", row, "end")
        if found.end - found.start > LONGEST + 3600:  # a day that falls back is 25 hours
            raise ScheduleError("it lasts more than a day", row, "end")
    numbered = [(0, a) for a in kept] + list(enumerate(rows, 1))
    numbered.sort(key=lambda pair: (pair[1].agent, pair[1].start, pair[0]))
    for (first, before), (row, after) in pairwise(numbered):
        if before.agent == after.agent and after.start < before.end and (first or row):
            raise ScheduleError(
                f"agent {after.agent}: it overlaps the activity from {_shown(before.start)}",
                row or first,
                "start",
            )


def _shown(at: Instant) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


def duties(activities: Iterable[Activity]) -> list[Duty]:
    """Rule 2: the duties of checked activities, by agent, then start."""
    found: list[Duty] = []
    for item in sorted(activities, key=lambda a: (a.agent, a.start)):
        last = found[-1] if found else None
        if last is not None and last.agent == item.agent and last.end == item.start:
            found[-1] = Duty(
                agent=item.agent,
                start=last.start,
                end=item.end,
                activities=(*last.activities, item),
            )
        else:
            found.append(Duty(agent=item.agent, start=item.start, end=item.end, activities=(item,)))
    return found
