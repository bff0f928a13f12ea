"""Benchmark: decisions per second of the pure core at contact-centre scale.

    python bench/core_decisions.py [--agents 1000] [--waiting 500] [--cycles 4000]

The core holds `agents` logged-in agents, all on calls, and `waiting` callers in line
across ten queues. Each measured cycle is the life of one call slot, seven inputs:
the oldest talk's caller hangs up (HangupRequested, ChannelHungUp), its agent ends wrap-up
(EndWrapUp: the agent is free, so the core routes the head of the line to it), the phone
is dialled, rings and answers (DialStarted, PhoneRinging, DialEnded), and a new caller
joins the line (CallerQueued), so the line stays `waiting` long.

Prints the figures and `BENCH core_decisions_per_s <n> decisions/s` (target 50,000, issue 17).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import deque
from itertools import count

from cti.domain.acd import AcdState, decide
from cti.domain.commands import EndWrapUp, LoadConfig, LogIn
from cti.domain.config import AcdConfig, AgentProfile, QueueConfig
from cti.domain.effects import ConnectCall
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.inputs import (
    CallerQueued,
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    DialEnded,
    DialStarted,
    DialStatus,
    HangupRequested,
    Input,
    PhoneRinging,
)
from cti.domain.queue import WaitingCall

QUEUES = [QueueId(f"q{n}") for n in range(10)]


class Bench:
    def __init__(self, agents: int) -> None:
        self.state = AcdState()
        self.now = 1_700_000_000.0
        self.ids = count()
        self.decisions = 0
        self.talks: deque[tuple[AgentId, ChannelId]] = deque()
        self._configure(agents)

    def feed(self, event: Input) -> list[ConnectCall]:
        self.now += 0.001
        decision = decide(self.state, event, Instant(self.now))
        self.state = decision.state
        self.decisions += 1
        return [e for e in decision.effects if isinstance(e, ConnectCall)]

    def at(self) -> Instant:
        return Instant(self.now)

    def _configure(self, agents: int) -> None:
        queues = {q: QueueConfig(id=q, max_wrap_up=600) for q in QUEUES}
        profiles = {
            AgentId(f"a{n}"): AgentProfile(
                id=AgentId(f"a{n}"), queues={QUEUES[n % 10]: 0, QUEUES[(n + 3) % 10]: 1}
            )
            for n in range(agents)
        }
        self.feed(LoadConfig(at=self.at(), config=AcdConfig(queues=queues, agents=profiles)))

    def log_in_all(self) -> None:
        for agent in list(self.state.config.agents):
            device = DeviceId(f"PJSIP/{agent}")
            self.feed(DeviceStateChanged(at=self.at(), device=device, state=DeviceState.NOT_IN_USE))
            self.feed(LogIn(at=self.at(), agent=agent, device=device, address="bench"))

    def caller(self) -> list[ConnectCall]:
        n = next(self.ids)
        entry = WaitingCall(
            call=CallId(f"call{n}"),
            channel=ChannelId(f"ch{n}"),
            queue=QUEUES[n % 10],
            priority=1 if n % 20 == 0 else 0,
            caller=f"+1555{n:07d}",
            entered_at=self.at(),
        )
        return self.feed(CallerQueued(at=self.at(), entry=entry))

    def connect(self, offer: ConnectCall) -> None:
        leg = ChannelId(f"{offer.channel}-leg")
        self.feed(
            DialStarted(at=self.at(), channel=offer.channel, agent_channel=leg, device=offer.device)
        )
        self.feed(PhoneRinging(at=self.at(), channel=offer.channel, agent_channel=leg))
        self.feed(
            DialEnded(
                at=self.at(), channel=offer.channel, agent_channel=leg, status=DialStatus.ANSWER
            )
        )
        self.talks.append((offer.agent, offer.channel))

    def cycle(self) -> None:
        agent, channel = self.talks.popleft()
        self.feed(HangupRequested(at=self.at(), channel=channel))
        self.feed(ChannelHungUp(at=self.at(), channel=channel, cause=16))
        offers = self.feed(EndWrapUp(at=self.at(), agent=agent))
        for offer in offers:
            self.connect(offer)
        for offer in self.caller():
            self.connect(offer)


def run(agents: int, waiting: int, cycles: int) -> float:
    bench = Bench(agents)
    bench.log_in_all()
    while len(bench.state.waiting) - len(bench.state.offers) < waiting:
        for offer in bench.caller():
            bench.connect(offer)
    assert len(bench.talks) == agents, "every agent should be talking"
    start_decisions, start = bench.decisions, time.perf_counter()
    for _ in range(cycles):
        bench.cycle()
    elapsed = time.perf_counter() - start
    assert len(bench.state.waiting) == waiting, len(bench.state.waiting)
    return (bench.decisions - start_decisions) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--waiting", type=int, default=500)
    parser.add_argument("--cycles", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rates = []
    for n in range(args.runs):
        rate = run(args.agents, args.waiting, args.cycles)
        rates.append(rate)
        print(
            f"run {n + 1}: {rate:,.0f} decisions/s ({args.agents} agents, {args.waiting} waiting)"
        )
    print(f"BENCH core_decisions_per_s {statistics.median(rates):.0f} decisions/s")


if __name__ == "__main__":
    main()
