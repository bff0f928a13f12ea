"""P16 in the pure core: each outbound seat's day against its targets (70-100 dials, 60-80
successes by default), a finding with staffing advice for each measure outside its range,
and the seats the day's volume needs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cti.domain.ids import AgentId, Instant
from cti.domain.outbound.campaign import SeatTargets
from cti.domain.outbound.seats import (
    ADVICE,
    NO_CALLS,
    Advice,
    Bound,
    Measure,
    SeatCount,
    SeatFinding,
    day_of,
    day_range,
    judge_seat,
    review,
    staffing,
)

P16 = SeatTargets()
ANN, BOB, CY = AgentId("1001"), AgentId("1002"), AgentId("1003")


def count(dials: int, successes: int) -> SeatCount:
    return SeatCount(dials=dials, successes=successes)


@pytest.mark.parametrize(
    ("dials", "successes"),
    [(70, 60), (100, 80), (85, 70), (70, 80), (100, 60)],
)
def test_a_seat_within_both_ranges_edges_included_has_no_finding(
    dials: int, successes: int
) -> None:
    assert judge_seat(ANN, count(dials, successes), P16) == ()


@pytest.mark.parametrize(
    ("seat", "measure", "bound", "limit", "advice"),
    [
        (count(69, 60), Measure.DIALS, Bound.MIN, 70, Advice.ADD_DIALLING),
        (count(101, 80), Measure.DIALS, Bound.MAX, 100, Advice.ADD_SEATS),
        (count(90, 59), Measure.SUCCESSES, Bound.MIN, 60, Advice.ADD_DIALLING),
        (count(90, 81), Measure.SUCCESSES, Bound.MAX, 80, Advice.ADD_SEATS),
    ],
)
def test_each_measure_outside_its_range_is_a_finding_with_its_advice(
    seat: SeatCount, measure: Measure, bound: Bound, limit: int, advice: Advice
) -> None:
    (finding,) = judge_seat(ANN, seat, P16)

    value = seat.dials if measure is Measure.DIALS else seat.successes
    assert finding == SeatFinding(
        rule=f"P16.seat_{measure}", agent=ANN, measure=measure, value=value, bound=bound,
        limit=limit, advice=advice,
    )  # fmt: skip


def test_too_many_dials_and_too_few_successes_are_two_findings_dials_first() -> None:
    found = judge_seat(ANN, count(120, 30), P16)

    assert [(f.measure, f.bound, f.advice) for f in found] == [
        (Measure.DIALS, Bound.MAX, Advice.ADD_SEATS),
        (Measure.SUCCESSES, Bound.MIN, Advice.ADD_DIALLING),
    ]


def test_the_campaigns_targets_replace_the_defaults() -> None:
    narrow = SeatTargets(min_dials=50, max_dials=60, min_successes=10, max_successes=20)

    assert judge_seat(ANN, count(55, 15), narrow) == ()
    assert [f.limit for f in judge_seat(ANN, count(70, 60), narrow)] == [60, 20]


def test_every_measure_and_bound_has_advice() -> None:
    assert set(ADVICE) == {(m, b) for m in Measure for b in Bound}


def test_too_much_volume_for_the_seats_that_worked_asks_for_more_seats() -> None:
    worked = staffing(2, count(450, 200), P16)

    assert worked.seats_needed == 5  # ceil(450 / 100)
    assert worked.seats_supported == 3  # floor(200 / 60)
    assert (worked.advice, worked.seats_short) == ((Advice.ADD_SEATS,), 3)


def test_too_little_volume_for_the_seats_that_worked_asks_for_more_dialling() -> None:
    worked = staffing(4, count(200, 150), P16)

    assert (worked.seats_needed, worked.seats_supported) == (2, 2)  # 200 dials: 2-2 seats
    assert worked.advice == (Advice.ADD_DIALLING,)
    assert (worked.dials_short, worked.successes_short) == (80, 90)  # 4 x 70 - 200, 4 x 60 - 150


def test_volume_that_fits_the_seats_needs_no_advice() -> None:
    worked = staffing(3, count(270, 200), P16)

    assert (worked.seats_needed, worked.seats_supported, worked.advice) == (3, 3, ())
    assert (worked.seats_short, worked.dials_short, worked.successes_short) == (0, 0, 0)


def test_too_few_successes_for_the_dials_asks_for_both_since_no_seat_count_fits() -> None:
    worked = staffing(5, count(1000, 100), P16)

    assert (worked.seats_needed, worked.seats_supported) == (10, 1)
    assert worked.advice == (Advice.ADD_SEATS, Advice.ADD_DIALLING)


def test_zero_bounds_bound_nothing_and_an_empty_day_needs_nothing() -> None:
    open_ended = SeatTargets(min_dials=0, max_dials=0, min_successes=0, max_successes=0)

    assert staffing(0, NO_CALLS, P16).advice == ()
    unbounded = staffing(3, count(500, 10), open_ended)
    assert (unbounded.seats_needed, unbounded.seats_supported, unbounded.advice) == (0, None, ())


def test_a_review_judges_each_seat_by_id_and_counts_unassigned_dials_in_the_volume() -> None:
    counts = {BOB: count(120, 85), ANN: count(80, 65), CY: count(40, 20)}

    found = review(counts, unassigned=count(60, 0), targets=P16)

    assert [seat.agent for seat in found.seats] == [ANN, BOB, CY]
    assert [len(seat.findings) for seat in found.seats] == [0, 2, 2]
    assert [(f.agent, f.advice) for f in found.findings] == [
        (BOB, Advice.ADD_SEATS), (BOB, Advice.ADD_SEATS),
        (CY, Advice.ADD_DIALLING), (CY, Advice.ADD_DIALLING),
    ]  # fmt: skip
    assert found.staffing.volume == count(300, 170)
    assert (found.staffing.seats, found.staffing.seats_needed) == (3, 3)


def test_a_day_is_the_utc_calendar_day_half_open() -> None:
    start, end = day_range(date(2027, 1, 15))

    assert start == datetime(2027, 1, 15, tzinfo=UTC).timestamp()
    assert end - start == 86_400
    assert day_of(start) == day_of(Instant(end - 1e-3)) == date(2027, 1, 15)
    assert day_of(end) == date(2027, 1, 16)
