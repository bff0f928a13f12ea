"""Pre-armed routing in the core (cti/domain/arming.py, issue 17, C2): when offers are
armed, what a take, an abort and a disarm's answer do, late takes, resyncs and failures.
"""

from __future__ import annotations

from cti.domain.arm import ArmOutcome, ArmPhase
from cti.domain.arm_ring import read_order
from cti.domain.commands import LogOut, SetNotReady
from cti.domain.config import AgentLine, NotReadyReason, Strategy
from cti.domain.effects import (
    ArmEnded,
    ArmHead,
    ArmOffer,
    ClearArms,
    ConnectCall,
    Disarm,
    OfferEnded,
    OfferMade,
    ReturnToQueue,
)
from cti.domain.ids import AgentId, CallId, ChannelId, QueueId
from cti.domain.inputs import (
    ArmAborted,
    ArmDisarmed,
    ArmTaken,
    ArmUnsure,
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    DialStatus,
    Resynced,
    TelephonyLost,
)
from cti.domain.queue import WaitingCall
from cti.domain.records import AgentState, OfferOutcome
from tests.unit.acd_kit import Acd, agent, config, device, queue

SUPPORT, SALES = QueueId("support"), QueueId("sales")
BREAK = NotReadyReason(code="break")


def armed_acd(
    *agents: str, slots: int = 2, queues: tuple[str, ...] = ("support", "sales"), **queue_kw: object
) -> Acd:
    acd = Acd()
    profiles = [agent(a, dict.fromkeys(queues, 0)) for a in agents]
    acd.load(config([queue("support", **queue_kw), queue("sales")], profiles, [BREAK]))
    for name in agents:
        acd.log_in(name)
        acd.advance(1)
    acd.feed(Resynced(at=acd.now, waiting=(), arm_slots=slots, dialplan_slots=slots))
    return acd


def arms(acd: Acd) -> dict[tuple[str, int], str]:
    return {(q, k): arm.agent for (q, k), arm in acd.state.arms.items()}


def entry(channel: str, q: str = "support", at: float | None = None) -> WaitingCall:
    return WaitingCall(
        call=CallId(channel),
        channel=ChannelId(channel),
        queue=QueueId(q),
        priority=0,
        caller="+15550100",
        entered_at=at,  # type: ignore[arg-type]
    )


def take(acd: Acd, channel: str, q: str = "support", slot: int = 1) -> None:
    arm = acd.state.arms.get((QueueId(q), slot))
    token = arm.token if arm is not None else "1-999"
    call = entry(channel, q, acd.now)
    acd.feed(ArmTaken(at=acd.now, queue=QueueId(q), slot=slot, token=token, entry=call))


def answer_disarm(acd: Acd, q: str, slot: int, intent: str = "", taker: str = "") -> None:
    arm = acd.state.arms[(QueueId(q), slot)]
    acd.feed(
        ArmDisarmed(
            at=acd.now,
            queue=QueueId(q),
            slot=slot,
            token=arm.token,
            intent=intent,
            taker=ChannelId(taker) if taker else None,
        )
    )


def test_the_resync_clears_every_slot_and_arms_the_longest_idle_agents_one_queue_each() -> None:
    acd = armed_acd("1001", "1002", "1003")
    assert acd.of(ClearArms) == [ClearArms(queues=(SALES, SUPPORT), slots=2)]
    # Slot by slot, queues in id order, the longest idle first; no agent twice.
    assert arms(acd) == {("sales", 1): "1001", ("support", 1): "1002", ("sales", 2): "1003"}
    made = acd.of(ArmOffer)
    assert [(a.queue, a.slot, a.agent) for a in made] == [  # queue by queue
        (SALES, 1, "1001"),
        (SALES, 2, "1003"),
        (SUPPORT, 1, "1002"),
    ]
    assert made[0].device == device("1001") and made[0].recording is None
    assert len({a.token for a in made}) == 3
    # Armed agents stay available: arming is not an offer.
    assert all(a.state is AgentState.AVAILABLE for a in acd.state.agents.values())


def test_nothing_is_armed_without_slots_or_before_the_link_is_resynced() -> None:
    acd = armed_acd("1001", slots=0)
    assert acd.of(ArmOffer) == [] and acd.of(ClearArms) == []
    assert acd.state.arms == {}
    plain = Acd()
    plain.load(config([queue("support")], [agent("1001")]))
    plain.log_in("1001")
    assert plain.of(ArmOffer) == []


def test_a_take_is_the_caller_queued_and_its_offer_begun_without_a_connect() -> None:
    acd = armed_acd("1001", queues=("support",), record=True)
    arm = acd.state.arms[(SUPPORT, 1)]
    assert arm.recording is not None and arm.recording.startswith("cti/")
    acd.advance(0.5)
    take(acd, "c1")
    offer = acd.state.offers[ChannelId("c1")]
    assert offer.agent == "1001" and offer.offered_at == acd.now
    assert offer.recording == arm.recording
    assert acd.state.agents[AgentId("1001")].state is AgentState.OFFERED
    assert acd.of(ConnectCall) == []  # the dialplan dials by itself
    assert [m.agent for m in acd.of(OfferMade)] == ["1001"]
    assert (SUPPORT, 1) not in acd.state.arms
    # From here an ordinary offer: rings from the first ring, answered on ring 1.
    acd.advance(0.1)
    acd.answer("c1", "1001")
    ended = acd.of(OfferEnded)[-1].offer
    assert ended.outcome is OfferOutcome.ANSWERED and ended.rings == 1
    assert acd.state.agents[AgentId("1001")].state is AgentState.ON_CALL


def test_a_caller_waiting_disarms_the_queue_and_the_agent_is_offered_once_the_disarm_is_final() -> (
    None
):
    acd = armed_acd("1001")
    assert arms(acd) == {("sales", 1): "1001"}
    acd.caller("c1", "support")  # fell back, or came while its agent was armed elsewhere
    assert acd.of(Disarm)[-1].queue == SALES
    assert acd.state.arms[(SALES, 1)].phase is ArmPhase.DISARMING
    assert acd.of(ConnectCall) == []  # dispatch rule 6: the disarm comes first
    answer_disarm(acd, "sales", 1, intent="")
    assert acd.state.arms == {}
    assert [c.agent for c in acd.of(ConnectCall)] == ["1001"]


def test_a_disarm_that_reads_the_token_waits_for_the_takers_word() -> None:
    acd = armed_acd("1001")
    token = acd.state.arms[(SALES, 1)].token
    acd.caller("c1", "support")
    answer_disarm(acd, "sales", 1, intent=token, taker="c9")
    arm = acd.state.arms[(SALES, 1)]
    assert arm.phase is ArmPhase.CONTESTED and arm.taker == "c9"
    assert acd.of(ConnectCall) == []
    acd.feed(ArmAborted(at=acd.now, queue=SALES, slot=1, token=token, channel=ChannelId("c9")))
    assert acd.state.arms == {} or (SALES, 1) not in acd.state.arms
    assert [c.agent for c in acd.of(ConnectCall)] == ["1001"]


def test_a_contested_arm_taken_is_an_offer_to_that_caller_and_the_waiting_caller_waits() -> None:
    acd = armed_acd("1001")
    token = acd.state.arms[(SALES, 1)].token
    acd.caller("c1", "support")
    answer_disarm(acd, "sales", 1, intent=token, taker="c9")
    take(acd, "c9", "sales")
    assert acd.state.offers[ChannelId("c9")].agent == "1001"
    assert ChannelId("c1") not in acd.state.offers and acd.of(ConnectCall) == []


def test_a_contested_arm_whose_taker_hangs_up_is_gone() -> None:
    acd = armed_acd("1001")
    token = acd.state.arms[(SALES, 1)].token
    acd.caller("c1", "support")
    answer_disarm(acd, "sales", 1, intent=token, taker="c9")
    acd.feed(ChannelHungUp(at=acd.now, channel=ChannelId("c9"), cause=16))
    assert [c.agent for c in acd.of(ConnectCall)] == ["1001"]


def test_a_take_heard_before_the_disarms_answer_is_honoured_and_the_answer_frees_the_slot() -> None:
    acd = armed_acd("1001")
    token = acd.state.arms[(SALES, 1)].token
    acd.caller("c1", "support")
    take(acd, "c9", "sales")
    assert acd.state.offers[ChannelId("c9")].agent == "1001"
    assert acd.state.arms[(SALES, 1)].heard
    answer_disarm(acd, "sales", 1, intent=token, taker="c9")
    assert acd.state.arms == {}
    assert acd.of(ConnectCall) == []  # 1001 is offered c9 already


def test_a_late_take_after_not_ready_is_sent_back_to_wait_and_the_agent_is_not_offered() -> None:
    acd = armed_acd("1001")
    acd.feed(SetNotReady(at=acd.now, agent=AgentId("1001"), reason="break", by="agent:1001"))
    assert acd.state.agents[AgentId("1001")].state is AgentState.NOT_READY
    assert acd.of(Disarm)[-1].slot == 1
    take(acd, "c9", "sales")  # Asterisk took it before the disarm arrived
    assert ChannelId("c9") not in acd.state.offers
    assert acd.of(ReturnToQueue) == [ReturnToQueue(channel=ChannelId("c9"), queue=SALES)]
    assert acd.state.waiting.get(ChannelId("c9")) is not None
    assert acd.state.agents[AgentId("1001")].state is AgentState.NOT_READY


def test_a_late_take_after_logout_and_an_unknown_token_are_sent_back() -> None:
    acd = armed_acd("1001", "1002")
    acd.feed(LogOut(at=acd.now, agent=AgentId("1001"), by="agent:1001"))
    take(acd, "c9", "sales", slot=1)
    assert acd.of(ReturnToQueue)[-1].channel == "c9"
    acd.feed(
        ArmTaken(at=acd.now, queue=SUPPORT, slot=2, token="5-5", entry=entry("c8", at=acd.now))
    )
    assert acd.of(ReturnToQueue)[-1].channel == "c8"
    assert ChannelId("c8") in acd.state.waiting.by_channel


def test_an_arm_is_withdrawn_when_the_phone_is_busy_and_armed_again_when_idle() -> None:
    acd = armed_acd("1001")
    acd.feed(DeviceStateChanged(at=acd.now, device=device("1001"), state=DeviceState.IN_USE))
    assert acd.of(Disarm)
    answer_disarm(acd, "sales", 1)
    assert acd.state.arms == {}
    acd.feed(DeviceStateChanged(at=acd.now, device=device("1001"), state=DeviceState.NOT_IN_USE))
    assert arms(acd) == {("sales", 1): "1001"}
    assert len(acd.of(ArmOffer)) == 2


def test_an_agent_on_a_nailed_up_line_is_not_armed() -> None:
    acd = Acd()
    nailed = agent("1001")
    nailed = type(nailed)(id=nailed.id, queues=nailed.queues, line=AgentLine.NAILED)
    acd.load(config([queue("support")], [nailed, agent("1002")]))
    acd.log_in("1001", "1002")
    acd.feed(Resynced(at=acd.now, waiting=(), arm_slots=2, dialplan_slots=2))
    assert arms(acd) == {("support", 1): "1002"}


def test_arms_follow_the_strategy_for_a_caller_entering_now() -> None:
    acd = Acd()
    profiles = [agent("1001"), agent("1002"), agent("1003")]
    acd.load(config([queue("support", strategy=Strategy.LONGEST_IDLE)], profiles))
    acd.log_in("1003")
    acd.advance(1)
    acd.log_in("1001")
    acd.advance(1)
    acd.log_in("1002")
    acd.feed(Resynced(at=acd.now, waiting=(), arm_slots=2, dialplan_slots=2))
    assert arms(acd) == {("support", 1): "1003", ("support", 2): "1001"}


def test_an_unconfirmed_arm_is_disarmed_again_after_a_pause() -> None:
    acd = armed_acd("1001")
    token = acd.state.arms[(SALES, 1)].token
    acd.feed(ArmUnsure(at=acd.now, queue=SALES, slot=1, token=token, reason="timeout"))
    assert acd.state.arms[(SALES, 1)].phase is ArmPhase.DISARMING
    assert acd.of(Disarm) == []
    acd.tick_to(acd.now - acd.at(0) + 1.0)
    assert acd.of(Disarm) == [Disarm(queue=SALES, slot=1, token=token)]
    answer_disarm(acd, "sales", 1)
    assert arms(acd) == {("sales", 1): "1001"}  # armed afresh, with a new token
    assert acd.state.arms[(SALES, 1)].token != token


def test_a_lost_link_keeps_the_arms_until_the_resync_clears_them() -> None:
    acd = armed_acd("1001")
    acd.feed(TelephonyLost(at=acd.now))
    assert acd.of(Disarm) == [] and arms(acd) == {("sales", 1): "1001"}
    acd.advance(1)
    acd.feed(Resynced(at=acd.now, waiting=(), arm_slots=2, dialplan_slots=2))
    assert len(acd.of(ClearArms)) == 2
    assert acd.state.arms[(SALES, 1)].armed_at == acd.now  # armed again, afresh


def test_a_take_by_a_caller_already_gone_frees_the_arm() -> None:
    acd = armed_acd("1001", "1002")
    acd.feed(ChannelHungUp(at=acd.now, channel=ChannelId("c9"), cause=16))
    take(acd, "c9", "sales")
    assert ChannelId("c9") not in acd.state.offers
    assert acd.state.agents[AgentId("1001")].state is AgentState.AVAILABLE
    assert arms(acd)[("sales", 1)] == "1001"  # armed again at once


def test_an_offer_from_a_take_ends_as_any_offer_at_the_ring_limit() -> None:
    acd = armed_acd("1001", "1002", queues=("support",), ring_limit=2, ring_cadence=3.0)
    take(acd, "c1", "support")
    acd.dial("c1", "1001")
    acd.ring("c1")
    acd.tick_to(acd.now - acd.at(0) + 6.0)
    assert acd.of(OfferEnded)[-1].offer.outcome is OfferOutcome.NO_ANSWER
    assert acd.state.waiting.get(ChannelId("c1")) is not None  # its place kept
    acd.dial_end("c1", DialStatus.CANCEL)


def test_every_arm_ends_once_and_says_how() -> None:
    """ArmEnded (cti_arms_total): taken, late, withdrawn, cleared; a take heard while the
    disarm is on its way is told at the take, not again at the disarm's answer."""
    acd = armed_acd("1001", "1002", "1003")

    def ended() -> list[tuple[str, str]]:
        """The arms ended since the last look."""
        told = [(e.queue, e.outcome) for e in acd.of(ArmEnded)]
        acd.effects.clear()
        return told

    take(acd, "c1", "sales")  # 1001's arm
    assert ended() == [(SALES, ArmOutcome.TAKEN)]
    acd.feed(SetNotReady(at=acd.now, agent=AgentId("1002"), reason="break", by="agent:1002"))
    token = acd.state.arms[(SUPPORT, 1)].token
    take(acd, "c2", "support")  # before the disarm arrived: late
    assert ended() == [(SUPPORT, ArmOutcome.LATE)]
    answer_disarm(acd, "support", 1, intent=token, taker="c2")
    assert ended() == []
    acd.caller("c3", "sales")  # 1003's arm in sales is withdrawn for a waiting caller
    answer_disarm(acd, "sales", 2, intent="")
    assert ended() == [(SALES, ArmOutcome.WITHDRAWN)]
    acd.hang_up("c1")
    acd.hang_up("c3")
    acd.feed(Resynced(at=acd.now, waiting=(), arm_slots=2, dialplan_slots=2))
    assert ended() and all(outcome is ArmOutcome.CLEARED for _, outcome in ended())


def settle(acd: Acd) -> int:
    """Answer every disarm on its way as final (nobody was taking); how many there were."""
    answered = 0
    while pending := [a for a in acd.state.arms.values() if a.phase is ArmPhase.DISARMING]:
        for arm in pending:
            answer_disarm(acd, arm.queue, arm.slot)
            answered += 1
    return answered


def order(acd: Acd, q: str = "support") -> list[str]:
    """The armed agents of the queue in the order a caller meets them (arm_ring.py)."""
    state = acd.state
    armed = {
        k: a.agent for (qq, k), a in state.arms.items() if qq == q and a.phase is ArmPhase.ARMED
    }
    return list(read_order(state.arm_ring, state.arm_heads.get(QueueId(q)) or 1, armed))


def test_a_better_agent_becoming_available_moves_the_arms_to_keep_the_strategys_order() -> None:
    """Skills (C2): callers meet the arms best level first, also when the best agent
    comes last: it is armed ahead of the others (the head moved back onto it), and an
    agent no longer among the best is disarmed."""
    acd = Acd()
    levels = {"1011": 3, "1013": 5, "1012": 7}
    profiles = [agent(a, billing=n) for a, n in levels.items()]
    acd.load(config([queue("support", strategy=Strategy.SKILLS, skill="billing")], profiles))
    acd.feed(Resynced(at=acd.now, waiting=(), arm_slots=2, dialplan_slots=3))
    acd.log_in("1011")
    acd.advance(0.2)
    acd.log_in("1013")
    assert acd.of(Disarm) == [] and order(acd) == ["1013", "1011"]
    assert acd.of(ArmHead)[-1] == ArmHead(queue=SUPPORT, slot=3)  # back onto 1013's slot
    acd.advance(0.2)
    acd.log_in("1012")  # the best level, idle the shortest
    assert [d.slot for d in acd.of(Disarm)] == [1]  # 1011: no longer among the two best
    assert order(acd) == ["1012", "1013"]
    assert settle(acd) == 1 and order(acd) == ["1012", "1013"]
    take(acd, "c1", slot=acd.state.arm_heads[SUPPORT])
    assert acd.state.offers[ChannelId("c1")].agent == "1012"


def test_a_take_leaves_the_next_arm_in_place_and_moves_the_head_onto_it() -> None:
    """arm_ring.py rule 2: no disarm after a take; the next caller meets the next arm."""
    acd = Acd()
    profiles = [agent(a) for a in ("1001", "1002", "1003")]
    acd.load(config([queue("support")], profiles))
    acd.feed(Resynced(at=acd.now, waiting=(), arm_slots=2, dialplan_slots=4))
    for name in ("1001", "1002", "1003"):
        acd.log_in(name)
        acd.advance(1)
    assert order(acd) == ["1001", "1002"]
    acd.effects.clear()
    take(acd, "c1")
    assert acd.of(Disarm) == []
    assert [(a.slot, a.agent) for a in acd.of(ArmOffer)] == [(3, "1003")]
    assert acd.of(ArmHead) == [ArmHead(queue=SUPPORT, slot=2)]
    assert order(acd) == ["1002", "1003"]
