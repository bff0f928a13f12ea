"""Outbound dialling through the core (issue 4, C5): cti/domain/outbound/."""

from __future__ import annotations

from typing import Any

import pytest

from cti.domain.acd import Decision
from cti.domain.commands import (
    BlockNumbers,
    EndWrapUp,
    FeedContacts,
    HaltCampaign,
    PreviewDial,
    PreviewNext,
    PreviewSkip,
    RunCampaign,
    SetNotReady,
    SetReady,
)
from cti.domain.config import AgentLine
from cti.domain.effects import (
    AgentChanged,
    AttemptEnded,
    ConnectCall,
    ContactsReturned,
    FindingRaised,
    Ignored,
    OfferEnded,
    OriginateCall,
    SendCall,
    TargetKind,
)
from cti.domain.ids import AgentId, CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import (
    CallControlFailed,
    CallerQueued,
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    MachineAnswered,
    OriginateEnded,
    Resynced,
    TelephonyLost,
    Tick,
)
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.campaign import AttemptResult, CampaignConfig, CampaignId
from cti.domain.outbound.contact import Contact, ContactId, ContactStatus
from cti.domain.outbound.dial import DialPhase
from cti.domain.outbound.pacing import DialMode, PacingConfig
from cti.domain.outbound.pacing_stats import PacingStats
from cti.domain.queue import WaitingCall
from cti.domain.records import AgentState, OfferOutcome, Rule
from cti.domain.state import TimerKind
from tests.unit.acd_kit import Acd, agent, config, device, queue

NOON = Instant(1_699_963_200.0)  # 2023-11-14 12:00 UTC: inside the 08:00-21:00 window
SPRING = CampaignId("spring")
SALES = QueueId("sales")
A1, A2 = AgentId("1001"), AgentId("1002")
OTHER = "2001"  # configured, but serves only the support queue
HOUR = 3600.0


def contact(n: int, **kw: Any) -> Contact:
    """A contact as the shell claims it for a dial (DIALLING in the store)."""
    given: dict[str, Any] = {"timezone": "UTC", "status": ContactStatus.DIALLING, **kw}
    return Contact(id=ContactId(f"k{n}"), campaign=SPRING, number=f"555000{n}", **given)


def dialer(
    *agents: str,
    mode: DialMode = DialMode.PROGRESSIVE,
    window: AbandonWindow | None = None,
    line: AgentLine = AgentLine.RING,
    **campaign: Any,
) -> Acd:
    """Agents of the sales queue logged in, telephony up, the campaign running; `line`:
    how the sales agents' phones take calls (cti/domain/nailed.py)."""
    acd = Acd(now=NOON)
    profiles = [agent(a, {"sales": 0}) for a in agents] + [agent(OTHER, {"support": 0})]
    acd.load(config([queue("sales", agent_line=line), queue("support")], profiles))
    phones = tuple((device(a), DeviceState.NOT_IN_USE) for a in (*agents, OTHER))
    acd.feed(Resynced(at=acd.now, waiting=(), devices=phones))
    acd.log_in(*agents)
    conf = CampaignConfig(
        id=SPRING, queue=SALES, caller_id="5550100", pacing=PacingConfig(mode=mode), **campaign
    )
    acd.feed(RunCampaign(at=acd.now, config=conf, window=window or AbandonWindow(length=86400)))
    return acd


def feed(acd: Acd, *contacts: Contact) -> None:
    acd.feed(FeedContacts(at=acd.now, campaign=SPRING, contacts=contacts))


def originated(acd: Acd) -> list[OriginateCall]:
    return acd.of(OriginateCall)


def channel_of(acd: Acd, n: int = 0) -> ChannelId:
    return originated(acd)[n].channel


def answers(acd: Acd, channel: ChannelId) -> None:
    """A person answered: the dialplan put the call into the campaign's queue."""
    entry = WaitingCall(
        call=CallId(channel),
        channel=channel,
        queue=SALES,
        priority=1000,
        caller=acd.state.dials[channel].contact.number,
        entered_at=acd.now,
    )
    acd.feed(CallerQueued(at=acd.now, entry=entry))


def hangs_up(acd: Acd, channel: ChannelId, cause: int = 16) -> Decision:
    return acd.feed(ChannelHungUp(at=acd.now, channel=channel, cause=cause))


def originate_ended(acd: Acd, channel: ChannelId, *, answered: bool, reason: int = 0) -> None:
    acd.feed(OriginateEnded(at=acd.now, channel=channel, answered=answered, reason=reason))


def tick(acd: Acd, seconds: float) -> None:
    acd.advance(seconds)
    acd.feed(Tick(at=acd.now))


def ended(acd: Acd) -> list[AttemptEnded]:
    return acd.of(AttemptEnded)


def state_of(acd: Acd, agent_id: str) -> AgentState:
    return acd.state.agents[AgentId(agent_id)].state


def window(acd: Acd) -> tuple[int, int]:
    live = acd.state.campaigns[SPRING].window
    return live.answered, live.abandoned


# Progressive: one reserved agent per call (rules 1, 2) ------------------------------


def test_progressive_dials_one_call_per_available_member_and_reserves_each() -> None:
    acd = dialer("1001", "1002")

    feed(acd, contact(0), contact(1), contact(2))

    ms = int(NOON * 1000)
    assert originated(acd) == [
        OriginateCall(
            channel=ChannelId(f"out-{ms}-{n + 1}"),
            campaign=SPRING,
            queue=SALES,
            number=f"555000{n}",
            caller_id="5550100",
            ring_timeout=25.0,
            machine_detection=False,
            priority=1000,
        )
        for n in (0, 1)
    ]
    for n, agent_id in enumerate((A1, A2)):
        reserved = acd.state.agents[agent_id]
        assert reserved.state is AgentState.RESERVED
        assert reserved.channel == channel_of(acd, n)
        assert acd.state.dials[channel_of(acd, n)].agent == agent_id
    assert acd.state.campaigns[SPRING].buffer == (contact(2),)


def test_a_member_whose_phone_is_busy_is_not_dialled_for() -> None:
    acd = dialer("1001", "1002")
    acd.feed(DeviceStateChanged(at=acd.now, device=device("1002"), state=DeviceState.IN_USE))

    feed(acd, contact(0), contact(1))

    assert [o.number for o in originated(acd)] == ["5550000"]
    assert state_of(acd, "1002") is AgentState.AVAILABLE


def test_an_answered_call_goes_to_its_reserved_agent_and_ends_connected() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)
    acd.advance(6)

    answers(acd, dial)

    assert [(c.channel, c.agent) for c in acd.of(ConnectCall)] == [(dial, A1)]
    assert state_of(acd, "1001") is AgentState.OFFERED
    queued_at = acd.now

    acd.advance(1)
    acd.answer(dial, "1001")
    connected_at = acd.now
    acd.advance(60)
    hangs_up(acd, dial)

    [end] = ended(acd)
    assert end.attempt.result is AttemptResult.CONNECTED
    assert end.attempt.person is True
    assert end.attempt.agent == A1
    assert end.attempt.mode is DialMode.PROGRESSIVE
    assert (end.attempt.started_at, end.attempt.answered_at) == (NOON, queued_at)
    assert (end.attempt.connected_at, end.attempt.ended_at) == (connected_at, acd.now)
    assert end.contact.status is ContactStatus.DONE
    assert (end.contact.attempts, end.contact.last_result) == (1, AttemptResult.CONNECTED)
    assert window(acd) == (1, 0)
    assert dial not in acd.state.dials
    assert state_of(acd, "1001") is AgentState.WRAP_UP


def test_the_reserved_agent_alone_is_offered_its_call_until_the_hold_ends() -> None:
    acd = dialer("1001", "1002")
    feed(acd, contact(0))  # 1001, first by id among equally idle agents, is reserved
    dial = channel_of(acd)
    acd.feed(DeviceStateChanged(at=acd.now, device=device("1001"), state=DeviceState.IN_USE))

    answers(acd, dial)
    tick(acd, 1.9)

    assert acd.of(ConnectCall) == []
    assert state_of(acd, "1002") is AgentState.AVAILABLE

    tick(acd, 0.1)

    assert acd.of(SendCall) == [SendCall(channel=dial, kind=TargetKind.ABANDON, target=SPRING)]
    assert acd.of(OfferEnded) == []
    assert state_of(acd, "1001") is AgentState.AVAILABLE
    assert window(acd) == (1, 1)


# Unanswered dials (rule 4) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "cause", "result", "delay"),
    [
        (3, 19, AttemptResult.NO_ANSWER, 2 * HOUR),
        (3, 16, AttemptResult.NO_ANSWER, 2 * HOUR),  # Asterisk's ring timeout wins
        (0, 17, AttemptResult.BUSY, 0.25 * HOUR),
        (0, 34, AttemptResult.CONGESTION, 0.25 * HOUR),
        (0, 1, AttemptResult.FAILED, 1 * HOUR),
    ],
)
def test_an_unanswered_dial_ends_by_its_cause_and_the_agent_is_dialled_for_again(
    reason: int, cause: int, result: AttemptResult, delay: float
) -> None:
    acd = dialer("1001")
    feed(acd, contact(0), contact(1))
    first = channel_of(acd)
    acd.advance(25)
    originate_ended(acd, first, answered=False, reason=reason)
    refused = acd.last  # no person can come now: the agent is free for the next contact
    acd.advance(0.5)

    hangs_up(acd, first, cause)

    [end] = ended(acd)
    assert end.attempt.result is result
    assert (end.attempt.person, end.attempt.answered_at) == (False, None)
    assert end.attempt.ended_at == acd.now
    assert end.contact.status is ContactStatus.PENDING
    assert end.contact.next_at == acd.now + delay
    assert (end.contact.attempts, end.contact.last_result) == (1, result)
    assert refused is not None
    changes = [(c.previous, c.state) for c in refused.effects if isinstance(c, AgentChanged)]
    assert changes == [
        (AgentState.RESERVED, AgentState.AVAILABLE),
        (AgentState.AVAILABLE, AgentState.RESERVED),
    ]
    assert [o.number for o in originated(acd)] == ["5550000", "5550001"]
    assert acd.state.agents[A1].channel == channel_of(acd, 1)
    assert window(acd) == (0, 0)


def test_a_failed_dial_whose_hang_up_never_comes_fails_after_the_report_grace() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)
    acd.advance(1)
    originate_ended(acd, dial, answered=False, reason=0)

    tick(acd, 1.9)
    assert ended(acd) == []

    tick(acd, 0.1)

    [end] = ended(acd)
    assert end.attempt.result is AttemptResult.FAILED
    assert end.attempt.ended_at == NOON + 3
    assert end.contact.next_at == NOON + 3 + HOUR
    assert state_of(acd, "1001") is AgentState.AVAILABLE
    assert acd.state.dials == {}


def test_a_dial_with_no_news_at_all_fails_past_its_ring_timeout() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))

    tick(acd, 25 + 30 - 0.1)
    assert ended(acd) == []
    tick(acd, 0.1)

    [end] = ended(acd)
    assert end.attempt.result is AttemptResult.FAILED
    assert state_of(acd, "1001") is AgentState.AVAILABLE


def test_the_last_attempt_the_rule_allows_closes_the_contact() -> None:
    acd = dialer("1001")
    feed(acd, contact(0, attempts=4))  # busy allows 5 attempts in all
    dial = channel_of(acd)
    originate_ended(acd, dial, answered=False, reason=0)

    hangs_up(acd, dial, 17)

    [end] = ended(acd)
    assert end.contact.status is ContactStatus.CLOSED
    assert (end.contact.attempts, end.contact.last_result) == (5, AttemptResult.BUSY)


def test_an_originate_that_could_not_be_sent_fails_the_attempt() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)

    acd.feed(CallControlFailed(at=acd.now, channel=dial, reason="AMI down"))

    [end] = ended(acd)
    assert end.attempt.result is AttemptResult.FAILED
    assert end.attempt.person is False
    assert state_of(acd, "1001") is AgentState.AVAILABLE
    assert acd.state.dials == {}


def test_a_machine_is_recorded_as_machine_and_not_as_a_person() -> None:
    acd = dialer("1001", machine_detection=True)
    feed(acd, contact(0))
    dial = channel_of(acd)
    assert originated(acd)[0].machine_detection is True
    acd.advance(8)
    originate_ended(acd, dial, answered=True)
    answered_at = acd.now
    acd.advance(3)
    acd.feed(MachineAnswered(at=acd.now, channel=dial, cause="LONGGREETING"))

    hangs_up(acd, dial)

    [end] = ended(acd)
    assert end.attempt.result is AttemptResult.MACHINE
    assert (end.attempt.person, end.attempt.answered_at) == (False, answered_at)
    assert end.contact.next_at == acd.now + 4 * HOUR
    assert window(acd) == (0, 0)
    assert state_of(acd, "1001") is AgentState.AVAILABLE


# The law: 2 seconds of hold (rule 3) --------------------------------------------------


def test_an_answered_call_no_agent_takes_within_the_hold_is_abandoned() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)
    acd.advance(5)
    answers(acd, dial)  # offered to 1001, whose phone rings on
    queued_at = acd.now

    tick(acd, 1.9)
    assert acd.of(SendCall) == []

    tick(acd, 0.1)

    assert acd.of(SendCall) == [SendCall(channel=dial, kind=TargetKind.ABANDON, target=SPRING)]
    [offer] = acd.of(OfferEnded)
    assert offer.offer.outcome is OfferOutcome.HOLD_EXPIRED
    missed = acd.state.agents[A1]  # rule 1 of dialing: off outbound pacing (issue 18)
    assert missed.state is AgentState.NOT_READY
    assert (missed.misses_in_row, missed.ready, missed.reason) == (1, False, "no answer")
    [raised] = acd.of(FindingRaised)
    assert raised.finding.rule is Rule.HOLD_MISSED
    assert raised.finding.agent == A1
    assert (raised.finding.measured, raised.finding.limit) == (2.0, 2.0)
    assert window(acd) == (1, 1)

    acd.advance(8)  # the information message plays, then the channel ends
    hangs_up(acd, dial)

    [end] = ended(acd)
    assert end.attempt.result is AttemptResult.ABANDONED
    assert (end.attempt.person, end.attempt.answered_at) == (True, queued_at)
    assert end.attempt.connected_at is None
    assert end.contact.abandoned_at == acd.now
    assert end.contact.status is ContactStatus.PENDING
    assert window(acd) == (1, 1)  # counted once


def test_an_agent_who_misses_the_hold_is_not_reserved_to_abandon_again() -> None:
    """Issue 18: a slow agent (2.5 s to answer) is reserved for one dial, misses the hold
    once, and is then off outbound pacing: the next contact waits for a ready agent."""
    acd = dialer("1001")
    feed(acd, contact(0))
    first = channel_of(acd)
    answers(acd, first)
    tick(acd, 2.0)
    hangs_up(acd, first)
    assert [e.attempt.result for e in ended(acd)] == [AttemptResult.ABANDONED]

    feed(acd, contact(1))

    assert [o.number for o in originated(acd)] == ["5550000"]
    assert state_of(acd, "1001") is AgentState.NOT_READY
    acd.feed(SetReady(at=acd.now, agent=A1))  # the agent is back: dialling resumes
    assert [o.number for o in originated(acd)] == ["5550000", "5550001"]


def test_a_person_who_hangs_up_during_the_hold_is_abandoned() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)
    answers(acd, dial)
    acd.advance(1)

    hangs_up(acd, dial)

    [end] = ended(acd)
    assert end.attempt.result is AttemptResult.ABANDONED
    assert end.attempt.person is True
    assert end.contact.abandoned_at == acd.now
    [offer] = acd.of(OfferEnded)
    assert offer.offer.outcome is OfferOutcome.CALLER_HUNG_UP
    assert state_of(acd, "1001") is AgentState.AVAILABLE
    assert window(acd) == (1, 1)
    tick(acd, 5)
    assert acd.of(SendCall) == []  # the hold ended with the call


def test_an_agent_answering_within_the_hold_stops_it() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)
    answers(acd, dial)
    acd.advance(1.5)
    acd.answer(dial, "1001")

    tick(acd, 10)

    assert acd.of(SendCall) == []
    assert acd.state.dials[dial].phase is DialPhase.CONNECTED
    assert window(acd) == (1, 0)


# Predictive (rule 2) -----------------------------------------------------------------


def test_predictive_without_room_under_the_cap_dials_as_progressive() -> None:
    acd = dialer("1001", mode=DialMode.PREDICTIVE)  # a new campaign: nothing answered yet

    feed(acd, contact(0))

    dial = acd.state.dials[channel_of(acd)]
    assert (dial.mode, dial.agent) == (DialMode.PROGRESSIVE, A1)
    assert state_of(acd, "1001") is AgentState.RESERVED


def test_predictive_dials_reserve_nobody_and_go_before_inbound_callers() -> None:
    room = AbandonWindow(length=86400, answered=100)  # 3 abandons of room under 3 %
    acd = dialer("1001", mode=DialMode.PREDICTIVE, window=room)
    feed(acd, contact(0))
    dial = channel_of(acd)
    assert (acd.state.dials[dial].mode, acd.state.dials[dial].agent) == (DialMode.PREDICTIVE, None)
    assert state_of(acd, "1001") is AgentState.AVAILABLE
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason="break"))
    acd.caller("c1", queue="sales")  # an inbound caller, waiting first
    acd.advance(1)
    answers(acd, dial)

    acd.feed(SetReady(at=acd.now, agent=A1))

    assert [(c.channel, c.agent) for c in acd.of(ConnectCall)] == [(dial, A1)]
    acd.answer(dial, "1001")
    acd.advance(30)
    hangs_up(acd, dial)
    [end] = ended(acd)
    assert (end.attempt.result, end.attempt.agent) == (AttemptResult.CONNECTED, A1)
    assert end.attempt.mode is DialMode.PREDICTIVE


def test_a_held_persons_wait_for_a_free_agent_is_not_the_lines_connect_time() -> None:
    """pacing_stats rule 4: the pacer budgets the line's delay from the offer; the 1.2 s
    the person was held for an agent to come free is the risk it paces, not the line's."""
    room = AbandonWindow(length=86400, answered=100)
    acd = dialer("1001", mode=DialMode.PREDICTIVE, window=room)
    feed(acd, contact(0))
    dial = channel_of(acd)
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason="break"))
    acd.advance(5)
    answers(acd, dial)
    before = acd.state.campaigns[SPRING].stats
    acd.advance(1.2)
    acd.feed(SetReady(at=acd.now, agent=A1))  # offered now
    acd.advance(0.3)

    acd.answer(dial, "1001")

    stats = acd.state.campaigns[SPRING].stats
    assert stats.connect == pytest.approx(before.after_connect(0.3).connect)
    assert acd.state.dials[dial].phase is DialPhase.CONNECTED


def test_predictive_looks_again_every_second_while_contacts_wait() -> None:
    room = AbandonWindow(length=86400, answered=100)
    acd = dialer("1001", mode=DialMode.PREDICTIVE, window=room)

    feed(acd, contact(0), contact(1), contact(2))

    assert acd.state.next_deadline() == NOON + 1.0
    acd.feed(TelephonyLost(at=acd.now))
    assert (TimerKind.PACE, SPRING) not in acd.state.timers


def test_talk_and_wrap_up_of_the_campaigns_agents_feed_its_measurements() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)
    acd.advance(6)
    answers(acd, dial)
    acd.answer(dial, "1001")
    answered = acd.state.campaigns[SPRING].stats
    assert answered == PacingStats().after_attempt(person=True, seconds=6.0).after_connect(0.0)
    acd.advance(90)
    hangs_up(acd, dial)
    assert dict(acd.state.campaigns[SPRING].talked) == {A1: 90.0}
    acd.advance(12)

    acd.feed(EndWrapUp(at=acd.now, agent=A1))

    live = acd.state.campaigns[SPRING]
    assert dict(live.talked) == {}
    assert live.stats == answered.after_call(talk=90.0, wrap_up=12.0)


# Telephony link (rule 1) ----------------------------------------------------------


def test_nothing_is_dialled_while_the_telephony_link_is_down() -> None:
    acd = dialer("1001")
    acd.feed(TelephonyLost(at=acd.now))

    feed(acd, contact(0))

    assert originated(acd) == []
    assert acd.state.campaigns[SPRING].buffer == (contact(0),)

    acd.advance(5)
    acd.feed(Resynced(at=acd.now, waiting=()))

    assert [o.number for o in originated(acd)] == ["5550000"]
    assert state_of(acd, "1001") is AgentState.RESERVED


# Contacts and campaigns (rule 5) ----------------------------------------------------


def test_halting_returns_the_buffer_and_the_campaign_leaves_after_its_last_dial() -> None:
    acd = dialer("1001")
    feed(acd, contact(0), contact(1), contact(2))
    dial = channel_of(acd)

    acd.feed(HaltCampaign(at=acd.now, campaign=SPRING))

    assert acd.of(ContactsReturned) == [
        ContactsReturned(campaign=SPRING, contacts=(contact(1), contact(2)), why="campaign halted")
    ]
    live = acd.state.campaigns[SPRING]
    assert (live.running, live.buffer) == (False, ())

    acd.advance(3)
    originate_ended(acd, dial, answered=False, reason=0)
    hangs_up(acd, dial, 17)

    assert [e.attempt.result for e in ended(acd)] == [AttemptResult.BUSY]
    assert len(originated(acd)) == 1
    assert SPRING not in acd.state.campaigns
    assert state_of(acd, "1001") is AgentState.AVAILABLE


def test_contacts_fed_to_a_campaign_not_running_go_back() -> None:
    acd = dialer("1001")
    acd.feed(HaltCampaign(at=acd.now, campaign=SPRING))
    assert SPRING not in acd.state.campaigns  # nothing in flight: forgotten at once

    feed(acd, contact(0))

    assert acd.of(ContactsReturned) == [
        ContactsReturned(campaign=SPRING, contacts=(contact(0),), why="campaign not running")
    ]
    assert originated(acd) == []


def test_a_contact_fed_twice_is_dialled_once() -> None:
    acd = dialer("1001")
    feed(acd, contact(0), contact(1))

    feed(acd, contact(0), contact(1), contact(2))

    assert acd.state.campaigns[SPRING].buffer == (contact(1), contact(2))


def test_blocked_numbers_are_dropped_from_the_buffer() -> None:
    acd = dialer("1001")
    feed(acd, contact(0), contact(1), contact(2))

    acd.feed(BlockNumbers(at=acd.now, numbers=frozenset({"5550002", "5559999"})))

    assert acd.of(ContactsReturned) == [
        ContactsReturned(campaign=SPRING, contacts=(contact(2),), why="do not call")
    ]
    assert acd.state.campaigns[SPRING].buffer == (contact(1),)


@pytest.mark.parametrize(
    ("blocked", "why"),
    [
        (contact(0, timezone="Pacific/Auckland"), "outside_window"),  # 01:00 there
        (contact(0, timezone="Asia/Tokyo"), "outside_window"),  # 21:00 there: the end
        (contact(0, next_at=NOON + 60), "not_yet"),
    ],
    ids=["auckland", "tokyo", "not_yet"],
)
def test_a_contact_that_may_not_be_dialled_now_goes_back_and_the_next_is_dialled(
    blocked: Contact, why: str
) -> None:
    acd = dialer("1001")

    feed(acd, blocked, contact(1))

    assert acd.of(ContactsReturned) == [
        ContactsReturned(campaign=SPRING, contacts=(blocked,), why=why)
    ]
    assert [o.number for o in originated(acd)] == ["5550001"]
    assert acd.state.campaigns[SPRING].buffer == ()


@pytest.mark.parametrize("mode", [DialMode.PREDICTIVE, DialMode.PROGRESSIVE])
def test_an_abandoned_number_is_not_dialled_within_72_hours_even_with_an_agent_reserved(
    mode: DialMode,
) -> None:
    """Issue 18: an agent reserved must still ring and answer, so it is no guarantee."""
    room = AbandonWindow(length=86400, answered=100)
    acd = dialer("1001", mode=mode, window=room)
    abandoned = contact(0, abandoned_at=NOON - 71 * HOUR, attempts=1)

    feed(acd, abandoned)

    assert [o.number for o in originated(acd)] == []
    quiet = ContactsReturned(campaign=SPRING, contacts=(abandoned,), why="abandon_quiet")
    assert acd.of(ContactsReturned) == [quiet]


def test_running_a_running_campaign_again_takes_only_its_configuration() -> None:
    acd = dialer("1001")
    feed(acd, contact(0), contact(1))
    counted = acd.state.campaigns[SPRING].window
    conf = CampaignConfig(id=SPRING, queue=SALES, caller_id="5550199")

    acd.feed(RunCampaign(at=acd.now, config=conf, window=AbandonWindow(length=60, answered=9)))

    live = acd.state.campaigns[SPRING]
    assert (live.config, live.window, live.buffer) == (conf, counted, (contact(1),))


# Preview (P25) ------------------------------------------------------------------------


def previewing(*agents: str) -> Acd:
    acd = dialer(*agents, mode=DialMode.PREVIEW)
    feed(acd, contact(0), contact(1))
    assert originated(acd) == []  # preview never dials by itself
    return acd


def test_preview_next_reserves_the_agent_with_the_next_contact() -> None:
    acd = previewing("1001")

    acd.feed(PreviewNext(at=acd.now, agent=A1, campaign=SPRING))

    assert acd.rejected() is None
    reserved = acd.state.agents[A1]
    assert (reserved.state, reserved.channel) == (AgentState.RESERVED, None)
    live = acd.state.campaigns[SPRING]
    assert dict(live.previews) == {A1: contact(0)}
    assert live.buffer == (contact(1),)
    assert originated(acd) == []


def test_preview_dial_calls_the_contact_for_the_agent() -> None:
    acd = previewing("1001")
    acd.feed(PreviewNext(at=acd.now, agent=A1, campaign=SPRING))
    acd.advance(20)

    acd.feed(PreviewDial(at=acd.now, agent=A1))

    [call] = originated(acd)
    assert call.number == "5550000"
    assert acd.state.dials[call.channel].mode is DialMode.PREVIEW
    assert acd.state.agents[A1].channel == call.channel
    assert state_of(acd, "1001") is AgentState.RESERVED
    assert dict(acd.state.campaigns[SPRING].previews) == {}
    answers(acd, call.channel)
    assert [(c.channel, c.agent) for c in acd.of(ConnectCall)] == [(call.channel, A1)]


def test_preview_skip_records_the_choice_and_frees_the_agent() -> None:
    acd = previewing("1001")
    acd.feed(PreviewNext(at=acd.now, agent=A1, campaign=SPRING))
    acd.advance(4)

    acd.feed(PreviewSkip(at=acd.now, agent=A1))

    [end] = ended(acd)
    assert end.attempt.result is AttemptResult.SKIPPED
    assert (end.attempt.person, end.attempt.agent) == (False, A1)
    assert end.attempt.started_at == end.attempt.ended_at == acd.now
    assert end.contact.status is ContactStatus.PENDING
    assert (end.contact.attempts, end.contact.last_result) == (0, AttemptResult.SKIPPED)
    assert state_of(acd, "1001") is AgentState.AVAILABLE
    assert dict(acd.state.campaigns[SPRING].previews) == {}
    assert originated(acd) == []


@pytest.mark.parametrize(
    ("case", "code"),
    [("not preview", "invalid"), ("not in queue", "conflict"), ("empty buffer", "conflict")],
)
def test_preview_next_is_refused_and_changes_nothing(case: str, code: str) -> None:
    mode = DialMode.PROGRESSIVE if case == "not preview" else DialMode.PREVIEW
    acd = dialer("1001", mode=mode)
    asking = A1
    if case == "not in queue":
        feed(acd, contact(0))
        acd.log_in(OTHER)
        asking = AgentId(OTHER)
    before = acd.state

    decision = acd.feed(PreviewNext(at=acd.now, agent=asking, campaign=SPRING))

    rejected = acd.rejected()
    assert rejected is not None
    assert rejected.code == code
    assert decision.state is before
    assert decision.effects == ()


def test_halting_a_preview_campaign_frees_its_agents_and_returns_their_contacts() -> None:
    acd = previewing("1001")
    acd.feed(PreviewNext(at=acd.now, agent=A1, campaign=SPRING))

    acd.feed(HaltCampaign(at=acd.now, campaign=SPRING))

    assert acd.of(ContactsReturned) == [
        ContactsReturned(campaign=SPRING, contacts=(contact(1), contact(0)), why="campaign halted")
    ]
    assert state_of(acd, "1001") is AgentState.AVAILABLE
    assert SPRING not in acd.state.campaigns


def test_preview_dial_of_a_number_blocked_meanwhile_is_not_placed() -> None:
    acd = previewing("1001")
    acd.feed(PreviewNext(at=acd.now, agent=A1, campaign=SPRING))
    acd.feed(BlockNumbers(at=acd.now, numbers=frozenset({"5550000"})))

    acd.feed(PreviewDial(at=acd.now, agent=A1))

    assert [o.number for o in originated(acd)] == []


def test_preview_dial_after_the_calling_window_closed_is_not_placed() -> None:
    acd = previewing("1001")
    acd.advance(9 * HOUR - 10)  # 20:59:50 UTC
    acd.feed(PreviewNext(at=acd.now, agent=A1, campaign=SPRING))
    acd.advance(30)  # 21:00:20: the agent read the contact for half a minute

    acd.feed(PreviewDial(at=acd.now, agent=A1))

    assert originated(acd) == []


# Duplicates and strays (core rule 2) ------------------------------------------------


def test_a_second_hang_up_of_a_connected_dial_changes_nothing() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)
    answers(acd, dial)
    acd.answer(dial, "1001")
    acd.advance(30)
    hangs_up(acd, dial)
    before = acd.state

    acd.advance(1)
    decision = acd.feed(ChannelHungUp(at=acd.now, channel=dial, cause=16))

    assert decision.state == before
    assert decision.effects == ()
    assert len(ended(acd)) == 1


def test_a_second_hang_up_of_an_unanswered_dial_records_nothing_more() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)
    hangs_up(acd, dial, 19)
    before = acd.state

    decision = acd.feed(ChannelHungUp(at=acd.now, channel=dial, cause=19))

    assert decision.effects == ()
    assert (decision.state.dials, decision.state.agents) == (before.dials, before.agents)
    assert decision.state.campaigns == before.campaigns
    assert len(ended(acd)) == 1


def test_an_originate_result_for_an_unknown_channel_is_ignored() -> None:
    acd = dialer("1001")
    before = acd.state

    decision = acd.feed(
        OriginateEnded(at=acd.now, channel=ChannelId("out-1-1"), answered=True, reason=4)
    )

    assert decision.notes == (Ignored(reason="originate result for out-1-1: no such dial"),)
    assert decision.effects == ()
    assert decision.state == before


def test_a_held_dial_whose_hang_up_was_lost_with_the_link_still_ends() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)
    acd.feed(DeviceStateChanged(at=acd.now, device=device("1001"), state=DeviceState.IN_USE))
    answers(acd, dial)
    acd.feed(TelephonyLost(at=acd.now))  # the person hangs up; the Hangup is lost
    acd.advance(5)
    acd.feed(Resynced(at=acd.now, waiting=()))  # Asterisk no longer has the call

    tick(acd, HOUR)

    assert [e.attempt.result for e in ended(acd)] == [AttemptResult.ABANDONED]
    assert acd.state.dials == {}
