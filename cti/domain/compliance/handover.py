"""Handover between shifts (issue 16, P12: the outgoing shift may not leave before the
successor has arrived).

Rule 1: a handover is where one agent's scheduled activity on a position (a seat, a desk)
ends exactly when another agent's on the same position starts: the second is the first's
successor there, at that instant.
Rule 2: the outgoing agent left at the end of its login going on at the handover (the last
one before it, if it had left already); the successor arrived at the handover if logged
in then, else at its first login after it, within its activity.
Rule 3: leaving before the successor arrived is P12.left_before_successor, found at the
handover, for the outgoing agent: measured from its leaving to the successor's arrival
(or to now while the successor is not there, and at most to the end of the successor's
activity), past `P12.left_before_successor.grace` (0 s).
Rule 4: an outgoing agent who never logged in for the activity is attendance's business
(P4.absent), not a handover's; one still logged in is judged once it leaves.
Rule 5: pure; the same records and instant give the same findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from itertools import pairwise

from cti.domain.compliance.attendance import Session, Teams
from cti.domain.compliance.rulebook import RuleSettings
from cti.domain.compliance.schedule import Activity
from cti.domain.compliance.spans import by_agent
from cti.domain.ids import AgentId, Instant
from cti.domain.records import Finding, Rule


@dataclass(frozen=True, slots=True, kw_only=True)
class Handover:
    position: str
    outgoing: Activity
    successor: Activity

    @property
    def at(self) -> Instant:
        return self.outgoing.end


def handovers(activities: Iterable[Activity]) -> list[Handover]:
    """Rule 1, by position then instant."""
    by_position: dict[str, list[Activity]] = {}
    for activity in activities:
        if activity.position:
            by_position.setdefault(activity.position, []).append(activity)
    found = []
    for position in sorted(by_position):
        ordered = sorted(by_position[position], key=lambda a: a.start)
        for before, after in pairwise(ordered):
            if before.end == after.start and before.agent != after.agent:
                found.append(Handover(position=position, outgoing=before, successor=after))
    return found


def judge(
    found: Iterable[Handover],
    sessions: Iterable[Session],
    settings: RuleSettings,
    now: Instant,
    zone: tzinfo,
    teams: Teams | None = None,
) -> list[Finding]:
    logins = by_agent(sessions)
    findings = []
    for handover in found:
        outgoing = handover.outgoing.agent
        grace = settings.value(
            Rule.LEFT_BEFORE_SUCCESSOR, "grace", outgoing, (teams or {}).get(outgoing, "")
        )
        left = _left(handover, logins.get(outgoing, []))
        if left is None or left > now:
            continue  # rule 4: never in, or still there
        arrived = _arrived(handover, logins.get(handover.successor.agent, []), now)
        until = arrived if arrived is not None else min(now, handover.successor.end)
        if until - left > grace:
            findings.append(_finding(handover, left, arrived, until, grace, zone))
    return findings


def _left(handover: Handover, sessions: Sequence[Session]) -> Instant | None:
    """Rule 2: when the outgoing agent left (None: never in for the activity, or still
    logged in)."""
    at, start = handover.at, handover.outgoing.start
    for session in sessions:
        if session.covers(Instant(at - 0.001)):
            return session.end  # None while it goes on
    ends = [s.end for s in sessions if s.end is not None and start < s.end < at]
    return max(ends) if ends else None


def _arrived(handover: Handover, sessions: Sequence[Session], now: Instant) -> Instant | None:
    at, end = handover.at, handover.successor.end
    if any(s.covers(at) for s in sessions):
        return at
    later = [s.start for s in sessions if at < s.start < min(end, now)]
    return min(later) if later else None


def _finding(
    handover: Handover,
    left: Instant,
    arrived: Instant | None,
    until: float,
    grace: float,
    zone: tzinfo,
) -> Finding:
    def clock(at: float) -> str:
        return datetime.fromtimestamp(at, zone).strftime("%H:%M")

    came = f"arrived at {clock(arrived)}" if arrived is not None else "had not arrived"
    successor = handover.successor.agent
    return Finding(
        rule=Rule.LEFT_BEFORE_SUCCESSOR,
        agent=handover.outgoing.agent,
        at=handover.at,
        measured=until - left,
        limit=grace,
        detail=f"left {handover.position} at {clock(left)}; the successor {successor} {came}"
        f" (handover at {clock(handover.at)})",
    )


def successor_of(
    activities: Iterable[Activity], agent: AgentId, position: str, now: Instant
) -> Handover | None:
    """The handover `agent` gives on `position` now: from its activity there that goes on
    (or ended while its successor's goes on), the soonest (rule 1)."""
    mine = [
        h
        for h in handovers(activities)
        if h.position == position
        and h.outgoing.agent == agent
        and h.outgoing.start <= now < h.successor.end
    ]
    return min(mine, key=lambda h: h.at, default=None)
