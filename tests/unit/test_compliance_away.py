"""Away from the seat while scheduled on queue (cti/domain/compliance/away.py, issue 16,
P5): logged out between logins, not ready but for an approved break, merged, clipped to
the on-queue time, judged with an injected clock."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cti.domain.compliance.attendance import Session
from cti.domain.compliance.away import Spell, judge
from cti.domain.compliance.rulebook import Override, Scope, checked
from cti.domain.compliance.schedule import Activity, local_activity
from cti.domain.ids import AgentId, Instant
from cti.domain.records import Rule

ZONE = ZoneInfo("Asia/Shanghai")
A = AgentId("1001")
NONE = checked([])
EVENING = Instant(datetime(2026, 12, 7, 20, 0, tzinfo=ZONE).timestamp())


def at(clock: str) -> Instant:
    hours, minutes = map(int, clock.split(":"))
    return Instant(datetime(2026, 12, 7, hours, minutes, tzinfo=ZONE).timestamp())


def day() -> list[Activity]:
    spans = [
        ("08:25", "12:00", "on_queue"),
        ("12:00", "13:00", "lunch"),
        ("13:00", "17:35", "on_queue"),
    ]
    return [local_activity(A, date(2026, 12, 7), s, e, ZONE, a) for s, e, a in spans]


def logins(*spans: tuple[str, str | None]) -> list[Session]:
    return [Session(agent=A, start=at(s), end=None if e is None else at(e)) for s, e in spans]


def spell(start: str, end: str | None, approved: bool = False) -> Spell:
    return Spell(agent=A, start=at(start), end=None if end is None else at(end), approved=approved)


def away(
    sessions: list[Session], spells: list[Spell], now: Instant = EVENING
) -> list[tuple[str, float]]:
    found = judge(day(), sessions, spells, NONE, now, ZONE)
    assert all(f.rule is Rule.AWAY and f.limit == 600 for f in found)
    return [(datetime.fromtimestamp(f.at, ZONE).strftime("%H:%M"), f.measured) for f in found]


WHOLE_DAY = ("08:20", "17:40")


@pytest.mark.parametrize(
    ("sessions", "spells", "expected"),
    [
        ([("08:20", "10:00"), ("10:15", "17:40")], [], [("10:00", 900.0)]),  # out 15 min
        ([("08:20", "10:00"), ("10:08", "17:40")], [], []),  # 8 min: allowed
        ([WHOLE_DAY], [spell("14:00", "14:12")], [("14:00", 720.0)]),  # not ready 12 min
        ([WHOLE_DAY], [spell("14:00", "14:30", approved=True)], []),  # an approved break
        ([WHOLE_DAY], [spell("11:55", "12:20")], []),  # 5 min of it on queue, the rest lunch
        ([WHOLE_DAY], [spell("11:50", "13:05")], []),  # 10 min, lunch, 5 min: two stretches
        ([WHOLE_DAY], [spell("11:45", "13:05")], [("11:45", 900.0)]),  # 15 min before lunch
        ([("08:20", "10:05"), ("10:12", "17:40")], [spell("10:00", "10:05")], [("10:00", 720.0)]),
        ([("09:00", "17:00")], [], []),  # late and early: attendance's, not away
    ],
)
def test_away_stretches_longer_than_ten_minutes_on_queue_are_findings(
    sessions: list[tuple[str, str | None]], spells: list[Spell], expected: list[tuple[str, float]]
) -> None:
    assert away(logins(*sessions), spells) == expected


def test_a_stretch_going_on_is_found_once_past_the_limit_as_known_then() -> None:
    going = [spell("15:00", None)]
    assert away(logins(("08:20", None)), going, now=at("15:10")) == []
    assert away(logins(("08:20", None)), going, now=at("15:11")) == [("15:00", 660.0)]
    [found] = judge(day(), logins(("08:20", None)), going, NONE, at("15:11"), ZONE)
    assert found.detail == "away from 2026-12-07 15:00 to now (11 min) while on queue"


def test_the_limit_is_a_parameter_and_the_same_records_give_the_same_findings() -> None:
    sessions = logins(("08:20", "10:00"), ("10:15", "17:40"))
    strict = checked(
        [Override(rule=Rule.AWAY, param="limit", scope=Scope.AGENT, target=A, value=300)]
    )
    first = judge(day(), sessions, [spell("14:00", "14:06")], strict, EVENING, ZONE)
    assert [f.measured for f in first] == [900.0, 360.0]
    again = judge(
        list(reversed(day())),
        list(reversed(sessions)),
        [spell("14:00", "14:06")],
        strict,
        Instant(EVENING + 86400),
        ZONE,
    )
    assert again == first
