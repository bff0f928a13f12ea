"""Thresholds of the wallboard: the level (ok, warn, alert) of what a queue's tile shows
(issue 14; P5, P23).

Rules:
1. Each queue sets its own thresholds, declared with its other settings (QueueConfig:
   `longest_wait_warn`/`_alert`, `ready_agents_warn`/`_alert`,
   `service_level_warn_pct`/`_alert_pct`, `not_ready_warn_pct`; by default 60/120 s,
   2/1 agents, 90/70 %, 80 % of the reason's limit). validate() keeps warn before alert.
2. A measure that grows worse upwards (the longest wait, a member's time not ready) is at
   a level once it reaches the threshold: a wait of exactly 60 s is warn, 120 s alert.
   Not ready, the alert threshold is the reason's own limit (P5), where the core's
   `P5.not_ready_overrun` finding fires too; warn is `not_ready_warn_pct` of it.
3. A measure that grows worse downwards (ready agents, the service level) is at a level
   when it is below the threshold: with the defaults 2 ready agents are ok, 1 is warn,
   0 alert; a service level of exactly 90 % is ok, just under it warn. A threshold of 0
   is never reached from below, so 0 turns that measure's levels off.
4. When both thresholds are passed the level is alert: levels are ordered ok < warn <
   alert, and `worst` takes the highest.
5. What cannot be judged is ok: no service level yet today (nobody answered or
   abandoned), a not-ready reason without a limit (or a system one, "no answer").
6. A queue's measures: the longest wait is now minus the place in line (`entered_at`) of
   its longest waiting caller, as the queue's view shows it; ready agents are its members
   (configured in the queue) in `available`; the not-ready level is the worst of its
   members not ready, each against this queue's `not_ready_warn_pct`.
7. Pure: state, service levels and `now` are handed in; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from cti.domain.config import QueueConfig
from cti.domain.ids import AgentId, Instant, QueueId
from cti.domain.records import AgentState
from cti.domain.state import AcdState


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    ALERT = "alert"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Level.OK: 0, Level.WARN: 1, Level.ALERT: 2}


def worst(levels: Iterable[Level]) -> Level:
    """The highest of the levels (rule 4); ok when there are none."""
    return max(levels, key=lambda level: level.rank, default=Level.OK)


def reached(value: float, warn: float, alert: float) -> Level:
    """Rule 2: the level of a measure that is worse when higher."""
    return Level.ALERT if value >= alert else Level.WARN if value >= warn else Level.OK


def fallen(value: float, warn: float, alert: float) -> Level:
    """Rule 3: the level of a measure that is worse when lower."""
    return Level.ALERT if value < alert else Level.WARN if value < warn else Level.OK


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """One measure of a queue with its level and the thresholds it was judged by."""

    value: float | None  # None: nothing to judge (rule 5)
    level: Level
    warn: float
    alert: float


def longest_wait(seconds: float, queue: QueueConfig) -> Reading:
    level = reached(seconds, queue.longest_wait_warn, queue.longest_wait_alert)
    return Reading(
        value=seconds, level=level, warn=queue.longest_wait_warn, alert=queue.longest_wait_alert
    )


def ready_agents(ready: int, queue: QueueConfig) -> Reading:
    warn, alert = queue.ready_agents_warn, queue.ready_agents_alert
    return Reading(value=ready, level=fallen(ready, warn, alert), warn=warn, alert=alert)


def service_level(ratio: float | None, queue: QueueConfig) -> Reading:
    """`ratio` is 0-1 (the figures' service level), the thresholds per cent."""
    warn, alert = queue.service_level_warn_pct / 100, queue.service_level_alert_pct / 100
    level = Level.OK if ratio is None else fallen(ratio, warn, alert)
    return Reading(value=ratio, level=level, warn=warn, alert=alert)


def not_ready(seconds: float, limit: float | None, queue: QueueConfig) -> Level:
    """Rule 2: a member's time not ready against its reason's limit (None: no limit)."""
    if limit is None:
        return Level.OK
    return reached(seconds, limit * queue.not_ready_warn_pct / 100, limit)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueLevels:
    """Every threshold of one queue, judged (rule 6)."""

    queue: QueueId
    longest_wait: Reading
    ready_agents: Reading
    service_level: Reading
    not_ready: Mapping[AgentId, Level]  # members not ready at warn or alert

    @property
    def not_ready_level(self) -> Level:
        return worst(self.not_ready.values())

    @property
    def levels(self) -> tuple[Level, Level, Level, Level]:
        """What a change of the tile's levels is told by."""
        return (
            self.longest_wait.level,
            self.ready_agents.level,
            self.service_level.level,
            self.not_ready_level,
        )


def queue_levels(
    state: AcdState, now: Instant, service_levels: Mapping[QueueId, float | None]
) -> dict[QueueId, QueueLevels]:
    """The levels of every queue configured or seen, each by its own thresholds."""
    queues = sorted({*state.known_queues, *state.config.queues})
    waits = _longest_waits(state, now)
    ready = _ready_members(state)
    over = _not_ready_members(state, now)
    levels: dict[QueueId, QueueLevels] = {}
    for queue in queues:
        config = state.config.queue(queue)
        levels[queue] = QueueLevels(
            queue=queue,
            longest_wait=longest_wait(waits.get(queue, 0.0), config),
            ready_agents=ready_agents(ready.get(queue, 0), config),
            service_level=service_level(service_levels.get(queue), config),
            not_ready=over.get(queue, {}),
        )
    return levels


def _longest_waits(state: AcdState, now: Instant) -> dict[QueueId, float]:
    waits: dict[QueueId, float] = {}
    for call in state.waiting:
        waits[call.queue] = max(waits.get(call.queue, 0.0), now - call.entered_at)
    return waits


def _ready_members(state: AcdState) -> dict[QueueId, int]:
    ready: dict[QueueId, int] = {}
    for agent in state.available:
        profile = state.config.agents.get(agent)
        for queue in profile.queues if profile else ():
            ready[queue] = ready.get(queue, 0) + 1
    return ready


def _not_ready_members(state: AcdState, now: Instant) -> dict[QueueId, dict[AgentId, Level]]:
    over: dict[QueueId, dict[AgentId, Level]] = {}
    for agent in state.agents.values():
        reason = state.config.reasons.get(agent.reason or "")
        profile = state.config.agents.get(agent.id)
        if agent.state is not AgentState.NOT_READY or reason is None or profile is None:
            continue
        for queue in profile.queues:
            level = not_ready(now - agent.since, reason.max_seconds, state.config.queue(queue))
            if level is not Level.OK:
                over.setdefault(queue, {})[agent.id] = level
    return over
