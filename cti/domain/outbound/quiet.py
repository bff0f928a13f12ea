"""Quiet periods per number (issue 18, C5): the law protects the called person, so what an
abandoned or machine-answered call forbids holds for the number, across every campaign.

Rule 1: an abandoned call (no agent within the hold) keeps its number quiet for the dialling
campaign's `abandon_quiet` (72 h by default) from the attempt's end: no dial of it, by any
campaign, unless an agent is guaranteed (rule 3). Ofcom's persistent-misuse policy and the
TSR's abandonment rule.
Rule 2: a machine detected (AMD) keeps its number quiet until the end of that day in the
number's own time zone, unless an agent is guaranteed: AMD's false positives are people
hung up on (Ofcom 2010).
Rule 3: an agent is guaranteed only when a live agent is certain to be there when the
person answers: an agent on a nailed-up line (already in the call's media path,
cti/domain/nailed.py rule 5), reserved for the dial or making it from a preview. An agent
reserved who must still ring and answer is not a guarantee: a slow answer abandons the
person anyway; nor is a preview by such an agent, since our preview rings the customer
first and the agent after the answer.
Rule 4: the book of quiet numbers is the core's (AcdState.quiet): each attempt that ends
abandoned or machine updates it at once; at start the shell rebuilds it from the stored
attempts (QuietNumbers), and entries older than the horizon it names are forgotten.
Rule 5: an abandoned call of a number inside its quiet period is a finding (C5.repeat_abandon):
rules 1-3 make it impossible, so one found means a rule was broken.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from cti.domain.ids import Instant
from cti.domain.outbound.campaign import AttemptResult


@dataclass(frozen=True, slots=True, kw_only=True)
class NumberQuiet:
    """The last abandoned call and the last machine detected of one number."""

    abandoned_at: Instant | None = None
    machine_at: Instant | None = None

    def latest(self) -> Instant:
        return Instant(max(self.abandoned_at or 0.0, self.machine_at or 0.0))


QUIETENING = {AttemptResult.ABANDONED, AttemptResult.MACHINE}


def noted(before: NumberQuiet | None, result: AttemptResult, ended: Instant) -> NumberQuiet | None:
    """The number's entry after an attempt that ended with `result` (rule 4); None: no
    change."""
    quiet = before or NumberQuiet()
    if result is AttemptResult.ABANDONED:
        return NumberQuiet(
            abandoned_at=_later(quiet.abandoned_at, ended), machine_at=quiet.machine_at
        )
    if result is AttemptResult.MACHINE:
        return NumberQuiet(
            abandoned_at=quiet.abandoned_at, machine_at=_later(quiet.machine_at, ended)
        )
    return None


def merged(a: NumberQuiet | None, b: NumberQuiet) -> NumberQuiet:
    """Both entries' latest instants: the book rebuilt from the store meets what the core
    learnt since."""
    if a is None:
        return b
    return NumberQuiet(
        abandoned_at=_later(a.abandoned_at, b.abandoned_at),
        machine_at=_later(a.machine_at, b.machine_at),
    )


def abandon_quiet_until(quiet: NumberQuiet | None, period: float) -> Instant | None:
    """Rule 1: the end of the number's abandon quiet period, if it had an abandoned call."""
    if quiet is None or quiet.abandoned_at is None:
        return None
    return Instant(quiet.abandoned_at + period)


def machine_quiet_until(quiet: NumberQuiet | None, zone: tzinfo) -> Instant | None:
    """Rule 2: the next local midnight after the machine was detected."""
    if quiet is None or quiet.machine_at is None:
        return None
    day = datetime.fromtimestamp(quiet.machine_at, zone).date()
    midnight = datetime.combine(day + timedelta(days=1), time(0), zone)
    return Instant(midnight.timestamp())


def repeat_abandon(quiet: NumberQuiet | None, period: float, ended: Instant) -> bool:
    """Rule 5: this abandoned call came inside the number's abandon quiet period."""
    until = abandon_quiet_until(quiet, period)
    return until is not None and ended < until


def forget_before(book: Iterable[tuple[str, NumberQuiet]], horizon: Instant) -> list[str]:
    """The numbers whose every entry is older than the horizon (rule 4)."""
    return [number for number, quiet in book if quiet.latest() < horizon]


def _later(a: Instant | None, b: Instant | None) -> Instant | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
