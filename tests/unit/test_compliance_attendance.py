"""Attendance against the schedule (cti/domain/compliance/attendance.py, issue 16, P4):
late, absent and early leave from login sessions, with an injected clock, across midnight
and a change of summer time, per-agent and per-team parameters, and re-evaluation."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cti.domain.compliance.attendance import Session, judge
from cti.domain.compliance.rulebook import (
    RULEBOOK,
    Override,
    Scope,
    Source,
    checked,
)
from cti.domain.compliance.schedule import Duty, duties, local_activity
from cti.domain.ids import AgentId, Instant
from cti.domain.records import Finding, Rule
from cti.domain.setting import SettingError

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
A, B = AgentId("1001"), AgentId("1002")
DAY = date(2026, 12, 7)
NONE = checked([])


def local(text: str, zone: ZoneInfo = SHANGHAI) -> Instant:
    return Instant(datetime.fromisoformat(text).replace(tzinfo=zone).timestamp())


def office_day(agent: AgentId = A) -> Duty:
    """P4's day: in by 08:25, out not before 17:35 (with lunch inside the duty)."""
    spans = [
        ("08:25", "12:00", "on_queue"),
        ("12:00", "13:00", "lunch"),
        ("13:00", "17:35", "on_queue"),
    ]
    [duty] = duties(local_activity(agent, DAY, s, e, SHANGHAI, a) for s, e, a in spans)
    return duty


def session(start: str, end: str | None, agent: AgentId = A, zone: ZoneInfo = SHANGHAI) -> Session:
    return Session(
        agent=agent, start=local(start, zone), end=None if end is None else local(end, zone)
    )


def rules_of(found: list[Finding]) -> list[tuple[Rule, float, float]]:
    return [(f.rule, f.measured, f.limit) for f in found]


EVENING = local("2026-12-07 20:00")


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        ("2026-12-07 08:10", []),  # before the start
        ("2026-12-07 08:30", []),  # P4: at 08:30 not yet late
        ("2026-12-07 08:31", [(Rule.LATE, 360.0, 300.0)]),
        ("2026-12-07 09:25", [(Rule.LATE, 3600.0, 300.0)]),  # exactly an hour: late
        ("2026-12-07 09:40", [(Rule.ABSENT, 4500.0, 3600.0)]),  # more than an hour: absent
    ],
)
def test_arrival_after_the_grace_is_late_and_after_an_hour_absent(
    login: str, expected: list[tuple[Rule, float, float]]
) -> None:
    found = judge([office_day()], [session(login, "2026-12-07 17:40")], NONE, EVENING, SHANGHAI)
    assert rules_of(found) == expected
    assert all(f.at == office_day().start and f.agent == A for f in found)


def test_the_finding_says_what_happened_in_local_time() -> None:
    [late] = judge([office_day()], [session("2026-12-07 08:42", None)], NONE, EVENING, SHANGHAI)
    assert late.detail == "logged in at 08:42, 17 min after the start (duty 2026-12-07 08:25-17:35)"


def test_nobody_in_is_absent_once_the_hour_passed_and_not_before() -> None:
    duty = office_day()
    assert judge([duty], [], NONE, local("2026-12-07 09:25"), SHANGHAI) == []
    [absent] = judge([duty], [], NONE, local("2026-12-07 09:26"), SHANGHAI)
    assert (absent.rule, absent.measured, absent.at) == (Rule.ABSENT, 3660.0, duty.start)
    assert absent.detail.startswith("not logged in by 09:25")
    [whole] = judge([duty], [], NONE, EVENING, SHANGHAI)
    assert whole.measured == duty.end - duty.start  # never in: the whole duty
    # An agent who logs in late is not also judged late, nor early, once absent.
    assert rules_of(
        judge([duty], [session("2026-12-07 09:30", "2026-12-07 16:00")], NONE, EVENING, SHANGHAI)
    ) == [
        (Rule.ABSENT, 3900.0, 3600.0),
        (Rule.ABSENT, 5700.0, 3600.0),
    ]


@pytest.mark.parametrize(
    ("sessions", "expected"),
    [
        ([("08:20", "17:35")], []),
        ([("08:20", "17:30")], [(Rule.EARLY_LEAVE, 300.0, 0.0)]),  # P4: out at 17:30
        ([("08:20", "16:00")], [(Rule.ABSENT, 5700.0, 3600.0)]),  # more than an hour early
        ([("08:20", "12:00"), ("13:05", "17:40")], []),  # out for lunch, back
        ([("08:20", "17:00"), ("17:10", None)], []),  # still in at the end
    ],
)
def test_leaving_before_the_end_is_an_early_leave_and_an_hour_early_absent(
    sessions: list[tuple[str, str | None]], expected: list[tuple[Rule, float, float]]
) -> None:
    given = [
        session(f"2026-12-07 {s}", None if e is None else f"2026-12-07 {e}") for s, e in sessions
    ]
    found = judge([office_day()], given, NONE, EVENING, SHANGHAI)
    assert rules_of(found) == expected
    assert all(f.at == office_day().end for f in found)


def test_an_early_leave_is_judged_only_once_the_end_passed() -> None:
    gone = [session("2026-12-07 08:20", "2026-12-07 17:00")]
    assert judge([office_day()], gone, NONE, local("2026-12-07 17:34"), SHANGHAI) == []
    assert rules_of(judge([office_day()], gone, NONE, local("2026-12-07 17:35"), SHANGHAI)) == [
        (Rule.EARLY_LEAVE, 2100.0, 0.0)
    ]


def test_a_night_duty_across_midnight_and_a_change_of_summer_time() -> None:
    """18:00-08:00 in London on the night clocks go back (15 hours): in at 18:10 (late by
    10 min), out at 07:00 GMT, 60 min early (not more than an hour: an early leave)."""
    [night] = duties([local_activity(A, date(2026, 10, 24), "18:00", "08:00", LONDON)])
    assert night.end - night.start == 15 * 3600
    start = local("2026-10-24 18:10", LONDON)
    left = Instant(datetime(2026, 10, 25, 7, 0, tzinfo=LONDON).timestamp())
    found = judge(
        [night], [Session(agent=A, start=start, end=left)], NONE, Instant(night.end + 60), LONDON
    )
    assert rules_of(found) == [(Rule.LATE, 600.0, 300.0), (Rule.EARLY_LEAVE, 3600.0, 0.0)]


def test_parameters_per_agent_and_team_then_the_centre_then_the_default() -> None:
    settings = checked(
        [
            Override(rule=Rule.LATE, param="grace", scope=Scope.CENTRE, target="", value=120),
            Override(rule=Rule.LATE, param="grace", scope=Scope.TEAM, target="night", value=900),
            Override(rule=Rule.LATE, param="grace", scope=Scope.AGENT, target="1001", value=600),
        ]
    )
    assert settings.value(Rule.LATE, "grace", A, "night") == 600  # the agent's
    assert settings.value(Rule.LATE, "grace", B, "night") == 900  # the team's
    assert settings.value(Rule.LATE, "grace", B) == 120  # the centre's
    assert checked([]).value(Rule.LATE, "grace", B) == 300  # the default
    duties_ = [office_day(A), office_day(B)]
    logins = [session("2026-12-07 08:35", None, A), session("2026-12-07 08:35", None, B)]
    found = judge(duties_, logins, settings, EVENING, SHANGHAI, teams={B: "day"})
    assert [(f.agent, f.rule, f.limit) for f in found] == [(B, Rule.LATE, 120.0)]


@pytest.mark.parametrize(
    ("override", "field", "words"),
    [
        (
            Override(rule=Rule.LATE, param="grase", scope=Scope.CENTRE, target="", value=1),
            "P4.late.grase",
            r"no such parameter \(it takes: grace\)",
        ),
        (
            Override(rule=Rule.LATE, param="grace", scope=Scope.CENTRE, target="", value=-1),
            "P4.late.grace",
            "must be 0-86400 s",
        ),
        (
            Override(rule=Rule.LATE, param="grace", scope=Scope.CENTRE, target="", value=1e12),
            "P4.late.grace",
            "must be",
        ),
        (
            Override(rule=Rule.LATE, param="grace", scope=Scope.CENTRE, target="x", value=1),
            "P4.late.grace",
            "names its target",
        ),
        (
            Override(rule=Rule.LATE, param="grace", scope=Scope.AGENT, target="", value=1),
            "P4.late.grace",
            "names its target",
        ),
        (
            Override(rule=Rule.RING_LIMIT, param="n", scope=Scope.CENTRE, target="", value=3),
            "C3.ring_limit.n",
            "it takes: none",
        ),
    ],
)
def test_an_override_the_rulebook_does_not_take_is_refused_and_none_of_the_set_applies(
    override: Override, field: str, words: str
) -> None:
    good = Override(rule=Rule.ABSENT, param="after", scope=Scope.CENTRE, target="", value=1800)
    with pytest.raises(SettingError, match=words) as refused:
        checked([good, override])
    assert refused.value.field == field


def test_every_rule_is_in_the_rulebook_with_its_evidence_and_defaults_in_bounds() -> None:
    assert set(RULEBOOK) == set(Rule)
    for rule, spec in RULEBOOK.items():
        assert spec.rule is rule and spec.title and spec.checks and spec.evidence
        assert spec.requirement == rule.value.split(".")[0]
        for param in spec.params:
            assert param.bounds.allows(param.default), (rule, param.name)
        assert spec.source is Source.RECORDS or not spec.params  # the core's live in config


def test_the_same_records_judged_again_later_give_the_same_findings() -> None:
    """Rule 4: a past period re-evaluated gives identical findings (stable keys)."""
    duties_ = [office_day(A), office_day(B)]
    logins = [session("2026-12-07 08:40", "2026-12-07 17:00", A)]
    first = judge(duties_, logins, NONE, EVENING, SHANGHAI)
    again = judge(
        list(reversed(duties_)),
        list(reversed(logins)),
        NONE,
        Instant(EVENING + 86400 * 30),
        SHANGHAI,
    )
    assert sorted(first, key=lambda f: (f.agent, f.at)) == sorted(
        again, key=lambda f: (f.agent, f.at)
    )
    assert len(first) == 3  # A late and early, B absent


def test_a_duty_shorter_than_the_threshold_nobody_came_to_is_an_absence_at_its_end() -> None:
    [short] = duties([local_activity(A, DAY, "12:00", "12:30", SHANGHAI, "training")])
    assert judge([short], [], NONE, local("2026-12-07 12:29"), SHANGHAI) == []
    [absent] = judge([short], [], NONE, local("2026-12-07 12:30"), SHANGHAI)
    assert (absent.rule, absent.measured, absent.limit) == (Rule.ABSENT, 1800.0, 3600.0)


def test_the_readme_lists_every_rule_with_its_policy_and_defaults() -> None:
    """Issue 16: the rules and their defaults are in the README with their policy."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Compliance rules") : readme.index("## Architecture")]
    for rule, spec in RULEBOOK.items():
        line = next((x for x in section.splitlines() if x.startswith(f"| `{rule.value}` |")), "")
        assert f"| {spec.requirement} |" in line, rule
        for param in spec.params:
            shown = f"`{param.name}` = {param.default:g} {param.bounds.unit}"
            assert shown in line, (rule, param.name)
