"""Builders for core tests: a configured ACD fed inputs one by one, with time in hand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cti.domain.acd import AcdState, Decision, decide
from cti.domain.commands import LoadConfig, LogIn
from cti.domain.config import AcdConfig, AgentProfile, NotReadyReason, QueueConfig
from cti.domain.effects import Effect, Rejected
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
    Tick,
)
from cti.domain.queue import WaitingCall

E = TypeVar("E")

T0 = Instant(1_700_000_000.0)


def queue(name: str = "support", **kw: Any) -> QueueConfig:
    return QueueConfig(id=QueueId(name), **kw)


def agent(name: str, queues: dict[str, int] | None = None, **skills: int) -> AgentProfile:
    memberships = {QueueId(q): p for q, p in (queues or {"support": 0}).items()}
    return AgentProfile(id=AgentId(name), queues=memberships, skills=skills)


def config(
    queues: Iterable[QueueConfig],
    agents: Iterable[AgentProfile],
    reasons: Iterable[NotReadyReason] = (),
) -> AcdConfig:
    return AcdConfig(
        queues={q.id: q for q in queues},
        agents={a.id: a for a in agents},
        reasons={r.code: r for r in reasons},
    ).validate()


def device(agent_id: str) -> DeviceId:
    return DeviceId(f"PJSIP/{agent_id}")


def leg(channel: str) -> ChannelId:
    return ChannelId(f"{channel}-agent")


@dataclass
class Acd:
    """The core with a clock: every input is decided at `now`, effects are kept in order."""

    state: AcdState = field(default_factory=AcdState)
    now: Instant = T0
    effects: list[Effect] = field(default_factory=list)
    last: Decision | None = None

    def at(self, seconds: float) -> Instant:
        return Instant(T0 + seconds)

    def advance(self, seconds: float) -> Instant:
        self.now = Instant(self.now + seconds)
        return self.now

    def feed(self, event: Input) -> Decision:
        self.last = decide(self.state, event, self.now)
        self.state = self.last.state
        self.effects.extend(self.last.effects)
        return self.last

    def tick_to(self, seconds_from_start: float) -> None:
        """Advance to T0 + seconds, ticking at every deadline on the way (like the engine)."""
        end = self.at(seconds_from_start)
        while (deadline := self.state.next_deadline()) is not None and deadline <= end:
            self.now = max(self.now, deadline)
            self.feed(Tick(at=self.now))
        self.now = max(self.now, end)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.effects if isinstance(e, kind)]

    def rejected(self) -> Rejected | None:
        assert self.last is not None
        return next((n for n in self.last.notes if isinstance(n, Rejected)), None)

    # Shorthands ----------------------------------------------------------------------

    def load(self, conf: AcdConfig) -> None:
        self.feed(LoadConfig(at=self.now, config=conf))

    def register(self, *agent_ids: str) -> None:
        for agent_id in agent_ids:
            self.feed(
                DeviceStateChanged(
                    at=self.now, device=device(agent_id), state=DeviceState.NOT_IN_USE
                )
            )

    def log_in(self, *agent_ids: str) -> None:
        for agent_id in agent_ids:
            self.register(agent_id)
            self.feed(
                LogIn(
                    at=self.now,
                    agent=AgentId(agent_id),
                    device=device(agent_id),
                    address="10.0.0.9",
                )
            )
            assert self.rejected() is None, self.rejected()

    def caller(self, channel: str, queue: str = "support", priority: int = 0) -> None:
        entry = WaitingCall(
            call=CallId(channel),
            channel=ChannelId(channel),
            queue=QueueId(queue),
            priority=priority,
            caller=f"+1555{channel}",
            entered_at=self.now,
        )
        self.feed(CallerQueued(at=self.now, entry=entry))

    def dial(self, channel: str, agent_id: str) -> None:
        self.feed(
            DialStarted(
                at=self.now,
                channel=ChannelId(channel),
                agent_channel=leg(channel),
                device=device(agent_id),
            )
        )

    def ring(self, channel: str) -> None:
        self.feed(PhoneRinging(at=self.now, channel=ChannelId(channel), agent_channel=leg(channel)))

    def dial_end(self, channel: str, status: DialStatus) -> None:
        self.feed(
            DialEnded(
                at=self.now, channel=ChannelId(channel), agent_channel=leg(channel), status=status
            )
        )

    def answer(self, channel: str, agent_id: str) -> None:
        self.dial(channel, agent_id)
        self.ring(channel)
        self.dial_end(channel, DialStatus.ANSWER)

    def hang_up(self, channel: str | ChannelId, *, request: bool = True) -> None:
        if request:
            self.feed(HangupRequested(at=self.now, channel=ChannelId(channel)))
        self.feed(ChannelHungUp(at=self.now, channel=ChannelId(channel), cause=16))
