"""The inbound ACD core: routing, rings, wrap-up, records (C2, C3, C4, P1, P2, P6, P7, P8)."""

from __future__ import annotations

import itertools

import pytest

from cti.domain.commands import (
    EndWrapUp,
    HangUp,
    LogIn,
    LogOut,
    SetNotReady,
    SetReady,
    TransferToQueue,
    TransferToSurvey,
)
from cti.domain.config import MaxWaitAction, NotReadyReason, Strategy
from cti.domain.effects import (
    AgentChanged,
    CallEnded,
    ConnectCall,
    FindingRaised,
    HangUpChannel,
    LoginEnded,
    MoveCall,
    OfferEnded,
    QueueVisitEnded,
    ReturnToQueue,
    SendCall,
    StateIntervalEnded,
    TargetKind,
)
from cti.domain.ids import AgentId, CallId, ChannelId, QueueId
from cti.domain.inputs import (
    CallControlFailed,
    DeviceState,
    DeviceStateChanged,
    DialEnded,
    DialStatus,
    PhoneRinging,
    SurveyAnswered,
)
from cti.domain.records import (
    AgentState,
    LoginEnd,
    OfferOutcome,
    Rule,
    SegmentKind,
    Side,
    VisitOutcome,
)
from tests.unit.acd_kit import Acd, agent, config, device, leg, queue

A1, A2, A3 = AgentId("1001"), AgentId("1002"), AgentId("1003")


def acd_with(*agents: str, **queue_kw: object) -> Acd:
    acd = Acd()
    acd.load(config([queue(**queue_kw)], [agent(a) for a in agents]))  # type: ignore[arg-type]
    return acd


def connects(acd: Acd) -> list[tuple[str, str]]:
    return [(c.channel, c.agent) for c in acd.of(ConnectCall)]


def agent_state(acd: Acd, agent_id: str) -> AgentState:
    found = acd.state.agents.get(AgentId(agent_id))
    return AgentState.LOGGED_OUT if found is None else found.state


def test_two_agents_five_callers_first_come_first_served_to_longest_idle() -> None:
    acd = acd_with("1001", "1002")
    acd.log_in("1002")
    acd.advance(5)
    acd.log_in("1001")  # 1002 has been idle longer
    for n in range(1, 6):
        acd.advance(1)
        acd.caller(f"c{n}")

    assert connects(acd) == [("c1", A2), ("c2", A1)]

    acd.advance(1)
    acd.answer("c1", "1002")
    acd.answer("c2", "1001")
    acd.advance(10)
    acd.hang_up("c2")  # 1001's caller hangs up first: 1001 wraps up first
    acd.advance(1)
    acd.hang_up("c1")
    acd.feed(EndWrapUp(at=acd.now, agent=A1))
    acd.advance(1)
    acd.feed(EndWrapUp(at=acd.now, agent=A2))

    assert connects(acd)[2:] == [("c3", A1), ("c4", A2)]


def test_an_urgent_caller_goes_before_earlier_normal_callers() -> None:
    acd = acd_with("1001")
    acd.caller("c1")
    acd.advance(1)
    acd.caller("c2")
    acd.advance(1)
    acd.caller("vip", priority=5)

    acd.log_in("1001")

    assert connects(acd) == [("vip", A1)]


def test_an_offer_not_answered_within_n_rings_goes_to_the_next_agent() -> None:
    acd = acd_with("1001", "1002", ring_limit=2, ring_cadence=6.0)
    acd.log_in("1001")
    acd.advance(1)
    acd.log_in("1002")
    acd.caller("c1")
    acd.dial("c1", "1001")
    acd.advance(0.5)
    acd.ring("c1")
    rang_at = acd.now

    acd.tick_to(rang_at - acd.at(0) + 11.9)
    assert connects(acd) == [("c1", A1)]
    acd.tick_to(rang_at - acd.at(0) + 12.0)

    assert connects(acd) == [("c1", A1), ("c1", A2)]
    assert acd.of(ReturnToQueue) == []  # straight to the next agent, not back to hold
    [missed] = acd.of(OfferEnded)
    assert missed.offer.outcome is OfferOutcome.NO_ANSWER
    assert missed.offer.rings == 2
    assert missed.offer.ring_started_at == rang_at
    first = acd.state.agents[A1]
    assert (first.state, first.reason) == (AgentState.NOT_READY, "no answer")
    [finding] = acd.of(FindingRaised)
    assert finding.finding.rule is Rule.RING_LIMIT
    assert (finding.finding.measured, finding.finding.limit) == (2.0, 2.0)
    assert acd.state.waiting.get(ChannelId("c1")) is not None  # same place in line


def test_a_withdrawn_offer_with_nobody_free_returns_the_caller_to_hold() -> None:
    acd = acd_with("1001", ring_limit=1, ring_cadence=5.0)
    acd.log_in("1001")
    acd.caller("c1")
    acd.dial("c1", "1001")
    acd.ring("c1")

    acd.tick_to(5.0)

    assert acd.of(ReturnToQueue) == [
        ReturnToQueue(channel=ChannelId("c1"), queue=QueueId("support"))
    ]


def test_misses_before_not_ready_is_configurable() -> None:
    acd = acd_with("1001", ring_limit=1, ring_cadence=5.0, misses_before_not_ready=2)
    acd.log_in("1001")
    acd.caller("c1")
    acd.dial("c1", "1001")
    acd.ring("c1")
    acd.feed(DeviceStateChanged(at=acd.now, device=device("1001"), state=DeviceState.RINGING))
    acd.tick_to(5.0)

    assert acd.state.agents[A1].state is AgentState.AVAILABLE
    acd.feed(DeviceStateChanged(at=acd.now, device=device("1001"), state=DeviceState.NOT_IN_USE))
    assert len(connects(acd)) == 2  # offered again once the phone is idle
    acd.dial("c1", "1001")
    acd.ring("c1")
    acd.tick_to(10.0)
    assert acd.state.agents[A1].reason == "no answer"


def test_a_busy_answer_counts_as_a_miss_and_an_unreachable_phone_is_not_ready_at_once() -> None:
    """The rule chosen (issue 12, item 10): a phone that rejects an offer (busy) missed it,
    like one that rang N times, and `misses_before_not_ready` of them in a row make the
    agent not ready ("busy"); a phone that cannot be reached cannot take the next offer
    either, so one is enough ("unavailable")."""
    acd = acd_with("1001", misses_before_not_ready=2)
    acd.log_in("1001")
    acd.caller("c1")
    acd.dial("c1", "1001")
    acd.dial_end("c1", DialStatus.BUSY)
    after_one = acd.state.agents[A1]
    acd.dial("c1", "1001")  # offered again at once: the only agent, still ready
    acd.dial_end("c1", DialStatus.BUSY)
    after_two = acd.state.agents[A1]
    acd.feed(SetReady(at=acd.now, agent=A1))
    acd.dial("c1", "1001")
    acd.dial_end("c1", DialStatus.UNAVAILABLE)

    assert (after_one.ready, after_one.misses_in_row) == (True, 1)
    assert (after_two.ready, after_two.reason) == (False, "busy")
    assert acd.state.agents[A1].reason == "unavailable"


@pytest.mark.parametrize(("answer_after", "ring"), [(0.2, 1), (6.0, 2), (13.0, 3)])
def test_the_ring_an_answer_came_on_is_recorded(answer_after: float, ring: int) -> None:
    acd = acd_with("1001", ring_limit=3, ring_cadence=6.0)
    acd.log_in("1001")
    acd.caller("c1")
    acd.dial("c1", "1001")
    acd.ring("c1")
    acd.advance(answer_after)

    acd.dial_end("c1", DialStatus.ANSWER)

    [answered] = acd.of(OfferEnded)
    assert (answered.offer.outcome, answered.offer.rings) == (OfferOutcome.ANSWERED, ring)
    [visit] = acd.of(QueueVisitEnded)
    assert visit.visit.outcome is VisitOutcome.CONNECTED


def test_busy_and_unreachable_phones_are_misses_with_their_reason() -> None:
    acd = acd_with("1001", "1002")
    acd.log_in("1001", "1002")
    acd.caller("c1")
    acd.dial("c1", "1001")
    acd.dial_end("c1", DialStatus.BUSY)
    acd.dial("c1", "1002")
    acd.dial_end("c1", DialStatus.UNAVAILABLE)

    assert [o.offer.outcome for o in acd.of(OfferEnded)] == [
        OfferOutcome.BUSY,
        OfferOutcome.UNAVAILABLE,
    ]
    assert acd.state.agents[A1].reason == "busy"
    assert acd.state.agents[A2].reason == "unavailable"


def _talking(acd: Acd, channel: str = "c1", agent_id: str = "1001") -> None:
    acd.caller(channel)
    acd.advance(2)
    acd.answer(channel, agent_id)
    acd.advance(30)


def test_the_agent_releasing_first_is_a_finding_and_the_caller_first_is_not() -> None:
    acd = acd_with("1001", "1002", max_wrap_up=0)
    acd.log_in("1001", "1002")
    _talking(acd, "c1", "1001")
    _talking(acd, "c2", "1002")

    acd.hang_up(leg("c1"))  # 1001's phone sends BYE
    acd.hang_up("c2")  # the caller of c2 sends BYE
    acd.hang_up("c1", request=False)
    acd.tick_to(100)

    findings = [f.finding for f in acd.of(FindingRaised)]
    assert [(f.rule, f.agent, f.call) for f in findings] == [
        (Rule.AGENT_RELEASED_FIRST, A1, CallId("c1"))
    ]
    records = {r.record.call: r.record for r in acd.of(CallEnded)}
    assert records[CallId("c1")].released_by is Side.AGENT
    assert records[CallId("c2")].released_by is Side.CALLER


def test_wrap_up_ended_early_with_a_disposition() -> None:
    acd = acd_with("1001", max_wrap_up=60, dispositions=("sale", "info"), disposition_required=True)
    acd.log_in("1001")
    _talking(acd)
    acd.hang_up("c1")
    acd.advance(12.5)

    acd.feed(EndWrapUp(at=acd.now, agent=A1))
    assert acd.rejected() is not None and "requires a disposition" in acd.rejected().reason  # type: ignore[union-attr]
    acd.feed(EndWrapUp(at=acd.now, agent=A1, disposition="nope"))
    assert acd.rejected() is not None
    acd.feed(EndWrapUp(at=acd.now, agent=A1, disposition="sale"))

    [record] = acd.of(CallEnded)
    wrap = [s for s in record.record.segments if s.kind is SegmentKind.WRAP_UP]
    assert [(s.seconds, s.disposition, s.outcome) for s in wrap] == [(12.5, "sale", "agent")]
    assert record.record.disposition == "sale"
    assert acd.state.agents[A1].state is AgentState.AVAILABLE
    assert acd.of(FindingRaised) == []


def test_wrap_up_is_ended_by_the_queue_maximum_with_a_finding() -> None:
    acd = acd_with("1001", max_wrap_up=20)
    acd.log_in("1001")
    _talking(acd)
    acd.hang_up("c1")
    hung_up = acd.now

    acd.tick_to(hung_up - acd.at(0) + 20)

    assert acd.state.agents[A1].state is AgentState.AVAILABLE
    [record] = acd.of(CallEnded)
    [wrap] = [s for s in record.record.segments if s.kind is SegmentKind.WRAP_UP]
    assert (wrap.seconds, wrap.outcome) == (20.0, "limit")
    [finding] = acd.of(FindingRaised)
    assert (finding.finding.rule, finding.finding.measured, finding.finding.limit) == (
        Rule.WRAP_UP_OVERRUN,
        20.0,
        20.0,
    )


def test_a_caller_abandoning_while_waiting_is_recorded_with_the_wait() -> None:
    acd = acd_with("1001")
    acd.caller("c1")
    acd.advance(42)

    acd.hang_up("c1")

    [record] = acd.of(CallEnded)
    assert (record.record.abandoned, record.record.abandon_wait) == (True, 42.0)
    [visit] = acd.of(QueueVisitEnded)
    assert visit.visit.outcome is VisitOutcome.ABANDONED


def test_a_caller_hanging_up_while_the_phone_rings_withdraws_the_offer() -> None:
    acd = acd_with("1001")
    acd.log_in("1001")
    acd.caller("c1")
    acd.dial("c1", "1001")
    acd.ring("c1")
    acd.advance(3)

    acd.dial_end("c1", DialStatus.CANCEL)
    acd.hang_up("c1")

    [offer] = acd.of(OfferEnded)
    assert offer.offer.outcome is OfferOutcome.CALLER_HUNG_UP
    assert acd.state.agents[A1].state is AgentState.AVAILABLE


def test_skills_routing_picks_the_best_level_and_widens_after_the_wait() -> None:
    acd = Acd()
    q = queue(
        "billing", strategy=Strategy.SKILLS, skill="billing", min_skill_level=5, widen_after=30
    )
    agents = [
        agent("1001", {"billing": 0}, billing=3),
        agent("1002", {"billing": 0}, billing=7),
        agent("1003", {"billing": 0}, billing=6),
    ]
    acd.load(config([q], agents))
    acd.log_in("1001", "1002", "1003")

    acd.caller("c1", "billing")
    acd.caller("c2", "billing")
    acd.caller("c3", "billing")
    assert connects(acd) == [("c1", A2), ("c2", A3)]
    acd.answer("c1", "1002")
    acd.answer("c2", "1003")

    acd.tick_to(30)
    assert connects(acd)[2:] == [("c3", A1)]


def test_fewest_calls_prefers_the_agent_with_fewer_answered_calls() -> None:
    acd = acd_with("1001", "1002", strategy=Strategy.FEWEST_CALLS, max_wrap_up=0)
    acd.log_in("1001")
    acd.advance(1)
    acd.log_in("1002")
    _talking(acd, "c1", "1001")
    acd.hang_up("c1")
    acd.tick_to(100)

    acd.caller("c2")

    assert connects(acd)[-1] == ("c2", A2)


def test_overflow_moves_the_caller_after_the_configured_wait() -> None:
    acd = Acd()
    support = queue("support", overflow_after=20, overflow_queue=QueueId("backup"))
    agents = [agent("1001", {"backup": 0})]
    acd.load(config([support, queue("backup")], agents))
    acd.log_in("1001")
    acd.caller("c1", "support")
    assert connects(acd) == []

    acd.tick_to(20)

    assert acd.of(MoveCall) == [MoveCall(channel=ChannelId("c1"), queue=QueueId("backup"))]
    assert connects(acd) == [("c1", A1)]
    visits = [(v.visit.queue, v.visit.outcome) for v in acd.of(QueueVisitEnded)]
    assert visits == [("support", VisitOutcome.MOVED)]


def test_max_wait_sends_the_caller_to_voicemail() -> None:
    acd = acd_with("1001", max_wait=90, max_wait_action=MaxWaitAction.VOICEMAIL)
    acd.caller("c1")

    acd.tick_to(90)

    assert acd.of(SendCall) == [
        SendCall(channel=ChannelId("c1"), kind=TargetKind.VOICEMAIL, target="support")
    ]
    assert acd.state.waiting.get(ChannelId("c1")) is None


def test_blind_transfer_to_a_queue_credits_each_agent_with_its_own_talk() -> None:
    acd = Acd()
    agents = [agent("1001", {"support": 0}), agent("1002", {"sales": 0})]
    acd.load(config([queue("support"), queue("sales")], agents))
    acd.log_in("1001", "1002")
    acd.caller("c1")
    acd.answer("c1", "1001")
    acd.advance(40)

    acd.feed(TransferToQueue(at=acd.now, agent=A1, queue=QueueId("sales")))
    assert acd.of(SendCall)[-1] == SendCall(
        channel=ChannelId("c1"), kind=TargetKind.QUEUE, target="sales"
    )
    acd.hang_up(leg("c1"), request=False)  # Asterisk hangs the first agent's leg up
    acd.caller("c1", "sales")
    acd.advance(3)
    acd.answer("c1", "1002")
    acd.advance(25)
    acd.hang_up("c1")
    acd.feed(EndWrapUp(at=acd.now, agent=A1))
    acd.feed(EndWrapUp(at=acd.now, agent=A2))

    [record] = acd.of(CallEnded)
    talks = [
        (s.agent, s.seconds, s.outcome)
        for s in record.record.segments
        if s.kind is SegmentKind.TALK
    ]
    assert talks == [(A1, 40.0, "transferred"), (A2, 25.0, "released")]
    assert record.record.released_by is Side.CALLER
    assert acd.of(FindingRaised) == []


def test_the_survey_score_lands_on_the_call_and_sending_to_the_survey_is_no_finding() -> None:
    acd = acd_with("1001", max_wrap_up=0)
    acd.log_in("1001")
    _talking(acd)

    acd.feed(TransferToSurvey(at=acd.now, agent=A1))
    acd.hang_up(leg("c1"), request=False)
    acd.feed(SurveyAnswered(at=acd.now, call=CallId("c1"), channel=ChannelId("c1"), score=4))
    acd.hang_up("c1", request=False)
    acd.tick_to(200)

    [record] = acd.of(CallEnded)
    assert record.record.survey_score == 4
    assert acd.of(FindingRaised) == []


def test_hang_up_from_the_desktop_hangs_up_the_agent_leg() -> None:
    acd = acd_with("1001")
    acd.log_in("1001")
    _talking(acd)

    acd.feed(HangUp(at=acd.now, agent=A1))

    assert acd.of(HangUpChannel) == [HangUpChannel(channel=leg("c1"))]


def test_login_needs_a_known_agent_and_a_registered_free_device() -> None:
    acd = acd_with("1001", "1002")
    acd.feed(LogIn(at=acd.now, agent=AgentId("9999"), device=device("1001"), address="x"))
    assert acd.rejected() is not None and acd.rejected().code == "not_found"  # type: ignore[union-attr]
    acd.feed(LogIn(at=acd.now, agent=A1, device=device("1001"), address="x"))
    assert "not registered" in acd.rejected().reason  # type: ignore[union-attr]
    acd.log_in("1001")
    acd.feed(LogIn(at=acd.now, agent=A2, device=device("1001"), address="x"))
    assert "in use by agent 1001" in acd.rejected().reason  # type: ignore[union-attr]


def test_a_second_login_is_refused_or_takes_over_and_is_recorded_either_way() -> None:
    acd = acd_with("1001")
    acd.log_in("1001")
    acd.register("1002")
    before = acd.state

    acd.feed(LogIn(at=acd.now, agent=A1, device=device("1002"), address="10.1.1.1"))
    assert acd.state is before
    assert acd.rejected() is not None
    acd.advance(5)
    acd.feed(LogIn(at=acd.now, agent=A1, device=device("1002"), address="10.1.1.1", takeover=True))

    findings = [f.finding for f in acd.of(FindingRaised)]
    assert [f.rule for f in findings] == [Rule.SECOND_LOGIN, Rule.SECOND_LOGIN]
    assert findings[0].detail.startswith("refused: login on PJSIP/1002 from 10.1.1.1")
    [ended] = acd.of(LoginEnded)
    assert (ended.session.ended, ended.session.device) == (LoginEnd.TAKEN_OVER, device("1001"))
    assert acd.state.agents[A1].device == device("1002")


def test_not_ready_reasons_are_checked_and_their_limit_gives_a_finding() -> None:
    acd = Acd()
    acd.load(config([queue()], [agent("1001")], [NotReadyReason(code="break", max_seconds=900)]))
    acd.log_in("1001")

    acd.feed(SetNotReady(at=acd.now, agent=A1, reason="lunch"))
    assert acd.rejected() is not None and acd.rejected().code == "invalid"  # type: ignore[union-attr]
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason="no answer"))
    assert acd.rejected() is not None
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason="break"))
    acd.tick_to(901)

    [finding] = acd.of(FindingRaised)
    assert (finding.finding.rule, finding.finding.measured) == (Rule.NOT_READY_OVERRUN, 900.0)
    acd.feed(SetReady(at=acd.now, agent=A1))
    assert acd.state.agents[A1].state is AgentState.AVAILABLE


def test_illegal_transitions_are_refused_with_the_state_named() -> None:
    acd = acd_with("1001")
    acd.log_in("1001")
    acd.caller("c1")
    before = acd.state

    acd.feed(LogOut(at=acd.now, agent=A1, by="agent:1001"))
    assert acd.rejected() is not None
    assert acd.rejected().reason == "agent 1001: log out not allowed in offered"  # type: ignore[union-attr]
    acd.feed(EndWrapUp(at=acd.now, agent=A1))
    assert "not allowed in offered" in acd.rejected().reason  # type: ignore[union-attr]
    assert acd.state is before


def test_a_failed_connect_frees_the_agent_and_retries_the_call_after_a_pause() -> None:
    acd = acd_with("1001")
    acd.log_in("1001")
    acd.caller("c1")

    acd.feed(CallControlFailed(at=acd.now, channel=ChannelId("c1"), reason="No such channel"))
    assert len(connects(acd)) == 1
    acd.tick_to(1.0)

    assert len(connects(acd)) == 2


def test_state_intervals_of_an_agent_follow_each_other_without_gaps() -> None:
    acd = acd_with("1001", max_wrap_up=10)
    acd.log_in("1001")
    _talking(acd)
    acd.hang_up("c1")
    acd.tick_to(100)
    acd.feed(LogOut(at=acd.now, agent=A1, by="agent:1001"))

    intervals = [i.interval for i in acd.of(StateIntervalEnded)]
    states = [i.state for i in intervals]
    assert states == [
        AgentState.AVAILABLE,
        AgentState.OFFERED,
        AgentState.ON_CALL,
        AgentState.WRAP_UP,
        AgentState.AVAILABLE,
    ]
    for before, after in itertools.pairwise(intervals):
        assert before.end == after.start
    assert acd.of(AgentChanged)[-1].state is AgentState.LOGGED_OUT


def test_the_dialplan_result_ends_an_offer_to_a_phone_that_got_no_leg() -> None:
    acd = acd_with("1001", "1002")
    acd.log_in("1001")
    acd.caller("c1")
    acd.log_in("1002")

    acd.feed(
        DialEnded(
            at=acd.now,
            channel=ChannelId("c1"),
            agent_channel=None,
            status=DialStatus.UNAVAILABLE,
            agent=A1,
        )
    )

    [ended] = acd.of(OfferEnded)
    assert (ended.offer.agent, ended.offer.outcome) == (A1, OfferOutcome.UNAVAILABLE)
    assert connects(acd) == [("c1", A1), ("c1", A2)]
    stale = DialEnded(
        at=acd.now,
        channel=ChannelId("c1"),
        agent_channel=None,
        status=DialStatus.UNAVAILABLE,
        agent=A1,
    )
    acd.feed(stale)  # a late result for the first offer must not end the second
    assert len(acd.of(OfferEnded)) == 1


def test_the_old_legs_dial_end_does_not_end_the_next_offer() -> None:
    acd = acd_with("1001", "1002", ring_limit=1, ring_cadence=5.0)
    acd.log_in("1001", "1002")
    acd.caller("c1")
    acd.dial("c1", "1001")
    acd.ring("c1")
    acd.tick_to(5.0)  # withdrawn from 1001, offered to 1002 at once

    acd.dial_end("c1", DialStatus.CANCEL)  # Asterisk reports the first leg's end only now

    assert [o.offer.outcome for o in acd.of(OfferEnded)] == [OfferOutcome.NO_ANSWER]
    assert acd.state.offers[ChannelId("c1")].agent == A2


def test_the_ring_limit_runs_from_a_ring_stamped_ahead_of_now_only_from_now() -> None:
    acd = acd_with("1001", ring_limit=2, ring_cadence=5.0)
    acd.log_in("1001")
    acd.caller("c1")
    acd.dial("c1", "1001")

    acd.feed(PhoneRinging(at=acd.at(30), channel=ChannelId("c1"), agent_channel=leg("c1")))

    assert acd.state.offers[ChannelId("c1")].deadline == acd.now + 10.0


def test_a_phone_gone_during_a_call_leaves_the_agent_not_ready_after_the_wrap_up() -> None:
    """A softphone's page closed mid-call (issue 15): its device goes unavailable while the
    agent talks; the call ends as any does, and the agent resumes not ready (unavailable),
    never ready on a phone that cannot ring."""
    acd = acd_with("1001", max_wrap_up=5)
    acd.log_in("1001")
    _talking(acd, "c1", "1001")

    acd.feed(DeviceStateChanged(at=acd.now, device=device("1001"), state=DeviceState.UNAVAILABLE))
    assert acd.state.agents[A1].state is AgentState.ON_CALL  # the call goes on
    acd.hang_up(leg("c1"))
    acd.hang_up("c1", request=False)
    assert acd.state.agents[A1].state is AgentState.WRAP_UP
    acd.tick_to(200)  # the queue's 5 s of wrap-up are over

    agent = acd.state.agents[A1]
    assert (agent.state, agent.reason, agent.reason_by) == (
        AgentState.NOT_READY, "unavailable", "system"
    )  # fmt: skip
