"""Attended transfer to an agent (P8), in the pure core: consult, then complete, cancel, or
whatever the phones do instead (cti/domain/consult.py)."""

from __future__ import annotations

import pytest

from cti.domain.commands import (
    CancelConsult,
    CompleteTransfer,
    ConsultAgent,
    EndWrapUp,
    SetNotReady,
    TransferToQueue,
)
from cti.domain.effects import (
    BridgeCall,
    CallEnded,
    FindingRaised,
    HangUpChannel,
    OfferEnded,
    OfferMade,
    SendCall,
    StartConsult,
    TargetKind,
)
from cti.domain.ids import AgentId, ChannelId, QueueId
from cti.domain.inputs import CallControlFailed, DialStatus
from cti.domain.records import AgentState, OfferOutcome, Rule, SegmentKind, Side
from tests.unit.acd_kit import Acd, agent, config, device, leg, queue

A1, A2 = AgentId("1001"), AgentId("1002")
CALLER = ChannelId("c1")
CONSULTING = leg("c1")  # the consulting agent's leg (1001's)
CONSULTED = leg(CONSULTING)  # the consulted agent's leg, dialled from 1001's


def state(acd: Acd, agent_id: AgentId) -> AgentState:
    found = acd.state.agents.get(agent_id)
    return AgentState.LOGGED_OUT if found is None else found.state


def talking(**queue_kw: object) -> Acd:
    """1001 talks to caller c1 for 30 s; 1002 is logged in and available."""
    acd = Acd()
    acd.load(config([queue(**queue_kw)], [agent("1001"), agent("1002")]))  # type: ignore[arg-type]
    acd.log_in("1001")
    acd.caller("c1")
    acd.answer("c1", "1001")
    acd.log_in("1002")
    acd.advance(30)
    return acd


def consult(acd: Acd) -> None:
    acd.feed(ConsultAgent(at=acd.now, agent=A1, target=A2))
    assert acd.rejected() is None, acd.rejected()


def consulted_answers(acd: Acd, after: float = 4) -> None:
    acd.dial(CONSULTING, "1002")
    acd.ring(CONSULTING)
    acd.advance(after)
    acd.dial_end(CONSULTING, DialStatus.ANSWER)


def segments(acd: Acd) -> list[tuple[SegmentKind, str | None, float, str]]:
    [ended] = acd.of(CallEnded)
    return [
        (s.kind, s.agent, s.seconds, s.outcome)
        for s in ended.record.segments
        if s.kind is not SegmentKind.QUEUE
    ]


def finish(acd: Acd) -> None:
    for agent_id in (A1, A2):
        if state(acd, agent_id) is AgentState.WRAP_UP:
            acd.feed(EndWrapUp(at=acd.now, agent=agent_id))


def test_consult_then_complete_credits_each_agent_and_the_hold() -> None:
    acd = talking()
    consult(acd)
    [start] = acd.of(StartConsult)
    assert start == StartConsult(
        channel=CALLER,
        agent_channel=CONSULTING,
        agent=A2,
        device=device("1002"),
        ring_guard=start.ring_guard,
    )
    assert state(acd, A2) is AgentState.OFFERED
    assert acd.of(OfferMade)[-1].agent == A2  # the consulted agent's screen pop
    assert acd.of(OfferMade)[-1].call.caller == "+1555c1"

    consulted_answers(acd, after=7)  # the second ring of 6 s
    answered = acd.of(OfferEnded)[-1].offer
    assert (answered.agent, answered.outcome, answered.rings) == (A2, OfferOutcome.ANSWERED, 2)
    assert state(acd, A2) is AgentState.ON_CALL
    acd.advance(13)

    acd.feed(CompleteTransfer(at=acd.now, agent=A1))
    assert acd.of(BridgeCall) == [BridgeCall(channel=CALLER, to=CONSULTED, consulting=CONSULTING)]
    assert state(acd, A1) is AgentState.WRAP_UP
    assert state(acd, A2) is AgentState.ON_CALL
    acd.hang_up(CONSULTING, request=False)  # the dialplan hangs the consulting leg up
    acd.advance(50)
    acd.hang_up(CONSULTED)  # the consulted agent releases first: a P2 finding is theirs
    acd.hang_up("c1", request=False)
    finish(acd)

    assert segments(acd)[:3] == [
        (SegmentKind.TALK, A1, 30.0, "consult"),
        (SegmentKind.HOLD, A1, 20.0, "transferred"),
        (SegmentKind.TALK, A2, 50.0, "released"),
    ]
    [ended] = acd.of(CallEnded)
    assert ended.record.released_by is Side.AGENT
    assert ended.record.offers == 2
    [finding] = [f.finding for f in acd.of(FindingRaised)]
    assert (finding.rule, finding.agent) == (Rule.AGENT_RELEASED_FIRST, A2)


def test_consulted_agent_not_answering_within_n_rings_gives_the_caller_back() -> None:
    acd = talking(ring_limit=2, ring_cadence=5.0)
    consult(acd)
    acd.dial(CONSULTING, "1002")
    acd.ring(CONSULTING)
    acd.tick_to(30 + 10)  # two rings of 5 s

    assert acd.of(BridgeCall) == [BridgeCall(channel=CALLER, to=CONSULTING, consulting=CONSULTING)]
    missed = acd.of(OfferEnded)[-1].offer
    assert (missed.agent, missed.outcome, missed.rings) == (A2, OfferOutcome.NO_ANSWER, 2)
    assert state(acd, A2) is AgentState.NOT_READY
    assert acd.state.agents[A2].reason == "no answer"
    assert [f.finding.rule for f in acd.of(FindingRaised)] == [Rule.RING_LIMIT]
    # The consulting agent's dial ends later (the take-back pulled its leg out): stale.
    acd.dial_end(CONSULTING, DialStatus.CANCEL)
    assert state(acd, A1) is AgentState.ON_CALL

    acd.advance(15)
    acd.hang_up("c1")
    finish(acd)
    assert segments(acd)[:3] == [
        (SegmentKind.TALK, A1, 30.0, "consult"),
        (SegmentKind.HOLD, A1, 10.0, "consult no_answer"),
        (SegmentKind.TALK, A1, 15.0, "released"),
    ]


@pytest.mark.parametrize("answered", [False, True])
def test_cancel_takes_the_caller_back_and_frees_the_consulted_agent(answered: bool) -> None:
    acd = talking()
    consult(acd)
    if answered:
        consulted_answers(acd)
    else:
        acd.dial(CONSULTING, "1002")
        acd.ring(CONSULTING)
        acd.advance(4)

    acd.feed(CancelConsult(at=acd.now, agent=A1))
    assert acd.of(BridgeCall) == [BridgeCall(channel=CALLER, to=CONSULTING, consulting=CONSULTING)]
    assert state(acd, A2) is AgentState.AVAILABLE  # no wrap-up, no miss
    assert state(acd, A1) is AgentState.ON_CALL
    outcomes = [e.offer.outcome for e in acd.of(OfferEnded) if e.offer.agent == A2]
    expected = [OfferOutcome.ANSWERED] if answered else [OfferOutcome.CANCELLED]
    assert outcomes == expected
    if answered:
        acd.hang_up(CONSULTED, request=False)  # Asterisk drops the consulted leg: no change
    assert state(acd, A2) is AgentState.AVAILABLE
    assert acd.of(FindingRaised) == []


def test_the_consulted_agent_hanging_up_gives_the_caller_back() -> None:
    acd = talking()
    consult(acd)
    consulted_answers(acd)
    acd.advance(6)
    acd.hang_up(CONSULTED)

    assert acd.of(BridgeCall) == [BridgeCall(channel=CALLER, to=CONSULTING, consulting=CONSULTING)]
    assert state(acd, A2) is AgentState.AVAILABLE
    assert state(acd, A1) is AgentState.ON_CALL
    assert acd.of(FindingRaised) == []


def test_the_caller_hanging_up_on_hold_ends_the_consultation() -> None:
    acd = talking()
    consult(acd)
    consulted_answers(acd)
    acd.advance(6)
    acd.hang_up("c1")

    assert acd.of(HangUpChannel) == [HangUpChannel(channel=CONSULTING)]
    assert state(acd, A2) is AgentState.AVAILABLE
    assert state(acd, A1) is AgentState.WRAP_UP
    acd.hang_up(CONSULTING, request=False)
    acd.hang_up(CONSULTED, request=False)
    finish(acd)
    assert segments(acd)[:2] == [
        (SegmentKind.TALK, A1, 30.0, "consult"),
        (SegmentKind.HOLD, A1, 10.0, "released"),
    ]
    [ended] = acd.of(CallEnded)
    assert ended.record.released_by is Side.CALLER
    assert acd.of(FindingRaised) == []


def test_the_consulting_agent_hanging_up_sends_the_caller_back_to_its_queue() -> None:
    acd = talking()
    consult(acd)
    acd.dial(CONSULTING, "1002")
    acd.ring(CONSULTING)
    acd.advance(3)
    acd.hang_up(CONSULTING)  # 1001's phone hangs up while 1002's rings

    assert acd.of(SendCall) == [SendCall(channel=CALLER, kind=TargetKind.QUEUE, target="support")]
    assert state(acd, A1) is AgentState.WRAP_UP
    assert state(acd, A2) is AgentState.AVAILABLE
    assert acd.of(OfferEnded)[-1].offer.outcome is OfferOutcome.CANCELLED
    assert acd.of(FindingRaised) == []  # not a release of the caller (P2)
    acd.dial_end(CONSULTING, DialStatus.CANCEL)  # stale now
    assert acd.rejected() is None


def test_a_consultation_that_could_not_start_resumes_the_talk() -> None:
    acd = talking()
    consult(acd)
    acd.advance(1)
    acd.feed(CallControlFailed(at=acd.now, channel=CALLER, reason="No such channel"))

    assert acd.of(BridgeCall) == []
    assert state(acd, A2) is AgentState.AVAILABLE
    assert acd.of(OfferEnded)[-1].offer.outcome is OfferOutcome.FAILED
    assert acd.state.consults.get(CALLER) is None
    assert acd.state.talks[CALLER].on_hold is False


def test_consultations_that_cannot_be_made_are_refused_and_change_nothing() -> None:
    acd = talking()
    before = acd.state
    cases = [
        (ConsultAgent(at=acd.now, agent=A1, target=A1), "invalid"),
        (ConsultAgent(at=acd.now, agent=A1, target=AgentId("9999")), "not_found"),
        (ConsultAgent(at=acd.now, agent=A2, target=A1), "conflict"),  # 1002 has no call
        (CompleteTransfer(at=acd.now, agent=A1), "conflict"),  # not consulting
        (CancelConsult(at=acd.now, agent=A1), "conflict"),
    ]
    for command, code in cases:
        acd.feed(command)
        rejected = acd.rejected()
        assert rejected is not None and rejected.code == code, (command, rejected)
        assert acd.state is before

    acd.feed(SetNotReady(at=acd.now, agent=A2, reason="break"))
    acd.feed(ConsultAgent(at=acd.now, agent=A1, target=A2))
    rejected = acd.rejected()
    assert rejected is not None and rejected.reason == "agent 1002 is not available"

    acd2 = talking()
    consult(acd2)
    acd2.feed(CompleteTransfer(at=acd2.now, agent=A1))  # not answered yet
    rejected = acd2.rejected()
    assert rejected is not None and "has not answered" in rejected.reason
    acd2.feed(TransferToQueue(at=acd2.now, agent=A1, queue=QueueId("support")))
    rejected = acd2.rejected()
    assert rejected is not None and "is consulting" in rejected.reason
