"""Configuration the core routes by: queues, agents and not-ready reasons, as values.

Rule 1: every number a policy gives (rings, cadence, wrap-up, limits) is configured here,
never a constant in the rules (REQUIREMENTS.md: policy numbers are defaults).
Rule 2: `validate()` on each value names the field and why it is wrong; a config that
was built is a config that can be routed by.
Rule 3: secrets (PIN hashes) never enter the core; storage and the API check them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from cti.domain.ids import AgentId, QueueId

# System not-ready reasons: set by the core, never chosen by an agent.
REASON_NO_ANSWER: Final = "no answer"  # C3: the ring limit passed (or misses in a row)
REASON_BUSY: Final = "busy"  # the phone answered busy or rejected the offer
REASON_UNAVAILABLE: Final = "unavailable"  # the phone could not be reached
SYSTEM_REASONS: Final = frozenset({REASON_NO_ANSWER, REASON_BUSY, REASON_UNAVAILABLE})


class ConfigError(ValueError):
    """A configuration value that cannot be routed by; the message names the field."""


class Strategy(StrEnum):
    LONGEST_IDLE = "longest_idle"  # default: the agent available the longest
    FEWEST_CALLS = "fewest_calls"  # the agent who answered the fewest calls since login
    SKILLS = "skills"  # best level of the queue's skill first, then longest idle


class MaxWaitAction(StrEnum):
    NONE = "none"  # keep waiting
    VOICEMAIL = "voicemail"  # leave a message (dialplan cti-max-wait)
    CALLBACK = "callback"  # offer a callback, keeping the caller's place (P9)


def _empty_levels() -> Mapping[str, int]:
    return MappingProxyType({})


def _empty_penalties() -> Mapping[QueueId, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueConfig:
    id: QueueId
    name: str = ""
    strategy: Strategy = Strategy.LONGEST_IDLE
    ring_limit: int = 3  # N rings (C3, P1)
    ring_cadence: float = 6.0  # seconds per ring cycle (6 s North America, 5 s China)
    misses_before_not_ready: int = 1  # offers missed in a row before "no answer" (C3)
    max_wrap_up: float = 60.0  # seconds; then the agent returns to available (C4, P6)
    dispositions: tuple[str, ...] = ()
    disposition_required: bool = False
    skill: str | None = None  # the skill that the "skills" strategy ranks by
    min_skill_level: int = 1
    widen_after: float | None = None  # seconds of waiting after which any member may take it
    overflow_after: float | None = None  # seconds of waiting before moving to overflow_queue
    overflow_queue: QueueId | None = None
    max_wait: float | None = None  # seconds of waiting before max_wait_action
    max_wait_action: MaxWaitAction = MaxWaitAction.NONE

    @property
    def ring_seconds(self) -> float:
        """How long an offer may ring: N rings of the cadence."""
        return self.ring_limit * self.ring_cadence

    def validate(self) -> QueueConfig:
        _require(bool(self.id) and "/" not in self.id, f"queue id {self.id!r} is not a name")
        _require(self.ring_limit >= 1, f"queue {self.id}: ring_limit must be at least 1")
        _require(self.ring_cadence > 0, f"queue {self.id}: ring_cadence must be positive")
        _require(
            self.misses_before_not_ready >= 1,
            f"queue {self.id}: misses_before_not_ready must be at least 1",
        )
        _require(self.max_wrap_up >= 0, f"queue {self.id}: max_wrap_up must not be negative")
        _require(
            not self.disposition_required or bool(self.dispositions),
            f"queue {self.id}: disposition_required needs disposition codes",
        )
        _require(
            self.strategy is not Strategy.SKILLS or bool(self.skill),
            f"queue {self.id}: the skills strategy needs a skill",
        )
        _require(self.min_skill_level >= 0, f"queue {self.id}: min_skill_level must be >= 0")
        for name in ("widen_after", "overflow_after", "max_wait"):
            value = getattr(self, name)
            _require(value is None or value >= 0, f"queue {self.id}: {name} must be >= 0")
        _require(
            (self.overflow_after is None) == (self.overflow_queue is None),
            f"queue {self.id}: overflow_after and overflow_queue go together",
        )
        _require(self.overflow_queue != self.id, f"queue {self.id}: cannot overflow to itself")
        _require(
            self.max_wait_action is MaxWaitAction.NONE or self.max_wait is not None,
            f"queue {self.id}: max_wait_action needs max_wait",
        )
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentProfile:
    id: AgentId
    name: str = ""
    skills: Mapping[str, int] = field(default_factory=_empty_levels)  # skill -> level (1-9)
    queues: Mapping[QueueId, int] = field(default_factory=_empty_penalties)  # queue -> penalty

    def validate(self) -> AgentProfile:
        _require(bool(self.id) and "/" not in self.id, f"agent id {self.id!r} is not a name")
        for skill, level in self.skills.items():
            _require(bool(skill), f"agent {self.id}: empty skill name")
            _require(0 <= level <= 9, f"agent {self.id}: skill {skill} level must be 0-9")
        for queue, penalty in self.queues.items():
            _require(penalty >= 0, f"agent {self.id}: penalty in {queue} must be >= 0")
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class NotReadyReason:
    code: str
    label: str = ""
    max_seconds: float | None = None  # P5: longer than this is a finding (None: no limit)

    def validate(self) -> NotReadyReason:
        _require(bool(self.code.strip()), "not-ready reason with an empty code")
        _require(
            self.max_seconds is None or self.max_seconds > 0,
            f"reason {self.code}: max_seconds must be positive",
        )
        return self


def _no_queues() -> Mapping[QueueId, QueueConfig]:
    return MappingProxyType({})


def _no_agents() -> Mapping[AgentId, AgentProfile]:
    return MappingProxyType({})


def _no_reasons() -> Mapping[str, NotReadyReason]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class AcdConfig:
    queues: Mapping[QueueId, QueueConfig] = field(default_factory=_no_queues)
    agents: Mapping[AgentId, AgentProfile] = field(default_factory=_no_agents)
    reasons: Mapping[str, NotReadyReason] = field(default_factory=_no_reasons)

    def queue(self, queue: QueueId) -> QueueConfig:
        """A queue's settings; a queue Asterisk sends calls to but nobody configured gets
        the defaults, so its callers are still counted and listed."""
        return self.queues.get(queue) or QueueConfig(id=queue)

    def validate(self) -> AcdConfig:
        for queue in self.queues.values():
            queue.validate()
            _require(
                queue.overflow_queue is None or queue.overflow_queue in self.queues,
                f"queue {queue.id}: overflow queue {queue.overflow_queue} is not configured",
            )
        for agent in self.agents.values():
            agent.validate()
            for q in agent.queues:
                _require(q in self.queues, f"agent {agent.id}: queue {q} is not configured")
        for reason in self.reasons.values():
            reason.validate()
        return self


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)
