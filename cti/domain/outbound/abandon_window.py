"""The law's abandon window (C5): person-answered and abandoned calls of the last
`length` seconds, per campaign, and the rate the pacer keeps at or under the cap.

Rule 1: an outcome counts when it is known: a connect, the end of the hold (abandoned),
never a call no person answered (NO_PERSON).
Rule 2: counts are kept in SLICES slices of the window (a minute of 24 hours); a slice
stays while any of it is inside the window, so the rate errs on the careful side.
Rule 3: pure and immutable, time handed in; `tally` rebuilds the window from stored
attempts after a restart, and gives the same window the live one would have.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from cti.domain.ids import Instant
from cti.domain.outbound.pacing import require

SLICES: Final = 1440  # the window is counted in length/1440 slices (a minute of 24 hours)


class Outcome(StrEnum):
    CONNECTED = "connected"  # a person answered and an agent took the call within the hold
    ABANDONED = "abandoned"  # a person answered and no agent came within the hold (the law)
    NO_PERSON = "no_person"  # no answer, busy, failed, machine: outside the rate


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    at: Instant  # when the outcome was known (connect, end of the hold, end of the dial)
    outcome: Outcome


@dataclass(frozen=True, slots=True, kw_only=True)
class AbandonWindow:
    """Person-answered and abandoned attempts of the last `length` seconds, counted in
    slices of length/SLICES; a slice stays while any of it is inside the window."""

    length: float
    answered: int = 0
    abandoned: int = 0
    slices: tuple[tuple[int, int, int], ...] = ()  # (slice, answered, abandoned), in order

    def __post_init__(self) -> None:
        require(0 < self.length < math.inf, f"window must be positive seconds, got {self.length}")

    @property
    def rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0

    def reached(self, cap: float) -> bool:
        """The rate is at or over `cap` (a fraction); never with nothing answered."""
        return self.answered > 0 and self.abandoned >= cap * self.answered

    def room(self, cap: float) -> float:
        """Abandons that could still happen now with the rate staying at or under `cap`."""
        return cap * self.answered - self.abandoned

    def record(self, at: Instant, outcome: Outcome) -> AbandonWindow:
        if outcome is Outcome.NO_PERSON:
            return self
        index, abandoned = self._slice(at), int(outcome is Outcome.ABANDONED)
        slices, pos = list(self.slices), len(self.slices)
        while pos and slices[pos - 1][0] > index:  # late news: rare, so a short walk back
            pos -= 1
        if pos and slices[pos - 1][0] == index:
            _, n, a = slices[pos - 1]
            slices[pos - 1] = (index, n + 1, a + abandoned)
        else:
            slices.insert(pos, (index, 1, abandoned))
        answered, abandoned = self.answered + 1, self.abandoned + abandoned
        return replace(self, answered=answered, abandoned=abandoned, slices=tuple(slices))

    def at(self, now: Instant) -> AbandonWindow:
        """The window as of `now`: slices wholly before now - length are dropped."""
        first = self._slice(Instant(now - self.length))
        if not self.slices or self.slices[0][0] >= first:
            return self
        keep = next((i for i, s in enumerate(self.slices) if s[0] >= first), len(self.slices))
        gone = self.slices[:keep]
        answered = self.answered - sum(s[1] for s in gone)
        abandoned = self.abandoned - sum(s[2] for s in gone)
        return replace(self, answered=answered, abandoned=abandoned, slices=self.slices[keep:])

    def _slice(self, at: Instant) -> int:
        return math.floor(at * SLICES / self.length)


def tally(attempts: Iterable[Attempt], now: Instant, length: float) -> AbandonWindow:
    """The window at `now` from stored attempts (after a restart); later ones are ignored."""
    empty = AbandonWindow(length=length)
    counts: dict[int, tuple[int, int]] = {}
    for attempt in attempts:
        if attempt.outcome is not Outcome.NO_PERSON and attempt.at <= now:
            n, a = counts.get(index := empty._slice(attempt.at), (0, 0))
            counts[index] = (n + 1, a + int(attempt.outcome is Outcome.ABANDONED))
    slices = tuple((i, n, a) for i, (n, a) in sorted(counts.items()))
    answered, abandoned = sum(s[1] for s in slices), sum(s[2] for s in slices)
    return replace(empty, answered=answered, abandoned=abandoned, slices=slices).at(now)
