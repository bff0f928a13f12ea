"""Routing: which available agent takes a waiting call (C2, P10).

Rule 1: only members of the call's queue are candidates; lower penalty comes first,
except under the skills strategy, where the higher skill level comes first.
Rule 2: strategies are sort keys, and every key ends with the agent id, so ties are broken
the same way on every run.
  longest_idle: the agent available the longest (earliest `since`).
  fewest_calls: the fewest calls answered since login, then longest idle.
  skills: the best level of the queue's skill, then longest idle. Agents below the
  queue's minimum level are left out until the call has waited `widen_after` seconds;
  then every member may take it (skill widening).
Rule 3: calls are served in the order of WaitingCall.sort_key: priority, then entry time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_never

from cti.domain.agent import Agent
from cti.domain.config import AgentProfile, QueueConfig, Strategy
from cti.domain.ids import Instant
from cti.domain.queue import WaitingCall

SortKey = tuple[float, ...]


def min_level(queue: QueueConfig, call: WaitingCall, now: Instant) -> int:
    """The skill level a call needs now; 0 once it has waited past widen_after."""
    if queue.widen_after is not None and now - call.entered_at >= queue.widen_after:
        return 0
    return queue.min_skill_level


def rank(
    agent: Agent, profile: AgentProfile, queue: QueueConfig, call: WaitingCall, now: Instant
) -> tuple[SortKey, str] | None:
    """The agent's place for this call (lower first), or None when not a candidate."""
    penalty = profile.queues.get(queue.id)
    if penalty is None:
        return None
    idle = float(agent.since)
    match queue.strategy:
        case Strategy.LONGEST_IDLE:
            return (float(penalty), idle), agent.id
        case Strategy.FEWEST_CALLS:
            return (float(penalty), float(agent.answered), idle), agent.id
        case Strategy.SKILLS:
            level = profile.skills.get(queue.skill or "", 0)
            if level < min_level(queue, call, now):
                return None
            return (-float(level), float(penalty), idle), agent.id
        case _:
            assert_never(queue.strategy)


def pick_agent(
    candidates: Iterable[tuple[Agent, AgentProfile]],
    queue: QueueConfig,
    call: WaitingCall,
    now: Instant,
) -> Agent | None:
    """The best available agent for the call, or None."""
    best: tuple[tuple[SortKey, str], Agent] | None = None
    for agent, profile in candidates:
        key = rank(agent, profile, queue, call, now)
        if key is not None and (best is None or key < best[0]):
            best = (key, agent)
    return None if best is None else best[1]
