"""Away from the seat during the schedule (issue 16, P5: leaving the seat for more than 10
minutes is a violation).

Rule 1: judged inside the scheduled on-queue activities only: a break, lunch or training
in the schedule is not away.
Rule 2: away is being not ready (except in a spell a supervisor approved as a longer
break, cti/domain/breaks.py) or logged out between two logins of the same agent; what
touches or overlaps is one stretch, clipped to the on-queue time.
Rule 3: a stretch longer than `P5.away.limit` (600 s) is a P5.away finding at the
stretch's start, measured its length as known (a stretch going on: until now).
Rule 4: logged out before the first login or after the last logout is attendance's
business (late, absent, early leave: attendance.py), not away.
Rule 5: pure; the same records and instant give the same findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from cti.domain.compliance.attendance import Session, Teams
from cti.domain.compliance.rulebook import RuleSettings
from cti.domain.compliance.schedule import ON_QUEUE, Activity
from cti.domain.compliance.spans import Span, by_agent, merged
from cti.domain.ids import AgentId, Instant
from cti.domain.records import Finding, Rule


@dataclass(frozen=True, slots=True, kw_only=True)
class Spell:
    """A not-ready spell of one agent; `end` None while it goes on."""

    agent: AgentId
    start: Instant
    end: Instant | None
    reason: str = ""
    approved: bool = False


def judge(
    activities: Iterable[Activity],
    sessions: Iterable[Session],
    spells: Iterable[Spell],
    settings: RuleSettings,
    now: Instant,
    zone: tzinfo,
    teams: Teams | None = None,
) -> list[Finding]:
    """Every P5.away finding of these on-queue activities as of `now`, by agent, then
    instant (rule 3)."""
    on_queue: dict[AgentId, list[Span]] = {}
    for activity in activities:
        if activity.activity == ON_QUEUE:
            on_queue.setdefault(activity.agent, []).append((activity.start, activity.end))
    logins = by_agent(sessions)
    breaks: dict[AgentId, list[Span]] = {}
    for spell in spells:
        if not spell.approved:
            ends = float(now if spell.end is None else spell.end)
            breaks.setdefault(spell.agent, []).append((float(spell.start), ends))
    found: list[Finding] = []
    for agent in sorted(on_queue):
        limit = settings.value(Rule.AWAY, "limit", agent, (teams or {}).get(agent, ""))
        away = merged(breaks.get(agent, []) + _gaps(logins.get(agent, []), now))
        inside = _clipped(away, merged(on_queue[agent]))
        for start, end in inside:
            if end - start > limit:  # rule 3
                found.append(_finding(agent, start, end, limit, now, zone))
    return found


def _gaps(sessions: Sequence[Session], now: Instant) -> list[Span]:
    """Rule 2 and 4: logged out between two logins."""
    ordered = sorted(sessions, key=lambda s: s.start)
    gaps: list[Span] = []
    covered: float | None = None
    for session in ordered:
        if covered is not None and session.start > covered:
            gaps.append((covered, float(session.start)))
        end = float(now if session.end is None else session.end)
        covered = end if covered is None else max(covered, end)
    return gaps


def _clipped(spans: Sequence[Span], within: Sequence[Span]) -> list[Span]:
    clipped = []
    for start, end in spans:
        for low, high in within:
            if start < high and end > low:
                clipped.append((max(start, low), min(end, high)))
    return merged(clipped)


def _finding(
    agent: AgentId, start: float, end: float, limit: float, now: Instant, zone: tzinfo
) -> Finding:
    until = "now" if end >= now else datetime.fromtimestamp(end, zone).strftime("%H:%M")
    began = datetime.fromtimestamp(start, zone)
    minutes = round((end - start) / 60)
    return Finding(
        rule=Rule.AWAY,
        agent=agent,
        at=Instant(start),
        measured=end - start,
        limit=limit,
        detail=f"away from {began:%Y-%m-%d %H:%M} to {until} ({minutes} min) while on queue",
    )
