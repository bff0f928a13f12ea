"""What a campaign's calls measured, for the pacer (cti/domain/outbound/predictive.py): the share of
dials a person answers, and durations (answer delay, other ends, talk, wrap-up).

Rule 1: measurements follow the campaign as it changes: the person rate is exponentially
weighted over `memory` attempts, and each duration is an exponentially weighted histogram.
Rule 2: cold-start values are priors worth a few observations, which a few dozen calls
outweigh.
Rule 3: pure and immutable: every observation returns new statistics.
Rule 4: the connect time (an agent given an answered call, to connected: from the answer,
or from the offer when a held person waited for an agent to come free) is an exponentially
weighted mean over CONNECT_MEMORY connects: an agent freed later than the hold less the
connect time cannot take a held call in time, so the pacer's window is that (issue 18).
With agents on a nailed-up line it is a few tens of milliseconds; with phones rung after
the answer it is their ring and answer.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import accumulate, repeat
from operator import add, truediv
from typing import Final

RISK_POINTS: Final = (1 / 6, 1 / 2, 5 / 6)  # answer-delay quantiles the risk is taken at
CONNECT_MEMORY: Final = 50.0  # connects the connect time follows (exponential weighting)


@dataclass(frozen=True, slots=True, kw_only=True)
class Durations:
    """A measured duration as an exponentially weighted histogram: bins of `width` seconds,
    the last one also holding all longer. Each observation ages the older ones by `keep`
    (the next one weighs 1/keep more: `unit`), so it follows a campaign that changes."""

    width: float
    weights: tuple[float, ...]
    keep: float = 0.998
    unit: float = 1.0  # weight of the next observation
    cumulative: tuple[float, ...] = field(init=False, repr=False, compare=False)  # the CDF
    area: tuple[float, ...] = field(init=False, repr=False, compare=False)  # 2/width x its sum
    mean: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        total = sum(self.weights) or 1.0
        edges = tuple(map(truediv, accumulate(self.weights, initial=0.0), repeat(total)))
        area = tuple(accumulate(map(add, edges, edges[1:]), initial=0.0))  # trapezoids
        object.__setattr__(self, "cumulative", edges)
        object.__setattr__(self, "area", area)
        object.__setattr__(self, "mean", (len(self.weights) - area[-1] / 2) * self.width)

    @classmethod
    def prior(cls, width: float, bins: int, low: float, high: float) -> Durations:
        """A cold-start guess: five observations' worth spread evenly over [low, high)."""
        inside = [low <= (i + 0.5) * width < high for i in range(bins)]
        share = 5.0 / max(1, sum(inside))
        return cls(width=width, weights=tuple(share if x else 0.0 for x in inside))

    def observed(self, seconds: float) -> Durations:
        index = min(len(self.weights) - 1, max(0, int(seconds / self.width)))
        weights, unit = list(self.weights), self.unit / self.keep
        weights[index] += self.unit
        if unit > 1e12:  # rescale now and then, long before floats would suffer
            weights, unit = [w / unit for w in weights], 1.0
        return replace(self, weights=tuple(weights), unit=unit)

    def cdf(self, seconds: float) -> float:
        """Share of durations at or under `seconds` (linear inside a bin)."""
        x = min(max(seconds / self.width, 0.0), len(self.weights))
        i = min(int(x), len(self.weights) - 1)
        return self.cumulative[i] + (x - i) * (self.cumulative[i + 1] - self.cumulative[i])

    def shortfall(self, seconds: float) -> float:
        """E[max(0, seconds - duration)], the integral of the CDF up to `seconds`."""
        i = min(int(max(0.0, seconds / self.width)), len(self.weights))
        rest = (seconds - i * self.width) * (self.cdf(seconds) + self.cumulative[i])
        return (self.area[i] * self.width + rest) / 2

    def quantile(self, share: float) -> float:
        i = min(len(self.weights), max(1, bisect_left(self.cumulative, share))) - 1
        low, high = self.cumulative[i], self.cumulative[i + 1]
        return (i + min(1.0, (share - low) / (high - low) if high > low else 1.0)) * self.width


@dataclass(frozen=True, slots=True, kw_only=True)
class PacingStats:
    """What a campaign's calls measured: the share of dials a person answers, the time
    from dial to a person's answer and to any other end, talk and wrap-up. The cold-start
    values are priors that a few dozen calls outweigh."""

    person_rate: float = 0.25  # prior: a quarter of dials reach a person
    attempts: int = 0
    memory: float = 500.0  # attempts the person rate follows (exponential weighting)
    # priors (bin width, bins, from, to): answers within four rings, other ends from busy to
    # ring-out, talk about 2.5 minutes, wrap-up up to 40 s
    answer_delay: Durations = field(default_factory=partial(Durations.prior, 1.0, 60, 2.0, 24.0))
    no_person_end: Durations = field(default_factory=partial(Durations.prior, 1.0, 60, 0, 30.0))
    talk: Durations = field(default_factory=partial(Durations.prior, 10.0, 180, 30.0, 270.0))
    wrap_up: Durations = field(default_factory=partial(Durations.prior, 2.0, 150, 0.0, 40.0))
    # Rule 4: seconds from a person's answer to an agent connected; the prior is an agent
    # whose phone rings after the answer (the lab measured 0.88 s on average, issue 18)
    connect: float = 1.0
    connects: int = 0
    answer_points: tuple[float, ...] = field(init=False, repr=False, compare=False)
    answer_leads: tuple[float, ...] = field(init=False, repr=False, compare=False)
    wrap_up_median: float = field(init=False, repr=False, compare=False)
    handle_mean: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        points = tuple(self.answer_delay.quantile(q) for q in RISK_POINTS)
        object.__setattr__(self, "answer_points", points)
        leads = tuple(self.answer_delay.shortfall(t) for t in points)
        object.__setattr__(self, "answer_leads", leads)
        object.__setattr__(self, "wrap_up_median", self.wrap_up.quantile(0.5))
        object.__setattr__(self, "handle_mean", self.talk.mean + self.wrap_up.mean)

    def after_attempt(self, *, person: bool, seconds: float) -> PacingStats:
        """A dial ended: answered by a person after `seconds`, or ended otherwise."""
        weight = 1.0 / min(self.attempts + 20, self.memory)  # the prior counts as 20 dials
        rate = self.person_rate + weight * (float(person) - self.person_rate)
        delay = self.answer_delay.observed(seconds) if person else self.answer_delay
        other = self.no_person_end if person else self.no_person_end.observed(seconds)
        n = self.attempts + 1
        return replace(self, person_rate=rate, attempts=n, answer_delay=delay, no_person_end=other)

    def after_connect(self, seconds: float) -> PacingStats:
        """A person's answered call reached an agent `seconds` after the answer (rule 4)."""
        weight = 1.0 / min(self.connects + 2, CONNECT_MEMORY)  # the prior counts as 2
        connect = self.connect + weight * (max(0.0, seconds) - self.connect)
        return replace(self, connect=connect, connects=self.connects + 1)

    def after_call(self, *, talk: float, wrap_up: float) -> PacingStats:
        """A connected call's agent finished: `talk` seconds, then `wrap_up` seconds."""
        return replace(self, talk=self.talk.observed(talk), wrap_up=self.wrap_up.observed(wrap_up))
