"""Schedule adherence (cti/domain/compliance/adherence.py, issue 16, P14): on queue is
serving, a break is not serving, a grace after each change, the day clipped to now."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cti.domain.compliance.adherence import StateSpan, adherence
from cti.domain.compliance.schedule import Activity, local_activity
from cti.domain.ids import AgentId, Instant
from cti.domain.records import AgentState as S

ZONE = ZoneInfo("Europe/London")
A, B = AgentId("1001"), AgentId("1002")


def at(clock: str) -> Instant:
    hours, minutes = map(int, clock.split(":"))
    return Instant(datetime(2026, 12, 7, hours, minutes, tzinfo=ZONE).timestamp())


def plan(agent: AgentId = A) -> list[Activity]:
    spans = [
        ("09:00", "12:00", "on_queue"),
        ("12:00", "13:00", "lunch"),
        ("13:00", "17:00", "on_queue"),
    ]
    return [local_activity(agent, date(2026, 12, 7), s, e, ZONE, a) for s, e, a in spans]


def span(state: S, start: str, end: str | None, agent: AgentId = A) -> StateSpan:
    return StateSpan(
        agent=agent, state=state, start=at(start), end=None if end is None else at(end)
    )


DAY = (at("00:00"), at("23:59"))
EVENING = at("20:00")


def test_serving_on_queue_and_not_serving_at_lunch_is_full_adherence() -> None:
    spans = [span(S.AVAILABLE, "08:55", "10:00"), span(S.ON_CALL, "10:00", "12:00"),
             span(S.NOT_READY, "12:00", "13:00"), span(S.WRAP_UP, "13:00", "17:05")]  # fmt: skip
    [found] = adherence(plan(), spans, *DAY, EVENING)
    assert (found.scheduled, found.adherent, found.ratio, found.met) == (
        8 * 3600,
        8 * 3600,
        1.0,
        True,
    )
    assert found.by_activity == {"on_queue": (7 * 3600, 7 * 3600), "lunch": (3600, 3600)}


@pytest.mark.parametrize(
    ("spans", "out"),
    [
        (
            [span(S.AVAILABLE, "09:00", "12:00"), span(S.AVAILABLE, "13:00", "17:00")],
            0,
        ),  # logged out at lunch: fine
        (
            [span(S.AVAILABLE, "09:00", "12:10"), span(S.AVAILABLE, "13:00", "17:00")],
            600,
        ),  # 10 min into lunch
        (
            [span(S.AVAILABLE, "09:00", "12:00"), span(S.AVAILABLE, "13:01", "17:00")],
            0,
        ),  # back a minute late: grace
        (
            [span(S.AVAILABLE, "09:00", "12:00"), span(S.AVAILABLE, "13:02", "17:00")],
            120,
        ),  # 2 min: all of it
        (
            [
                span(S.AVAILABLE, "09:00", "10:00"),
                span(S.NOT_READY, "10:00", "10:15"),
                span(S.AVAILABLE, "10:15", "12:00"),
                span(S.AVAILABLE, "13:00", "17:00"),
            ],
            900,
        ),
    ],
)
def test_time_out_of_adherence_counts_against_it_past_the_grace(
    spans: list[StateSpan], out: float
) -> None:
    [found] = adherence(plan(), spans, *DAY, EVENING)
    assert found.scheduled - found.adherent == out
    assert found.met is (out <= 0.005 * 8 * 3600)  # 99.5 % of 8 h: 144 s out at most


def test_the_day_so_far_counts_the_state_going_on_and_nothing_scheduled_is_no_figure() -> None:
    [found] = adherence(plan(), [span(S.AVAILABLE, "09:00", None)], *DAY, at("10:30"))
    assert (found.scheduled, found.adherent) == (5400, 5400)
    assert adherence([], [span(S.AVAILABLE, "09:00", None)], *DAY, EVENING) == []
    [none] = adherence(plan(), [], at("18:00"), at("19:00"), EVENING)
    assert none.ratio is None and none.met is None
