"""Handovers between shifts (cti/domain/compliance/handover.py, issue 16, P12): who is
whose successor on a position, and leaving before the successor arrived."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cti.domain.compliance.attendance import Session
from cti.domain.compliance.handover import handovers, judge, successor_of
from cti.domain.compliance.rulebook import checked
from cti.domain.compliance.schedule import Activity, local_activity
from cti.domain.ids import AgentId, Instant
from cti.domain.records import Rule

ZONE = ZoneInfo("Asia/Shanghai")
DAY, NIGHT, OTHER = AgentId("1001"), AgentId("1002"), AgentId("1003")
NONE = checked([])


def at(clock: str, day: int = 7) -> Instant:
    hours, minutes = map(int, clock.split(":"))
    return Instant(datetime(2026, 12, day, hours, minutes, tzinfo=ZONE).timestamp())


def shifts() -> list[Activity]:
    """P13's rota on desk-1: 08:00-18:00 by 1001, 18:00-08:00 by 1002; 1003 elsewhere."""
    return [
        local_activity(DAY, date(2026, 12, 7), "08:00", "18:00", ZONE, position="desk-1"),
        local_activity(NIGHT, date(2026, 12, 7), "18:00", "08:00", ZONE, position="desk-1"),
        local_activity(OTHER, date(2026, 12, 7), "18:00", "22:00", ZONE, position="desk-2"),
    ]


def test_the_successor_on_a_position_is_the_next_agent_there_at_once() -> None:
    [change] = handovers(shifts())
    assert (change.position, change.outgoing.agent, change.successor.agent) == (
        "desk-1",
        DAY,
        NIGHT,
    )
    assert change.at == at("18:00")
    gap = [
        shifts()[0],
        local_activity(NIGHT, date(2026, 12, 7), "18:30", "23:00", ZONE, position="desk-1"),
    ]
    assert handovers(gap) == []  # not back to back: no handover
    assert handovers([shifts()[0], shifts()[0]]) == []  # same agent


def session(agent: AgentId, start: str, end: str | None) -> Session:
    return Session(agent=agent, start=at(start), end=None if end is None else at(end))


@pytest.mark.parametrize(
    ("day_out", "night_in", "now", "expected"),
    [
        ("18:10", "17:55", "20:00", []),  # the successor came first: fine
        ("18:10", "18:10", "20:00", []),  # the same minute: fine (grace 0, no gap)
        ("18:00", "18:12", "20:00", [720.0]),  # left at the handover, successor 12 min late
        ("17:50", "18:05", "20:00", [900.0]),  # left early: the seat empty from 17:50
        ("18:00", None, "18:30", [1800.0]),  # the successor not there yet: so far
        ("18:05", None, "18:04", []),  # still there (and not yet judged)
    ],
)
def test_leaving_before_the_successor_arrived_is_a_finding_at_the_handover(
    day_out: str, night_in: str | None, now: str, expected: list[float]
) -> None:
    sessions = [session(DAY, "07:55", day_out)]
    if night_in is not None:
        sessions.append(session(NIGHT, night_in, None))
    if day_out == "18:05":
        sessions = [session(DAY, "07:55", None)]
    found = judge(handovers(shifts()), sessions, NONE, at(now), ZONE)
    assert [f.measured for f in found] == expected
    assert all(
        (f.rule, f.agent, f.at) == (Rule.LEFT_BEFORE_SUCCESSOR, DAY, at("18:00")) for f in found
    )


def test_the_finding_says_who_left_when_and_who_came_when() -> None:
    sessions = [session(DAY, "07:55", "18:00"), session(NIGHT, "18:12", None)]
    [found] = judge(handovers(shifts()), sessions, NONE, at("20:00"), ZONE)
    assert (
        found.detail
        == "left desk-1 at 18:00; the successor 1002 arrived at 18:12 (handover at 18:00)"
    )


def test_an_outgoing_agent_who_never_came_is_attendances_not_a_handovers() -> None:
    assert (
        judge(handovers(shifts()), [session(NIGHT, "18:30", None)], NONE, at("20:00"), ZONE) == []
    )


def test_the_note_of_a_shift_goes_to_the_successor_of_the_handover_it_gives_now() -> None:
    [change] = handovers(shifts())
    assert successor_of(shifts(), DAY, "desk-1", at("17:30")) == change
    assert successor_of(shifts(), DAY, "desk-1", at("19:00")) == change  # just after
    assert successor_of(shifts(), DAY, "desk-1", at("07:00")) is None  # before its shift
    assert successor_of(shifts(), DAY, "desk-2", at("17:30")) is None
    assert successor_of(shifts(), NIGHT, "desk-1", at("19:00")) is None  # nobody after
