"""Schedule adherence (issue 16, P14: schedule adherence of at least 99.5 %).

Rule 1: per agent and calendar day of the centre (cti/domain/today.py), adherence is the
time the agent did what its schedule said over the time scheduled, both counted inside
the day and up to `now`.
Rule 2: what counts as doing the scheduled activity: for `on_queue`, being logged in and
serving (available, reserved, offered, on a call, in wrap-up); for any other activity (a
break, lunch, training, a meeting), not serving: not ready or logged out.
Rule 3 (grace): out of adherence for at most `grace` seconds right after an activity
starts is forgiven, as a change of activity takes a moment (going on break a few seconds
late); longer, the whole stretch counts.
Rule 4: an agent meets the target when its adherence is at least `target` (0.995). A day
with nothing scheduled has no adherence (None), not 100 %.
Rule 5: pure; the states are handed in as spans (stored intervals and the state going
on), time as `now`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from cti.domain.compliance.schedule import ON_QUEUE, Activity
from cti.domain.compliance.spans import merged
from cti.domain.ids import AgentId, Instant
from cti.domain.records import AgentState

TARGET: Final = 0.995  # P14
GRACE: Final = 60.0  # seconds forgiven after an activity starts (rule 3)
SERVING: Final = frozenset(
    {
        AgentState.AVAILABLE,
        AgentState.RESERVED,
        AgentState.OFFERED,
        AgentState.ON_CALL,
        AgentState.WRAP_UP,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class StateSpan:
    """An agent in a state from `start` to `end` (the state going on: `end` None)."""

    agent: AgentId
    state: AgentState
    start: Instant
    end: Instant | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Adherence:
    agent: AgentId
    scheduled: float  # seconds
    adherent: float
    target: float
    by_activity: dict[str, tuple[float, float]] = field(default_factory=dict)  # (sched, in)

    @property
    def ratio(self) -> float | None:
        return self.adherent / self.scheduled if self.scheduled else None

    @property
    def met(self) -> bool | None:
        ratio = self.ratio
        return None if ratio is None else ratio >= self.target


def adherence(
    activities: Iterable[Activity],
    spans: Iterable[StateSpan],
    since: Instant,
    until: Instant,
    now: Instant,
    *,
    grace: float = GRACE,
    target: float = TARGET,
) -> list[Adherence]:
    """Rule 1: every scheduled agent's adherence in [since, min(until, now)), by agent."""
    end = min(until, now)
    states: dict[AgentId, list[StateSpan]] = {}
    for span in spans:
        states.setdefault(span.agent, []).append(span)
    planned: dict[AgentId, list[Activity]] = {}
    for activity in activities:
        planned.setdefault(activity.agent, []).append(activity)
    found = []
    for agent in sorted(planned):
        by_activity: dict[str, tuple[float, float]] = {}
        for activity in sorted(planned[agent], key=lambda a: a.start):
            low, high = max(activity.start, since), min(activity.end, end)
            if high <= low:
                continue
            inside = _adherent(activity, states.get(agent, []), low, high, now, grace)
            scheduled, adherent = by_activity.get(activity.activity, (0.0, 0.0))
            by_activity[activity.activity] = (scheduled + high - low, adherent + inside)
        found.append(
            Adherence(
                agent=agent,
                scheduled=sum(s for s, _ in by_activity.values()),
                adherent=sum(a for _, a in by_activity.values()),
                target=target,
                by_activity=by_activity,
            )
        )
    return found


def _adherent(
    activity: Activity,
    spans: Sequence[StateSpan],
    low: float,
    high: float,
    now: Instant,
    grace: float,
) -> float:
    """Seconds of [low, high) in which the agent did the activity (rules 2 and 3)."""
    serving = _serving(spans, low, high, now)
    doing = serving if activity.activity == ON_QUEUE else _complement(serving, low, high)
    inside = sum(b - a for a, b in doing)
    # Rule 3: a first stretch out of adherence from the activity's start, within grace.
    first_in = doing[0][0] if doing else high
    if low == activity.start and 0 < first_in - low <= grace:
        inside += first_in - low
    return inside


def _serving(
    spans: Sequence[StateSpan], low: float, high: float, now: Instant
) -> list[tuple[float, float]]:
    parts = []
    for span in spans:
        if span.state not in SERVING:
            continue
        start, end = max(span.start, low), min(now if span.end is None else span.end, high)
        if end > start:
            parts.append((start, end))
    return merged(parts)


def _complement(
    parts: Sequence[tuple[float, float]], low: float, high: float
) -> list[tuple[float, float]]:
    found, cursor = [], low
    for start, end in parts:
        if start > cursor:
            found.append((cursor, start))
        cursor = max(cursor, end)
    if high > cursor:
        found.append((cursor, high))
    return found
