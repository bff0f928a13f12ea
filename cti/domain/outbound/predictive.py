"""The predictive model: how many calls a campaign dials now, within the legal abandon
cap (C5; the law is cti/domain/outbound/pacing.py's docstring).

Rule 1 (modes): PREVIEW never dials by itself (the agent starts each call, P25).
PROGRESSIVE dials one call per ready agent no call in flight covers, the agent reserved
before the dial: no abandons, but the agent waits through every ring. PREDICTIVE dials
ahead of the agents (rule 3); its calls reserve nobody.
Rule 2 (the cap): predictive dials ahead only while one more abandon would keep the rate
at or under the cap (abandoned + 1 <= cap x answered in the window), else it acts as
progressive: so a new campaign starts until it has earned room, so it falls back at the
cap. It grows careful on the way: the risk it accepts is max_risk, shrunk linearly from
careful_from x cap to nothing at the cap, and in proportion to the room while fewer than
full_room abandons fit (a small or young campaign cannot absorb a bad minute).
Rule 3 (predictive): one call for each ready agent no call covers (safe: every answer
finds an agent), then one more at a time while (a) its *risk*, the chance that it finds no
agent if a person answers it, is within the accepted risk and (b) the calls ringing have
under BURST_RISK chance to abandon more than the window has room for. The risk is the mean
over three instants T (answer-delay quantiles 1/6, 1/2, 5/6) of P(answers before T >=
agents ready + agents free by T + hold - connect time). Answers before T: held calls;
each ringing call's chance that a person answers it by T, given how long it has rung; the
other new calls'; and calls dialled meanwhile for freeing agents, which overtake this one.
Agents free: each busy agent's chance from its phase and time in it. All from measured
delays, talk and wrap-up. Each count, a sum of independent chances, is taken as the binomial
of its mean and variance: a normal law understates the tails (the abandons) several times.
Rule 4 (runaway guard): never more calls ringing than max_lines_per_agent x logged-in
agents. Rule 5: pure and immutable, time handed in; the shell keeps the statistics and the
window current, and `tally` rebuilds the window from stored attempts after a restart.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate
from typing import Final

from cti.domain.ids import Instant
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.pacing import DialMode, PacingConfig, require
from cti.domain.outbound.pacing_stats import RISK_POINTS, PacingStats

BURST_RISK: Final = 0.005  # accepted chance that the calls ringing overrun the room


class Phase(StrEnum):
    TALK = "talk"
    WRAP_UP = "wrap_up"


@dataclass(frozen=True, slots=True, kw_only=True)
class Busy:
    phase: Phase
    since: Instant  # when this phase began


@dataclass(frozen=True, slots=True, kw_only=True)
class Ringing:
    since: Instant  # when the dial started
    reserved: bool = False  # an agent waits for this call alone (progressive)


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    now: Instant
    logged_in: int  # every logged-in agent, ready or not
    ready: int  # ready and not reserved for a call
    busy: tuple[Busy, ...] = ()  # on a call or in wrap-up
    ringing: tuple[Ringing, ...] = ()  # dialled, not yet answered or failed
    waiting: int = 0  # answered by a person, held for an agent (at most `hold`)

    def __post_init__(self) -> None:
        ok = min(self.ready, self.waiting) >= 0 and self.ready + len(self.busy) <= self.logged_in
        require(ok, "snapshot: ready, busy, waiting must be counts within the logged-in agents")


@dataclass(frozen=True, slots=True, kw_only=True)
class Pace:
    dials: int  # calls to start now
    mode: DialMode  # the mode that decided (predictive falls back to progressive)
    level: float  # unreserved calls ringing or held, after dialling, per agent available
    risk: float = 0.0  # predictive: estimated risk of the last call it dialled (rule 3)
    accepted: float = 0.0  # predictive: the risk it accepted, after rule 2
    guarded: bool = False  # the runaway guard cut the dials


def pace(
    snapshot: Snapshot, *, config: PacingConfig, stats: PacingStats, window: AbandonWindow
) -> Pace:
    """How many calls to dial now, and in which effective mode (rules 1-4)."""
    match config.mode:
        case DialMode.PREVIEW:
            return Pace(dials=0, mode=DialMode.PREVIEW, level=0.0)
        case DialMode.PROGRESSIVE:
            return _progressive(snapshot, config)
        case DialMode.PREDICTIVE:
            current = window.at(snapshot.now)
            room = current.room(config.abandon_cap)
            if room < 1.0:
                return _progressive(snapshot, config)
            accepted = config.max_risk * caution(current, config)
            return _predictive(snapshot, config, stats, accepted, room)


def caution(window: AbandonWindow, config: PacingConfig) -> float:
    """Share of max_risk accepted (rule 2): by the rate, 1 up to careful_from x cap, then
    down linearly to 0 at the cap; by the room, in proportion up to full_room abandons."""
    cap = config.abandon_cap
    by_rate = (cap - window.rate) / (cap - config.careful_from * cap)
    by_room = window.room(cap) / config.full_room
    return min(1.0, max(0.0, min(by_rate, by_room)))


def _guard(snapshot: Snapshot, config: PacingConfig, wanted: int) -> tuple[int, bool]:
    lines = math.floor(config.max_lines_per_agent * snapshot.logged_in)
    allowed = max(0, lines - len(snapshot.ringing))
    return min(wanted, allowed), wanted > allowed


def _uncovered(snapshot: Snapshot) -> tuple[int, int]:
    """(unreserved calls ringing or held, ready agents no such call will take)."""
    unreserved = snapshot.waiting + sum(1 for c in snapshot.ringing if not c.reserved)
    return unreserved, max(0, snapshot.ready - unreserved)


def _progressive(snapshot: Snapshot, config: PacingConfig) -> Pace:
    unreserved, uncovered = _uncovered(snapshot)
    dials, guarded = _guard(snapshot, config, uncovered)
    level = (unreserved + dials) / max(1, snapshot.ready)
    return Pace(dials=dials, mode=DialMode.PROGRESSIVE, level=level, guarded=guarded)


def _predictive(
    snapshot: Snapshot, config: PacingConfig, stats: PacingStats, accepted: float, room: float
) -> Pace:
    unreserved, floor = _uncovered(snapshot)
    points, available = _points(snapshot, config, stats)
    limit = math.floor(config.max_lines_per_agent * snapshot.logged_in) - len(snapshot.ringing)
    short = snapshot.ready - snapshot.waiting  # answers the ready agents take before any wait
    over = math.floor(room) + 1  # abandons that would take the rate over the cap

    def exceeds(others: int) -> bool:
        budget, total = accepted * len(points), 0.0
        for point in reversed(points):  # the late points are the risky ones: stop early
            total += point.risk(others, short)
            if total > budget:
                return True
        return points[-1].risk(others + 1, short + over) > BURST_RISK

    dials, guarded = _guard(snapshot, config, _first(floor, limit + 1, exceeds))
    last = sum(p.risk(dials - 1, short) for p in points) / len(points) if dials > floor else 0.0
    level = (unreserved + dials) / max(1.0, available)
    mode = DialMode.PREDICTIVE
    return Pace(dials=dials, mode=mode, level=level, risk=last, accepted=accepted, guarded=guarded)


def _first(low: int, high: int, exceeds: Callable[[int], bool]) -> int:
    """The first n in [low, high) with exceeds(n) (monotone), else high: gallop, halve."""
    if low >= high or exceeds(low):
        return low
    ok, step = low, 1
    while ok + step < high and not exceeds(ok + step):
        ok, step = ok + step, step * 2
    return ok + 1 + bisect_left(range(ok + 1, min(high, ok + step)), True, key=exceeds)


@dataclass(frozen=True, slots=True)
class _Point:
    """An instant T a new call may be answered at: answers before T without new calls (mean,
    variance), a new call's chance of one, and P(agents free by T + hold <= f) by f."""

    answers: float
    spread: float
    new: float
    freed: tuple[float, ...]

    def risk(self, others: int, short: int) -> float:
        """P(answers before T >= short + agents freed), with `others` new calls: the sum over
        i answers of P(i) x P(freed <= i - short); all past `top`, where freed always is."""
        top = short + len(self.freed) - 2
        if top < 0:
            return 1.0
        mean = self.answers + others * self.new
        spread = self.spread + others * self.new * (1.0 - self.new)
        total, below = 0.0, 0.0
        for i, chance in enumerate(_pmf(mean, spread, top)):
            below += chance
            if i >= short:
                total += chance * self.freed[i - short]
        return total + max(0.0, 1.0 - below)


def _points(
    snapshot: Snapshot, config: PacingConfig, stats: PacingStats
) -> tuple[list[_Point], float]:
    """The risk points, and the agents ready or free by the middle one."""
    now, width = snapshot.now, stats.answer_delay.width
    # ringing calls by the answer-delay bins they rang: calls that rang as long count once
    rang = Counter(int((now - c.since) / width) for c in snapshot.ringing if not c.reserved)
    means, spreads = _answers(rang, stats)
    # pacing_stats rule 4: an agent freed after the hold less the connect time is too late
    hold = max(0.0, config.hold - stats.connect)
    reach = stats.answer_points[-1] + hold
    busy = [a for a in snapshot.busy if a.phase is Phase.WRAP_UP or reach > stats.wrap_up_median]
    within = [t + hold for t in stats.answer_points]
    by_agent = [_free_by(a, now, within, stats) for a in busy]
    frees = len(snapshot.busy) / max(1.0, stats.handle_mean)  # agents freeing per second
    points, available = [], 0.0
    for k, t in enumerate(stats.answer_points):
        later = frees * stats.answer_leads[k]  # answers before T to calls dialled meanwhile
        freeing = [f[k] for f in by_agent]
        available += sum(freeing) if k == len(RISK_POINTS) // 2 else 0.0
        freed = list(accumulate(_pmf(sum(freeing), sum(f * (1 - f) for f in freeing), len(busy))))
        while len(freed) > 1 and freed[-2] > 1.0 - 1e-9:
            freed.pop()  # a shorter sum in every risk()
        new = stats.person_rate * stats.answer_delay.cdf(t)
        points.append(_Point(later + means[k], later + spreads[k], new, tuple(freed)))
    return points, snapshot.ready + available


def _answers(rang: Counter[int], stats: PacingStats) -> tuple[list[float], list[float]]:
    """Per risk point T, mean and variance of the answers before T from the calls ringing,
    counted by the answer-delay bins they have rung: each one's chance that a person
    answers it within T, given that it has rung that long without ending."""
    p, delay, other = stats.person_rate, stats.answer_delay, stats.no_person_end
    cumulative, others = delay.cumulative, other.cumulative  # CDFs at bin edges
    last, other_last, ratio = len(cumulative) - 1, len(others) - 1, delay.width / other.width
    steps = [round(t / delay.width) for t in stats.answer_points]
    means, spreads = [0.0] * len(steps), [0.0] * len(steps)
    cumulative += (1.0,) * (max(steps) + 1)  # so that a bin past the last one reads 1
    for bins, count in rang.items():
        rung = min(bins, last)
        done = cumulative[rung]
        alive = p * (1.0 - done) + (1.0 - p) * (1.0 - others[min(int(rung * ratio), other_last)])
        if alive <= 1e-9:
            continue
        scale = p / alive
        for k, step in enumerate(steps):
            a = scale * (cumulative[rung + step] - done)
            means[k] += count * a
            spreads[k] += count * a * (1.0 - a)
    return means, spreads


def _free_by(agent: Busy, now: Instant, within: list[float], stats: PacingStats) -> list[float]:
    """P(a busy agent is free within each of `within` seconds), from its phase and time in
    it; in talk, a typical (median) wrap-up follows."""
    elapsed = now - agent.since
    if agent.phase is Phase.WRAP_UP:
        phase, left = stats.wrap_up, within
    else:
        phase, left = stats.talk, [t - stats.wrap_up_median for t in within]
    done = phase.cdf(elapsed)
    if done >= 1.0 - 1e-9:
        return [0.0 for _ in within]  # past all measured: no forecast, the careful answer
    return [max(0.0, phase.cdf(elapsed + t) - done) / (1.0 - done) if t > 0 else 0.0 for t in left]


def _pmf(mean: float, variance: float, most: int) -> list[float]:
    """P(count = i) for i up to `most`, for a count of independent chances with this mean
    and variance: the binomial with that mean and (n rounded) variance; Poisson when the
    chances are all small; a certain count when there is no spread."""
    q = variance / mean if mean > 1e-12 else 0.0  # a binomial's variance is mean x (1 - p)
    if q < 1e-9:
        return [float(i == round(mean)) for i in range(min(round(mean), most) + 1)]
    if q > 1.0 - 1e-9:
        term, a, b, count = math.exp(-mean), mean, 0.0, most
    else:
        n = max(round(mean / (1.0 - q)), math.floor(mean) + 1)  # n > mean: p < 1
        odds = mean / (n - mean)  # p / (1 - p) with p = mean / n
        term, a, b, count = (1.0 - mean / n) ** n, n * odds, odds, min(n, most)
    probs = []
    for i in range(count + 1):  # P(i + 1) = P(i) x (a - i b) / (i + 1)
        probs.append(term)
        term *= (a - i * b) / (i + 1)
    return probs
