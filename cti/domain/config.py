"""Configuration the core routes by: queues, agents and not-ready reasons, as values.

Rule 1: every number a policy gives (rings, cadence, wrap-up, limits) is configured here,
never a constant in the rules (REQUIREMENTS.md: policy numbers are defaults).
Rule 2: each setting is declared once, here, with its default, meaning and bounds
(cti/domain/setting.py); `validate()` checks those bounds and the rules between settings,
naming the field and why it is wrong (SettingError); a config that was built is a config
that can be routed by.
Rule 3: secrets (PIN hashes) never enter the core; storage and the API check them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from cti.domain.ids import PLAIN_NAME, QUEUE_NAME, AgentId, QueueId
from cti.domain.setting import Bounds, SettingError, Text, check, named, setting
from cti.domain.setting import ConfigError as ConfigError  # its home is setting.py

# System not-ready reasons: set by the core, never chosen by an agent.
REASON_NO_ANSWER: Final = "no answer"  # C3: the ring limit passed (or misses in a row)
REASON_BUSY: Final = "busy"  # the phone answered busy or rejected the offer
REASON_UNAVAILABLE: Final = "unavailable"  # the phone could not be reached
SYSTEM_REASONS: Final = frozenset({REASON_NO_ANSWER, REASON_BUSY, REASON_UNAVAILABLE})


class Strategy(StrEnum):
    LONGEST_IDLE = "longest_idle"  # default: the agent available the longest
    FEWEST_CALLS = "fewest_calls"  # the agent who answered the fewest calls since login
    SKILLS = "skills"  # best level of the queue's skill first, then longest idle


class AgentLine(StrEnum):
    """How an agent's phone takes calls (cti/domain/line.py; issue 18)."""

    RING = "ring"  # rung for each call, answered by hand
    AUTO_ANSWER = "auto_answer"  # rung for each call with auto-answer headers
    NAILED = "nailed"  # one call held open while ready; callers are bridged to it at once


class MaxWaitAction(StrEnum):
    NONE = "none"  # keep waiting
    VOICEMAIL = "voicemail"  # leave a message (dialplan cti-max-wait)
    CALLBACK = "callback"  # offer a callback, keeping the caller's place (P9)


# Upper bounds (setting.py rule 6): beyond these a value is a typo, not a policy.
MINUTE: Final = 60.0
HOUR: Final = 3600.0
DAY: Final = 86_400.0
MOST_RINGS: Final = 50  # N rings, misses in a row
MOST_SKILL: Final = 9  # skill levels are 0-9
MOST_PENALTY: Final = 1000
MOST_AGENTS: Final = 10_000  # ready agents a threshold counts to
# A skill is a word of the configuration; a reason code is what agents pick, in any script
# (one line, no control characters).
SKILL_NAME: Final = Text(length=80, least=1)
REASON_CODE: Final = Text(length=80, least=1)
TEAM_NAME: Final = Text(length=80)


def _wait(doc: str) -> Mapping[str, object]:
    """A caller's wait before something happens: seconds, at most a day."""
    return setting(doc, ge=0, le=DAY, unit="s")


def _members(doc: str) -> Mapping[str, object]:
    """A count of a queue's agents."""
    return setting(doc, ge=0, le=MOST_AGENTS)


def _percent(doc: str) -> Mapping[str, object]:
    """A share, in per cent."""
    return setting(doc, ge=0, le=100, unit="%")


def _empty_levels() -> Mapping[str, int]:
    return MappingProxyType({})


def _empty_penalties() -> Mapping[QueueId, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueConfig:
    id: QueueId = field(
        metadata=setting("the queue, as the dialplan names it (CTI_QUEUE)", text=QUEUE_NAME)
    )
    name: str = field(default="", metadata=setting("shown to supervisors"))
    strategy: Strategy = field(
        default=Strategy.LONGEST_IDLE, metadata=setting("how a waiting caller's agent is chosen")
    )
    ring_limit: int = field(default=3, metadata=setting("N rings (C3, P1)", ge=1, le=MOST_RINGS))
    ring_cadence: float = field(
        default=6.0,
        metadata=setting(
            "seconds per ring cycle (6 North America, 5 China)", gt=0, le=MINUTE, unit="s"
        ),
    )
    misses_before_not_ready: int = field(
        default=1,
        metadata=setting('offers missed in a row before "no answer" (C3)', ge=1, le=MOST_RINGS),
    )
    max_wrap_up: float = field(
        default=60.0,
        metadata=setting(
            "seconds of wrap-up; then back to available (C4, P6)", ge=0, le=HOUR, unit="s"
        ),
    )
    agent_line: AgentLine = field(
        default=AgentLine.RING,
        metadata=setting(
            "how its agents' phones take calls: ring, auto_answer (Alert-Info/Call-Info"
            " headers), or nailed (a line held open while ready, issue 18)"
        ),
    )
    record: bool = field(
        default=False,
        metadata=setting(
            "record its calls: a file per agent who answers, from the answer (P11, issue 16)"
        ),
    )
    dispositions: tuple[str, ...] = field(default=(), metadata=setting("disposition codes"))
    disposition_required: bool = field(
        default=False, metadata=setting("wrap-up must end with a disposition")
    )
    skill: str | None = field(
        default=None, metadata=setting("the skill the skills strategy ranks by")
    )
    min_skill_level: int = field(
        default=1, metadata=setting("the lowest level served", ge=0, le=MOST_SKILL)
    )
    widen_after: float | None = field(
        default=None, metadata=_wait("seconds waited before any member may take the call")
    )
    overflow_after: float | None = field(
        default=None, metadata=_wait("seconds waited before moving to overflow_queue")
    )
    overflow_queue: QueueId | None = field(
        default=None, metadata=setting("where callers overflow to", text=QUEUE_NAME)
    )
    max_wait: float | None = field(
        default=None, metadata=_wait("seconds waited before max_wait_action")
    )
    max_wait_action: MaxWaitAction = field(
        default=MaxWaitAction.NONE, metadata=setting("what max_wait does: voicemail or callback")
    )
    urgent_wait: float | None = field(
        default=60.0,
        metadata=_wait(
            "P10: an urgent caller (priority above 0) waiting this long is escalated: a"
            " finding and an alert (none: never)"
        ),
    )
    service_level_seconds: float = field(
        default=20.0,
        metadata=setting(
            "T of the service level: answers within T seconds of entering count (P23)",
            gt=0,
            le=HOUR,
            unit="s",
        ),
    )
    # The wallboard's thresholds (issue 14; cti/domain/thresholds.py says how each is read).
    longest_wait_warn: float = field(
        default=60.0, metadata=_wait("seconds: a longest wait at or over this is a warning")
    )
    longest_wait_alert: float = field(
        default=120.0, metadata=_wait("seconds: a longest wait at or over this is an alert")
    )
    ready_agents_warn: int = field(
        default=2, metadata=_members("fewer ready members than this is a warning (0: never)")
    )
    ready_agents_alert: int = field(
        default=1, metadata=_members("fewer ready members than this is an alert (0: never)")
    )
    service_level_warn_pct: float = field(
        default=90.0, metadata=_percent("today's service level below this is a warning")
    )
    service_level_alert_pct: float = field(
        default=70.0, metadata=_percent("today's service level below this is an alert")
    )
    not_ready_warn_pct: float = field(
        default=80.0,
        metadata=_percent(
            "a member not ready for this share of its reason's limit is a warning; "
            "the limit itself an alert (P5)"
        ),
    )

    @property
    def ring_seconds(self) -> float:
        """How long an offer may ring: N rings of the cadence."""
        return self.ring_limit * self.ring_cadence

    def validate(self) -> QueueConfig:
        where = named("queue", self.id, QUEUE_NAME)
        check(self, where)
        rules = (
            (
                not self.disposition_required or bool(self.dispositions),
                "disposition_required needs disposition codes",
                "disposition_required",
            ),
            (
                self.strategy is not Strategy.SKILLS or bool(self.skill),
                "the skills strategy needs a skill",
                "skill",
            ),
            (
                (self.overflow_after is None) == (self.overflow_queue is None),
                "overflow_after and overflow_queue go together",
                "overflow_queue",
            ),
            (self.overflow_queue != self.id, "cannot overflow to itself", "overflow_queue"),
            (
                self.max_wait_action is MaxWaitAction.NONE or self.max_wait is not None,
                "max_wait_action needs max_wait",
                "max_wait",
            ),
            (
                self.longest_wait_alert >= self.longest_wait_warn,
                "longest_wait_alert must be at least longest_wait_warn",
                "longest_wait_alert",
            ),
            (
                self.ready_agents_alert <= self.ready_agents_warn,
                "ready_agents_alert must be at most ready_agents_warn",
                "ready_agents_alert",
            ),
            (
                self.service_level_alert_pct <= self.service_level_warn_pct,
                "service_level_alert_pct must be at most service_level_warn_pct",
                "service_level_alert_pct",
            ),
        )
        for ok, reason, name in rules:
            _require(ok, f"{where}: {reason}", name)
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentProfile:
    id: AgentId = field(metadata=setting("the agent's id, which it logs in with", text=PLAIN_NAME))
    name: str = field(default="", metadata=setting("the agent's name"))
    skills: Mapping[str, int] = field(
        default_factory=_empty_levels,
        metadata=setting("skill -> level", each=Bounds(ge=0, le=MOST_SKILL), keys=SKILL_NAME),
    )
    queues: Mapping[QueueId, int] = field(
        default_factory=_empty_penalties,
        metadata=setting(
            "queue -> penalty (lower is offered first)",
            each=Bounds(ge=0, le=MOST_PENALTY),
            keys=QUEUE_NAME,
        ),
    )
    line: AgentLine | None = field(
        default=None,
        metadata=setting(
            "how this agent's phone takes calls, over its queues' agent_line (none: the"
            " queues': nailed if any is, else auto_answer if any is, else ring)"
        ),
    )
    team: str = field(
        default="",
        metadata=setting(
            "the team it belongs to: compliance parameters set per team apply (issue 16)",
            text=TEAM_NAME,
        ),
    )

    def validate(self) -> AgentProfile:
        check(self, named("agent", self.id, PLAIN_NAME))
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class NotReadyReason:
    code: str = field(metadata=setting("what agents choose, e.g. lunch", text=REASON_CODE))
    label: str = field(default="", metadata=setting("shown to people"))
    max_seconds: float | None = field(
        default=None,
        metadata=setting(
            "P5: longer than this is a finding (none: no limit)", gt=0, le=DAY, unit="s"
        ),
    )

    def validate(self) -> NotReadyReason:
        _require(bool(self.code.strip()), "not-ready reason with an empty code", "code")
        check(self, named("reason", self.code, REASON_CODE, "code"))
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


def _require(ok: bool, message: str, field: str = "") -> None:
    if not ok:
        raise SettingError(message, field)
