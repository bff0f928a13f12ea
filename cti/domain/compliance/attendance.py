"""Attendance against the schedule (issue 16, P4, P13): late, absent, early leave.

Rule 1: judged per duty (cti/domain/compliance/schedule.py rule 2) from the agent's login
sessions, stored ones and the one going on (`end` None). A duty is judged once its facts
are in: its start once the agent arrived or the absent threshold passed; its end once the
end passed.
Rule 2 (arrival): the agent arrived at the duty's start if a session covers the start,
else at the first login inside the duty. Later than start + `P4.late.grace` (300 s: in by
08:25, late after 08:30) is P4.late; later than start + `P4.absent.after` (3600 s), or no
arrival by then, is P4.absent instead. Both are found at the duty's start (their key).
Rule 3 (leaving): if no session covers the last instant of the duty, the agent left at the
end of its last session inside the duty; earlier than end - `P4.early_leave.grace` (0 s:
not before 17:35) is P4.early_leave, earlier than end - `P4.absent.after` is P4.absent
instead; both are found at the duty's end. An agent who never arrived has no early leave.
Rule 4: the same records and instant give the same findings; a duty wholly in the past
gives the same findings at any later instant (the measured value of an absence with no
arrival grows with `now` only until the duty's end).
Rule 5: pure: sessions, duties, settings and `now` are handed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from cti.domain.compliance.rulebook import RuleSettings
from cti.domain.compliance.schedule import Duty
from cti.domain.ids import AgentId, Instant
from cti.domain.records import Finding, Rule


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A login of one agent; `end` None while it goes on."""

    agent: AgentId
    start: Instant
    end: Instant | None = None

    def covers(self, at: Instant) -> bool:
        return self.start <= at and (self.end is None or self.end > at)


Teams = Mapping[AgentId, str]


def judge(
    duties: Iterable[Duty],
    sessions: Iterable[Session],
    settings: RuleSettings,
    now: Instant,
    zone: tzinfo,
    teams: Teams | None = None,
) -> list[Finding]:
    """Every attendance finding of these duties as of `now`, by duty (rule 1)."""
    by_agent: dict[AgentId, list[Session]] = {}
    for session in sessions:
        by_agent.setdefault(session.agent, []).append(session)
    found: list[Finding] = []
    for duty in duties:
        team = (teams or {}).get(duty.agent, "")

        def value(rule: Rule, param: str, duty: Duty = duty, team: str = team) -> float:
            return settings.value(rule, param, duty.agent, team)

        mine = sorted(by_agent.get(duty.agent, ()), key=lambda s: s.start)
        found.extend(_arrival(duty, mine, value, now, zone))
        found.extend(_leaving(duty, mine, value, now, zone))
    return found


Value = Callable[[Rule, str], float]


def _arrival(
    duty: Duty, sessions: Sequence[Session], value: Value, now: Instant, zone: tzinfo
) -> list[Finding]:
    """Rule 2."""
    grace, absent = value(Rule.LATE, "grace"), value(Rule.ABSENT, "after")
    arrived = _arrived(duty, sessions, now)
    if arrived is None:
        # Never in: absent once the threshold passed, or the whole of a shorter duty.
        due = min(duty.start + absent, duty.end)
        if now < due or (now == due and due < duty.end):  # exactly an hour is late
            return []
        words = f"not logged in by {_clock(Instant(due), zone)} ({_duty(duty, zone)})"
        late = min(now, duty.end) - duty.start
        return [_finding(Rule.ABSENT, duty, late, absent, words)]
    late = arrived - duty.start
    words = f"logged in at {_clock(arrived, zone)}, {_minutes(late)} after the start"
    return _graded(duty, duty.start, late, words, zone, limits=(grace, absent, Rule.LATE))


def _arrived(duty: Duty, sessions: Sequence[Session], now: Instant) -> Instant | None:
    if any(s.covers(duty.start) for s in sessions):
        return duty.start
    return next((s.start for s in sessions if duty.start < s.start < min(duty.end, now)), None)


def _leaving(
    duty: Duty, sessions: Sequence[Session], value: Value, now: Instant, zone: tzinfo
) -> list[Finding]:
    """Rule 3."""
    last = Instant(duty.end - 0.001)  # the duty's last instant, to the millisecond
    if now < duty.end or _arrived(duty, sessions, now) is None:
        return []
    if any(s.covers(last) for s in sessions):
        return []
    ends = [s.end for s in sessions if s.end is not None and duty.start < s.end < duty.end]
    if not ends:
        return []
    left = max(ends)
    early = duty.end - left
    grace, absent = value(Rule.EARLY_LEAVE, "grace"), value(Rule.ABSENT, "after")
    words = f"logged out at {_clock(left, zone)}, {_minutes(early)} before the end"
    return _graded(duty, duty.end, early, words, zone, limits=(grace, absent, Rule.EARLY_LEAVE))


def _graded(
    duty: Duty,
    at: Instant,
    measured: float,
    words: str,
    zone: tzinfo,
    limits: tuple[float, float, Rule],
) -> list[Finding]:
    """Past `absent`: P4.absent; else past `grace`: the rule of the grace; else nothing."""
    grace, absent, rule = limits
    if measured > absent:
        rule, limit = Rule.ABSENT, absent
    elif measured > grace:
        limit = grace
    else:
        return []
    return [_finding(rule, duty, measured, limit, f"{words} ({_duty(duty, zone)})", at)]


def _finding(
    rule: Rule, duty: Duty, measured: float, limit: float, detail: str, at: Instant | None = None
) -> Finding:
    return Finding(
        rule=rule,
        agent=duty.agent,
        at=duty.start if at is None else at,
        measured=measured,
        limit=limit,
        detail=detail,
    )


def _clock(at: Instant, zone: tzinfo) -> str:
    return datetime.fromtimestamp(at, zone).strftime("%H:%M")


def _duty(duty: Duty, zone: tzinfo) -> str:
    start = datetime.fromtimestamp(duty.start, zone)
    return f"duty {start:%Y-%m-%d %H:%M}-{_clock(duty.end, zone)}"


def _minutes(seconds: float) -> str:
    whole = round(seconds / 60)
    return f"{whole} min" if whole < 120 else f"{whole // 60} h {whole % 60} min"
