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
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import deque
from dataclasses import dataclass
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

    def __post_init__(self) -> None:
        if self.agents < 1 or not 0 < self.person_rate <= 1 or self.seconds <= 0:
            raise ValueError("model: agents >= 1, person_rate in (0, 1], seconds > 0")
        if not 0 < self.ring_min <= self.ring_max < self.ring_timeout or self.tick <= 0:
            raise ValueError("model: 0 < ring_min <= ring_max < ring_timeout, tick > 0")


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

    @property
    def abandon_pct(self) -> float:
        return 100.0 * self.abandoned / self.answered if self.answered else 0.0

    @property
    def occupancy_pct(self) -> float:
        return 100.0 * self.busy_seconds / (self.agents * self.seconds)

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


@dataclass(slots=True, kw_only=True)
class _Call:
    id: int
    ringing: Ringing
    person: bool
    talk: float
    wrap_up: float
    agent: int | None  # reserved for it (progressive)


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
                if self.held.pop(ref, None) is not None:
                    self._outcome(Outcome.ABANDONED)

    def _pace(self) -> None:
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

    def _dial(self, agent: int | None) -> None:
        """The next contact of the list: all it will do is drawn now, in the same order in
        every mode, so two modes run with one seed meet the same contacts."""
        m, rng = self.model, self.rng
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
        if call.agent is not None:
            self._connect(call.agent, call)
        elif self.ready:
            self._connect(self.ready.popleft(), call)
        else:
            self.held[call.id] = call
            self._push(self.now + self.model.hold, _Kind.HOLD_END, call.id)

    def _connect(self, agent: int, call: _Call) -> None:
        counts, talk, wrap = self.counts, call.talk, call.wrap_up
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
        )
