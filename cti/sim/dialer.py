"""A discrete-event simulation of one outbound campaign, paced by the production pacer (C5).

Rule 1: deterministic for a seed: one random.Random(seed) draws everything, in event
order, and events are ordered by (instant, sequence number). Same seed, same Result.
Rule 2: the pacer is cti.domain.outbound.predictive.pace, unchanged. After every event, and after a
tick without one, the simulation hands it a Snapshot, the statistics measured so far
(updated from finished dials and calls, as production will) and the abandon window, and
starts the dials it asks for; they reserve agents when its effective mode is progressive.
Rule 3 (the model): `agents` agents logged in for the whole run, a contact list that never
runs out. A dial is answered by a person with probability `person_rate` after a ring time
uniform in [ring_min, ring_max]; otherwise it ends busy, failed or unreachable after a time
uniform in [quick_min, quick_max] (a `quick_share` of those) or rings out at
`ring_timeout`. Talk is lognormal (mean `talk_mean`, log-sd `talk_sigma`), wrap-up uniform
in [wrap_min, wrap_max]. A person answered with no agent ready is held `hold` seconds for
an agent (the longest-idle agent takes the oldest held call), then abandoned: the law's
abandon (the message it hears is not modelled; the call just counts).
Rule 4 (what is measured): occupancy = (talk + wrap-up) / logged-in time; an agent's wait
runs from the end of its wrap-up (or the start) to its next connect, so in progressive it
includes every ring it was reserved through. Figures cover [0, seconds], cold start
included: nothing is warmed up first.
Rule 5 (agents' lines, issue 18): the last `ringing` agents are rung after a person answers
and answer after a lognormal delay (median `answer_median`, log-sd `answer_sigma`: mean
about 0.85 s, 90 % within 0.5-1.4 s, 0.4 % slower than 2 s, as the lab's 0.3-1.7 s); the
others are on a nailed-up line and are connected after `nailed_min`-`nailed_max` seconds
(the lab measured 5-19 ms). A call whose connect would end after its hold is abandoned at
the hold, and a rung agent who missed it is not ready for `off_seconds` (taken off outbound,
until a supervisor makes it ready again). The connect time runs from the agent given the
call (at the answer, or when one came free for a held person) to connected: the line's
own delay, which feeds the pacer's statistics as in production. These draws come from a
random.Random of their own, so the contacts stay the same in every mode.
Rule 6 (quiet periods): an abandoned number comes back after `retry_abandoned` seconds,
inside its 72-hour quiet period, and is dialled only with a free agent on a nailed-up line
reserved for it (the guarantee); a second abandon of such a number is a repeat abandon,
which the rule makes impossible: the test holds every run to 0.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum

from cti.domain.ids import Instant
from cti.domain.outbound.abandon_window import AbandonWindow, Outcome
from cti.domain.outbound.pacing import DialMode, PacingConfig
from cti.domain.outbound.pacing_stats import PacingStats
from cti.domain.outbound.predictive import Busy, Phase, Ringing, Snapshot, pace


@dataclass(frozen=True, slots=True, kw_only=True)
class Model:
    agents: int
    person_rate: float  # share of dials a person answers
    seconds: float = 3 * 3600.0  # simulated run
    ring_min: float = 3.0  # a person answers after uniform [ring_min, ring_max] seconds
    ring_max: float = 20.0
    ring_timeout: float = 25.0  # no answer: the dialer gives up (about five rings)
    quick_share: float = 0.25  # of the other dials: busy, failed, unreachable
    quick_min: float = 1.0
    quick_max: float = 6.0
    talk_mean: float = 150.0  # lognormal talk
    talk_sigma: float = 0.8  # log-sd: coefficient of variation about 0.95
    wrap_min: float = 15.0
    wrap_max: float = 30.0
    hold: float = 2.0  # the law: connected within 2 s of the answer, or abandoned
    tick: float = 1.0  # the pacer also runs after this many seconds without an event
    ringing: int = 0  # rule 5: agents rung after the answer; the others on a nailed-up line
    nailed_min: float = 0.005  # a nailed-up agent is connected after uniform [min, max] s
    nailed_max: float = 0.02
    answer_median: float = 0.8  # a rung agent answers after a lognormal delay
    answer_sigma: float = 0.35
    off_seconds: float = 120.0  # a rung agent who missed the hold is not ready this long
    retry_abandoned: float = 300.0  # rule 6: an abandoned number comes back after this

    def __post_init__(self) -> None:
        if self.agents < 1 or not 0 < self.person_rate <= 1 or self.seconds <= 0:
            raise ValueError("model: agents >= 1, person_rate in (0, 1], seconds > 0")
        if not 0 < self.ring_min <= self.ring_max < self.ring_timeout or self.tick <= 0:
            raise ValueError("model: 0 < ring_min <= ring_max < ring_timeout, tick > 0")
        if not 0 <= self.ringing <= self.agents or not 0 <= self.nailed_min <= self.nailed_max:
            raise ValueError("model: 0 <= ringing <= agents, 0 <= nailed_min <= nailed_max")


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    mode: DialMode
    agents: int
    person_rate: float
    seed: int
    seconds: float
    dials: int
    answered: int  # by a person
    connected: int
    abandoned: int
    busy_seconds: float  # talk + wrap-up, inside the run
    agent_waits: float  # sum of waits between calls, in seconds
    max_ringing: int  # most calls ringing at once
    peak_abandon_pct: float  # highest running abandon rate once 30 were answered
    fallback_share: float  # share of predictive decisions taken as progressive
    connect_mean: float = 0.0  # seconds from an agent given the call to connected (rule 5)
    connect_p99: float = 0.0
    held: int = 0  # connected persons who waited for an agent to come free (rule 5)
    misses: int = 0  # rung agents who missed the hold, taken off outbound (rule 5)
    retries: int = 0  # abandoned numbers dialled again with a guaranteed agent (rule 6)
    repeat_abandons: int = 0  # ... and abandoned again: 0 by the rule

    @property
    def abandon_pct(self) -> float:
        return 100.0 * self.abandoned / self.answered if self.answered else 0.0

    @property
    def occupancy_pct(self) -> float:
        return 100.0 * self.busy_seconds / (self.agents * self.seconds)

    @property
    def held_pct(self) -> float:
        return 100.0 * self.held / self.connected if self.connected else 0.0

    @property
    def mean_wait(self) -> float:
        return self.agent_waits / self.connected if self.connected else 0.0

    @property
    def dials_per_agent_hour(self) -> float:
        """Dials per seat and hour (P16 counts them per seat and day: 70-100, 60-80 reached)."""
        return self.dials * 3600.0 / (self.agents * self.seconds)

    @property
    def connects_per_agent_hour(self) -> float:
        return self.connected * 3600.0 / (self.agents * self.seconds)


class _Kind(IntEnum):
    TICK = 0
    DIAL_END = 1  # answered by a person, or ended without one
    TALK_END = 2
    WRAP_END = 3
    HOLD_END = 4
    CONNECT = 5  # an agent assigned to an answered call is connected to it (rule 5)
    MISSED = 6  # ... or the hold ran out first: abandoned
    BACK = 7  # a rung agent taken off outbound is ready again


@dataclass(slots=True, kw_only=True)
class _Call:
    id: int
    ringing: Ringing
    person: bool
    talk: float
    wrap_up: float
    agent: int | None  # reserved for it (progressive)
    retry: bool = False  # an abandoned number dialled again (rule 6)
    answered_at: float = 0.0
    assigned_at: float = 0.0  # an agent was given it: at the answer, or when one came free


@dataclass(slots=True)
class _Counts:
    dials: int = 0
    answered: int = 0
    connected: int = 0
    abandoned: int = 0
    busy_seconds: float = 0.0
    waits: float = 0.0
    max_ringing: int = 0
    peak: float = 0.0
    decisions: int = 0
    fallbacks: int = 0
    connects: list[float] = field(default_factory=list)
    held: int = 0
    misses: int = 0
    retries: int = 0
    repeat_abandons: int = 0


def simulate(model: Model, mode: DialMode, seed: int, config: PacingConfig | None = None) -> Result:
    """Runs one campaign for model.seconds and returns what happened (rules 1-4)."""
    config = config or PacingConfig(mode=mode, hold=model.hold)
    if mode is DialMode.PREVIEW:
        raise ValueError("the simulator runs progressive and predictive campaigns, not preview")
    if config.mode is not mode:
        raise ValueError(f"config mode {config.mode} is not the mode simulated, {mode}")
    return _Run(model, config, seed).run()


class _Run:
    def __init__(self, model: Model, config: PacingConfig, seed: int) -> None:
        self.model, self.config, self.seed = model, config, seed
        self.rng = random.Random(seed)
        self.now = 0.0
        self.events: list[tuple[float, int, _Kind, int]] = []
        self.seq = 0
        self.stats = PacingStats()
        self.window = AbandonWindow(length=config.window)
        self.ready: deque[int] = deque(range(model.agents))  # longest idle first
        self.idle_since = [0.0] * model.agents
        self.busy: dict[int, Busy] = {}
        self.talks: dict[int, float] = {}  # agent -> talk seconds of its current call
        self.calls: dict[int, _Call] = {}  # ringing
        self.held: dict[int, _Call] = {}  # answered by a person, waiting for an agent
        self.ids = itertools.count(1)
        self.counts = _Counts()
        self.lines = random.Random(seed * 7919 + 1)  # rule 5's draws, apart from contacts'
        self.rung = frozenset(range(model.agents - model.ringing, model.agents))
        self.assigned: dict[int, tuple[int, _Call]] = {}  # call -> (agent, call) connecting
        self.retries: deque[float] = deque()  # rule 6: when each abandoned number is due

    def run(self) -> Result:
        self._push(0.0, _Kind.TICK, 0)
        end, quiet = self.model.seconds, 0.0  # quiet: when a tick must pace again
        while self.events and self.events[0][0] <= end:
            at, _, kind, ref = heapq.heappop(self.events)
            self.now = at
            if kind is _Kind.TICK:
                self._push(at + self.model.tick if at >= quiet else quiet, _Kind.TICK, 0)
                if at < quiet:
                    continue  # an event paced less than a tick ago
            else:
                self._handle(kind, ref)
            self._pace()
            quiet = at + self.model.tick
        return self._result()

    def _push(self, at: float, kind: _Kind, ref: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, ref))

    def _handle(self, kind: _Kind, ref: int) -> None:
        match kind:
            case _Kind.TICK:
                pass  # run() keeps the tick
            case _Kind.DIAL_END:
                self._dial_end(self.calls.pop(ref))
            case _Kind.TALK_END:
                self.busy[ref] = Busy(phase=Phase.WRAP_UP, since=Instant(self.now))
            case _Kind.WRAP_END:
                self._agent_free(ref)
            case _Kind.HOLD_END:
                held = self.held.pop(ref, None)
                if held is not None:
                    self._abandoned(held)
            case _Kind.CONNECT:
                agent, call = self.assigned.pop(ref)
                self._connected(agent, call)
            case _Kind.MISSED:
                agent, call = self.assigned.pop(ref)
                self._abandoned(call)
                if agent in self.rung:
                    self.counts.misses += 1  # production: not ready "no answer"
                    self._push(self.now + self.model.off_seconds, _Kind.BACK, agent)
                else:
                    self.ready.append(agent)
            case _Kind.BACK:
                self.idle_since[ref] = self.now
                self.ready.append(ref)

    def _pace(self) -> None:
        self._dial_retries()  # their agents are reserved before the pacer counts the ready
        snapshot = Snapshot(
            now=Instant(self.now),
            logged_in=self.model.agents,
            ready=len(self.ready),
            busy=tuple(self.busy.values()),
            ringing=tuple(c.ringing for c in self.calls.values()),
            waiting=len(self.held),
        )
        decision = pace(snapshot, config=self.config, stats=self.stats, window=self.window)
        if self.config.mode is DialMode.PREDICTIVE:
            self.counts.decisions += 1
            self.counts.fallbacks += decision.mode is DialMode.PROGRESSIVE
        reserve = decision.mode is DialMode.PROGRESSIVE
        for _ in range(decision.dials):
            self._dial(self.ready.popleft() if reserve else None)
        self.counts.max_ringing = max(self.counts.max_ringing, len(self.calls))

    def _dial_retries(self) -> None:
        """Rule 6: a number inside its quiet period only with a nailed-up agent reserved."""
        while self.retries and self.retries[0] <= self.now:
            agent = next((a for a in self.ready if a not in self.rung), None)
            if agent is None:
                return
            self.retries.popleft()
            self.ready.remove(agent)
            self.counts.retries += 1
            self._dial(agent, retry=True)

    def _dial(self, agent: int | None, *, retry: bool = False) -> None:
        """The next contact of the list: all it will do is drawn now, in the same order in
        every mode, so two modes run with one seed meet the same contacts (a retry's draws
        are rule 5's generator's)."""
        m, rng = self.model, self.lines if retry else self.rng
        self.counts.dials += 1
        person = rng.random() < m.person_rate
        if person:
            lasts = rng.uniform(m.ring_min, m.ring_max)
        elif rng.random() < m.quick_share:
            lasts = rng.uniform(m.quick_min, m.quick_max)
        else:
            lasts = m.ring_timeout
        talk = rng.lognormvariate(math.log(m.talk_mean) - m.talk_sigma**2 / 2, m.talk_sigma)
        call = _Call(
            id=next(self.ids),
            ringing=Ringing(since=Instant(self.now), reserved=agent is not None),
            person=person,
            talk=talk,
            wrap_up=rng.uniform(m.wrap_min, m.wrap_max),
            agent=agent,
            retry=retry,
        )
        self.calls[call.id] = call
        self._push(self.now + lasts, _Kind.DIAL_END, call.id)

    def _dial_end(self, call: _Call) -> None:
        rang = self.now - call.ringing.since
        self.stats = self.stats.after_attempt(person=call.person, seconds=rang)
        if not call.person:
            if call.agent is not None:
                self.ready.appendleft(call.agent)  # still the longest idle
            return
        self.counts.answered += 1
        call.answered_at = self.now
        if call.agent is not None:
            self._connect(call.agent, call)
        elif self.ready:
            self._connect(self.ready.popleft(), call)
        else:
            self.held[call.id] = call
            self._push(self.now + self.model.hold, _Kind.HOLD_END, call.id)

    def _connect(self, agent: int, call: _Call) -> None:
        """Rule 5: the agent is connected after its line's delay, or misses the hold."""
        m = self.model
        if agent in self.rung:
            delay = self.lines.lognormvariate(math.log(m.answer_median), m.answer_sigma)
        else:
            delay = self.lines.uniform(m.nailed_min, m.nailed_max)
        self.assigned[call.id] = (agent, call)
        call.assigned_at = self.now
        deadline = call.answered_at + m.hold
        if self.now + delay > deadline:
            self._push(deadline, _Kind.MISSED, call.id)
        else:
            self._push(self.now + delay, _Kind.CONNECT, call.id)

    def _abandoned(self, call: _Call) -> None:
        if call.retry:
            self.counts.repeat_abandons += 1
        else:
            self.retries.append(self.now + self.model.retry_abandoned)
        self._outcome(Outcome.ABANDONED)

    def _connected(self, agent: int, call: _Call) -> None:
        counts, talk, wrap = self.counts, call.talk, call.wrap_up
        # Rule 5: the line's connect time, from the agent given the call; a person held
        # for an agent to come free waited longer, which is the pacer's risk, not the line's.
        connect = self.now - call.assigned_at
        counts.connects.append(connect)
        counts.held += call.assigned_at > call.answered_at
        self.stats = self.stats.after_connect(connect)
        counts.waits += self.now - self.idle_since[agent]
        self.talks[agent] = talk
        counts.busy_seconds += min(self.now + talk + wrap, self.model.seconds) - self.now
        self.busy[agent] = Busy(phase=Phase.TALK, since=Instant(self.now))
        self._push(self.now + talk, _Kind.TALK_END, agent)
        self._push(self.now + talk + wrap, _Kind.WRAP_END, agent)
        self._outcome(Outcome.CONNECTED)

    def _agent_free(self, agent: int) -> None:
        wrap = self.now - self.busy.pop(agent).since
        self.stats = self.stats.after_call(talk=self.talks.pop(agent), wrap_up=wrap)
        self.idle_since[agent] = self.now
        if self.held:
            self._connect(agent, self.held.pop(next(iter(self.held))))  # the oldest held
        else:
            self.ready.append(agent)

    def _outcome(self, outcome: Outcome) -> None:
        counts = self.counts
        counts.connected += outcome is Outcome.CONNECTED
        counts.abandoned += outcome is Outcome.ABANDONED
        self.window = self.window.record(Instant(self.now), outcome).at(Instant(self.now))
        if counts.answered >= 30:
            counts.peak = max(counts.peak, 100.0 * counts.abandoned / counts.answered)

    def _result(self) -> Result:
        c = self.counts
        return Result(
            mode=self.config.mode,
            agents=self.model.agents,
            person_rate=self.model.person_rate,
            seed=self.seed,
            seconds=self.model.seconds,
            dials=c.dials,
            answered=c.answered,
            connected=c.connected,
            abandoned=c.abandoned,
            busy_seconds=c.busy_seconds,
            agent_waits=c.waits,
            max_ringing=c.max_ringing,
            peak_abandon_pct=c.peak,
            fallback_share=c.fallbacks / c.decisions if c.decisions else 0.0,
            connect_mean=sum(c.connects) / len(c.connects) if c.connects else 0.0,
            connect_p99=_p99(c.connects),
            held=c.held,
            misses=c.misses,
            retries=c.retries,
            repeat_abandons=c.repeat_abandons,
        )


def _p99(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
