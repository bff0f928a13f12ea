"""The weekly QA sample (issue 16, P11: quality checks sample recordings, more often for new
or weak agents).

Rule 1: each agent's sample for a week is `rate` of the calls it talked on that week,
chosen by a stable hash of the week and the call id: the same week gives the same
sample every time it is asked for, and a call's chance does not depend on the others.
Rule 2: the rate is `base` calls a week, `new` for an agent whose first login is less
than `new_days` before the week starts, `low` for one whose mean QA score over the
`score_days` before the week is below `low_score`; the higher of those that apply.
Rule 3: pure; calls, first logins and scores are handed in.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cti.domain.ids import AgentId, CallId, Instant

DAY = 86_400.0
MASK = (1 << 64) - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Rates:
    base: int = 2
    new: int = 4
    new_days: float = 30
    low: int = 4
    low_score: float = 80
    score_days: float = 30


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    agent: AgentId
    rate: int
    why: str  # "base", "new agent", "low score"
    calls: tuple[CallId, ...]


def rate_of(
    rates: Rates, week_start: Instant, first_login: Instant | None, scores: Sequence[float]
) -> tuple[int, str]:
    """Rule 2."""
    found = [(rates.base, "base")]
    if first_login is not None and week_start - first_login < rates.new_days * DAY:
        found.append((rates.new, "new agent"))
    if scores and sum(scores) / len(scores) < rates.low_score:
        found.append((rates.low, "low score"))
    return max(found, key=lambda pair: pair[0])


def sample(
    talked: Mapping[AgentId, Sequence[CallId]],
    week_start: Instant,
    rates: Rates,
    first_logins: Mapping[AgentId, Instant],
    scores: Mapping[AgentId, Sequence[float]],
) -> list[Sample]:
    """Rule 1: every agent who talked that week, by agent."""
    found = []
    for agent in sorted(talked):
        rate, why = rate_of(rates, week_start, first_logins.get(agent), scores.get(agent, ()))
        ranked = sorted(set(talked[agent]), key=lambda call: (_rank(week_start, call), call))
        found.append(Sample(agent=agent, rate=rate, why=why, calls=tuple(ranked[:rate])))
    return found


def _rank(week_start: Instant, call: CallId) -> int:
    """A stable pseudo-random rank: the call's CRC-32 and the week, through splitmix64's
    finaliser (CRC-32 alone is linear: one week's order would carry to the next)."""
    mixed = (zlib.crc32(call.encode()) << 32 | int(week_start) & 0xFFFFFFFF) & MASK
    mixed = ((mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    mixed = ((mixed ^ (mixed >> 27)) * 0x94D049BB133111EB) & MASK
    return mixed ^ (mixed >> 31)
