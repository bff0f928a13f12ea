"""Breaks with a supervisor's approval (cti/domain/breaks.py, issue 16, P5): asking for
longer than a reason's limit, approving and refusing, the approved limit for the spell,
and an overrun with or without approval as a finding."""

from __future__ import annotations

from cti.domain.breaks import VALID_FOR, BreakPhase
from cti.domain.commands import DecideBreak, LogOut, RequestBreak, SetNotReady, SetReady
from cti.domain.config import NotReadyReason
from cti.domain.effects import BreakChanged, FindingRaised, StateIntervalEnded
from cti.domain.ids import AgentId
from cti.domain.records import Rule
from tests.unit.acd_kit import Acd, agent, config, queue

A1 = AgentId("1001")
REASONS = [NotReadyReason(code="break", max_seconds=900), NotReadyReason(code="meeting")]


def desk() -> Acd:
    acd = Acd()
    acd.load(config([queue()], [agent("1001"), agent("1002")], REASONS))
    acd.log_in("1001", "1002")
    return acd


def ask(acd: Acd, seconds: float, reason: str = "break") -> None:
    acd.feed(RequestBreak(at=acd.now, agent=A1, reason=reason, seconds=seconds, by="agent:1001"))


def decide_it(acd: Acd, approve: bool = True) -> None:
    acd.feed(DecideBreak(at=acd.now, agent=A1, approve=approve, by="supervisor:sue"))


def overruns(acd: Acd) -> list[tuple[float, float, str]]:
    return [
        (f.finding.measured, f.finding.limit, f.finding.detail)
        for f in acd.of(FindingRaised)
        if f.finding.rule is Rule.NOT_READY_OVERRUN
    ]


def phases(acd: Acd) -> list[BreakPhase]:
    return [c.request.phase for c in acd.of(BreakChanged)]


def test_an_approved_longer_break_is_the_limit_of_the_spell_it_starts() -> None:
    acd = desk()
    ask(acd, 1800)
    decide_it(acd)
    acd.advance(60)
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason="break"))
    acd.tick_to(60 + 1799)
    assert overruns(acd) == []  # past the reason's 900 s, within the approved 1800
    acd.tick_to(60 + 1800)
    assert overruns(acd) == [(1800.0, 1800.0, "break, approved by supervisor:sue")]
    acd.feed(SetReady(at=acd.now, agent=A1))
    assert A1 not in acd.state.breaks
    assert phases(acd) == [
        BreakPhase.PENDING,
        BreakPhase.APPROVED,
        BreakPhase.APPROVED,
        BreakPhase.ENDED,
    ]
    assert [c.by for c in acd.of(BreakChanged)][2] == "the break started"
    spells = [e.interval for e in acd.of(StateIntervalEnded) if e.interval.reason == "break"]
    assert [s.approved_by for s in spells] == ["supervisor:sue"]  # the record says so


def test_an_approval_during_the_break_extends_it_at_once() -> None:
    acd = desk()
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason="break"))
    acd.tick_to(600)
    ask(acd, 1500)
    decide_it(acd)
    acd.tick_to(1000)
    assert overruns(acd) == []
    acd.tick_to(1500)
    assert [limit for _, limit, _ in overruns(acd)] == [1500.0]


def test_without_approval_an_overrun_is_a_finding_at_the_reasons_limit() -> None:
    acd = desk()
    ask(acd, 1800)
    decide_it(acd, approve=False)
    assert A1 not in acd.state.breaks and phases(acd)[-1] is BreakPhase.REFUSED
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason="break"))
    acd.tick_to(900)
    assert overruns(acd) == [(900.0, 900.0, "break")]


def test_an_approval_not_used_in_time_ends_and_the_next_break_has_the_reasons_limit() -> None:
    acd = desk()
    ask(acd, 1800)
    decide_it(acd)
    acd.tick_to(VALID_FOR)
    assert A1 not in acd.state.breaks and phases(acd)[-1] is BreakPhase.ENDED
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason="break"))
    acd.tick_to(VALID_FOR + 900)
    assert [limit for _, limit, _ in overruns(acd)] == [900.0]


def test_a_logout_ends_a_request_and_a_break_of_another_reason_does_not_use_it() -> None:
    acd = desk()
    ask(acd, 1800)
    decide_it(acd)
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason="meeting"))
    assert acd.state.breaks[A1].used is False
    acd.feed(LogOut(at=acd.now, agent=A1))
    assert A1 not in acd.state.breaks and phases(acd)[-1] is BreakPhase.ENDED


def test_requests_and_decisions_the_rules_do_not_allow_are_refused_and_change_nothing() -> None:
    acd = desk()
    for reason, seconds, code in (
        ("lunch", 1800, "invalid"),  # unknown reason
        ("meeting", 1800, "invalid"),  # no limit: no approval needed
        ("break", 600, "invalid"),  # within its own limit
        ("break", 5 * 3600, "invalid"),  # longer than anyone may ask
    ):
        ask(acd, seconds, reason)
        refused = acd.rejected()
        assert refused is not None and refused.code == code, (reason, seconds)
    assert acd.state.breaks == {}
    decide_it(acd)
    refused = acd.rejected()
    assert refused is not None and "no break request pending" in refused.reason
    ask(acd, 1800)
    decide_it(acd)
    decide_it(acd, approve=False)  # the request was already approved
    refused = acd.rejected()
    assert refused is not None and refused.reason.endswith("already approved by supervisor:sue")
    ask(acd, 2400)
    assert acd.rejected() is not None  # an approved one stands
    assert acd.state.breaks[A1].seconds == 1800
