"""The P11 monitoring quota: how many of each agent's calls supervisors monitored in a week.

Rule 1: a week runs from Monday 00:00 to the next Monday 00:00 in the centre's time zone
(ISO weeks), so a week across a change of summer time is 167 or 169 hours long.
Rule 2: what counts is distinct calls: listening, whispering and barging on one call, and
switching between them, are one monitored call; every stretch still counts in `sessions`
and `seconds`.
Rule 3: a session belongs to the week it started in.
Rule 4: an agent meets the quota with at least `target` monitored calls (P11: 2 a week).
Rule 5 (issue 16): a QA evaluation of an agent's call counts as that call monitored
("2 listens or evaluations"); an agent who worked a week that has ended with fewer than
the target is the finding P11.monitoring_quota, found at the week's start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Final

from cti.domain.ids import AgentId, CallId, Instant
from cti.domain.records import Finding, MonitoringSession, Rule

WEEKLY_CALLS: Final = 2  # P11: at least 2 calls per agent per week


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentQuota:
    agent: AgentId
    calls: int  # distinct calls monitored (rule 2)
    sessions: int
    seconds: float
    target: int

    @property
    def met(self) -> bool:
        return self.calls >= self.target


def week_of(at: Instant, zone: tzinfo) -> tuple[Instant, Instant]:
    """Rule 1: the start and end of the week holding `at`."""
    local = datetime.fromtimestamp(at, zone).date()
    monday = local - timedelta(days=local.weekday())
    start = datetime.combine(monday, time(), zone)
    end = datetime.combine(monday + timedelta(days=7), time(), zone)
    return Instant(start.timestamp()), Instant(end.timestamp())


def quotas(
    sessions: Iterable[MonitoringSession],
    agents: Iterable[AgentId],
    target: int = WEEKLY_CALLS,
    evaluated: Iterable[tuple[AgentId, CallId]] = (),
) -> list[AgentQuota]:
    """Every agent named (and any other agent monitored), by agent id (rules 2 and 5)."""
    calls: dict[AgentId, set[CallId]] = {a: set() for a in agents}
    for agent, call in evaluated:
        calls.setdefault(agent, set()).add(call)
    count: dict[AgentId, int] = {}
    seconds: dict[AgentId, float] = {}
    for session in sessions:
        calls.setdefault(session.agent, set()).add(session.call)
        count[session.agent] = count.get(session.agent, 0) + 1
        seconds[session.agent] = seconds.get(session.agent, 0.0) + session.seconds
    return [
        AgentQuota(
            agent=agent,
            calls=len(calls[agent]),
            sessions=count.get(agent, 0),
            seconds=seconds.get(agent, 0.0),
            target=target,
        )
        for agent in sorted(calls)
    ]


def shortfalls(
    found: Iterable[AgentQuota],
    worked: Iterable[AgentId],
    week_start: Instant,
    target_of: Callable[[AgentId], float],
) -> list[Finding]:
    """Rule 5: a finding for each agent who worked the week and missed its quota."""
    working = set(worked)
    findings = []
    for quota in found:
        target = target_of(quota.agent)
        if quota.agent in working and quota.calls < target:
            findings.append(
                Finding(
                    rule=Rule.MONITORING_QUOTA,
                    agent=quota.agent,
                    at=week_start,
                    measured=float(quota.calls),
                    limit=target,
                    detail=f"{quota.calls} of {target:g} calls monitored or evaluated that week",
                )
            )
    return findings
