"""P16 for outbound seats: a seat's day judged against its targets, and the staffing advice.

Rule 1: a seat's day is judged measure by measure (dials, then successes) against the
SeatTargets in force (the campaign's, else the defaults: 70-100 dials, 60-80 successes).
Each measure below its minimum or above its maximum is one SeatFinding that names the
bound it broke; a seat within both ranges has none.
Rule 2: the advice follows the measure and the bound, from ADVICE (P16: "outside that
range, add seats or add dialing"): too many dials or successes for one seat means more
seats; too few means more dialling (more contacts, faster pacing), since the seat has
room for more calls.
Rule 3: the day's staffing compares the seats that dialled with the seats the volume
needs: `seats_needed` is the fewest seats that keep the average seat at or under both
maxima (ceil(dials / max_dials), ceil(successes / max_successes)); `seats_supported` is
the most seats the volume keeps at or over both minima (floor(dials / min_dials), ...).
Fewer seats than needed: add seats; more than supported: add dialling. Both at once when
no number of seats fits (say, too few successes for the dials). A zero maximum or minimum
bounds nothing and is left out. The volume counts every dial of the day, also
those no seat was attached to yet (a predictive dial nobody answered).
Rule 4: a day is a calendar day in UTC, [00:00, 24:00): no setting names the centre's own
time zone. Pure: counts and targets in, values out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final

from cti.domain.ids import AgentId, Instant
from cti.domain.outbound.campaign import SeatTargets


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatCount:
    """An outbound seat's dials (preview skips excluded) and successes (connected) in a day."""

    dials: int
    successes: int

    def __add__(self, other: SeatCount) -> SeatCount:
        return SeatCount(dials=self.dials + other.dials, successes=self.successes + other.successes)


NO_CALLS: Final = SeatCount(dials=0, successes=0)


class Measure(StrEnum):
    DIALS = "dials"
    SUCCESSES = "successes"


class Bound(StrEnum):
    MIN = "min"
    MAX = "max"


class Advice(StrEnum):
    ADD_DIALLING = "add_dialling"
    ADD_SEATS = "add_seats"


M, B, A = Measure, Bound, Advice
ADVICE: Final[Mapping[tuple[Measure, Bound], Advice]] = {
    (M.DIALS, B.MIN): A.ADD_DIALLING,
    (M.DIALS, B.MAX): A.ADD_SEATS,
    (M.SUCCESSES, B.MIN): A.ADD_DIALLING,
    (M.SUCCESSES, B.MAX): A.ADD_SEATS,
}
ADVICE_TEXT: Final[Mapping[Advice, str]] = {
    A.ADD_DIALLING: "add dialling: more contacts or faster pacing",
    A.ADD_SEATS: "add seats",
}
RULE: Final[Mapping[Measure, str]] = {M.DIALS: "P16.seat_dials", M.SUCCESSES: "P16.seat_successes"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatFinding:
    """One measure of one seat's day outside its range: the evidence and the advice."""

    rule: str
    agent: AgentId
    measure: Measure
    value: int
    bound: Bound
    limit: int
    advice: Advice


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatDay:
    agent: AgentId
    count: SeatCount
    findings: tuple[SeatFinding, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Staffing:
    """The day's volume against the seats that worked it (rule 3)."""

    seats: int  # seats that dialled
    volume: SeatCount  # every dial of the day, a seat's or not
    seats_needed: int
    seats_supported: int | None  # None: no minimum bounds it
    seats_short: int  # seats to add to reach seats_needed
    dials_short: int  # dials the seats that worked lacked to reach their minimum together
    successes_short: int  # the same for successes
    advice: tuple[Advice, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatReview:
    seats: tuple[SeatDay, ...]  # by agent id
    staffing: Staffing

    @property
    def findings(self) -> tuple[SeatFinding, ...]:
        return tuple(finding for seat in self.seats for finding in seat.findings)


def _ranges(count: SeatCount, targets: SeatTargets) -> Iterable[tuple[Measure, int, int, int]]:
    yield M.DIALS, count.dials, targets.min_dials, targets.max_dials
    yield M.SUCCESSES, count.successes, targets.min_successes, targets.max_successes


def judge_seat(agent: AgentId, count: SeatCount, targets: SeatTargets) -> tuple[SeatFinding, ...]:
    """The seat's findings for the day (rules 1 and 2); none when it is within range."""
    found = []
    for measure, value, low, high in _ranges(count, targets):
        if value < low:
            bound, limit = B.MIN, low
        elif value > high:
            bound, limit = B.MAX, high
        else:
            continue
        found.append(
            SeatFinding(rule=RULE[measure], agent=agent, measure=measure, value=value,
                        bound=bound, limit=limit, advice=ADVICE[measure, bound])
        )  # fmt: skip
    return tuple(found)


def staffing(seats: int, volume: SeatCount, targets: SeatTargets) -> Staffing:
    """The seats the day's volume needs and keeps busy, and the advice (rule 3)."""
    ranges = list(_ranges(volume, targets))
    needed = max((math.ceil(total / high) for _, total, _, high in ranges if high), default=0)
    supported = min((total // low for _, total, low, _ in ranges if low), default=None)
    advice = []
    if seats < needed:
        advice.append(A.ADD_SEATS)
    if supported is not None and seats > supported:
        advice.append(A.ADD_DIALLING)
    return Staffing(
        seats=seats, volume=volume, seats_needed=needed, seats_supported=supported,
        seats_short=max(0, needed - seats),
        dials_short=max(0, seats * targets.min_dials - volume.dials),
        successes_short=max(0, seats * targets.min_successes - volume.successes),
        advice=tuple(advice),
    )  # fmt: skip


def review(
    counts: Mapping[AgentId, SeatCount], unassigned: SeatCount, targets: SeatTargets
) -> SeatReview:
    """Every seat's day judged, by agent id, and the day's staffing."""
    seats = tuple(
        SeatDay(agent=agent, count=count, findings=judge_seat(agent, count, targets))
        for agent, count in sorted(counts.items())
    )
    volume = sum(counts.values(), unassigned)
    return SeatReview(seats=seats, staffing=staffing(len(counts), volume, targets))


def day_range(day: date) -> tuple[Instant, Instant]:
    """The day as [start, end) in epoch seconds (rule 4: UTC)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return Instant(start.timestamp()), Instant((start + timedelta(days=1)).timestamp())


def day_of(at: Instant) -> date:
    """The day (rule 4) that holds the instant."""
    return datetime.fromtimestamp(at, UTC).date()
