"""Calls connected to agents taken back at a resync (cti/domain/adopt.py, C1): the agent on
call again, the talk from the agent's answer, the record right when the call ends."""

from __future__ import annotations

from dataclasses import replace

from cti.domain.commands import HangUp, RestoreLogins, RunCampaign
from cti.domain.effects import (
    AttemptEnded,
    CallEnded,
    ConnectCall,
    FindingRaised,
    HangUpChannel,
    Ignored,
    ResyncApplied,
)
from cti.domain.ids import AgentId, CallId, ChannelId, QueueId
from cti.domain.inputs import ConnectedCall, DeviceState, Resynced
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.campaign import AttemptResult, CampaignConfig, CampaignId
from cti.domain.outbound.pacing import DialMode, PacingConfig
from cti.domain.queue import WaitingCall
from cti.domain.records import AgentState, Presence, Rule, SegmentKind, Side
from tests.unit.acd_kit import Acd, agent, config, device, queue

A1, A2 = AgentId("1001"), AgentId("1002")
CALLER, LEG = ChannelId("c1"), ChannelId("c1-leg")
SPRING = CampaignId("spring")


def restarted(*agents: str) -> Acd:
    """A server just started: configured, the agents taken back from stored presence."""
    acd = Acd()
    acd.load(config([queue(max_wrap_up=5)], [agent(a) for a in ("1001", "1002")]))
    logins = tuple(
        Presence(agent=AgentId(a), at=acd.now, device=device(a), logged_in_at=acd.at(-600))
        for a in agents
    )
    acd.feed(RestoreLogins(at=acd.now, logins=logins))
    return acd


def connected(acd: Acd, **kw: object) -> ConnectedCall:
    """The call c1, entered 40 s ago and answered by 1001's phone 30 s ago."""
    fields: dict[str, object] = {
        "call": CallId("c1"),
        "channel": CALLER,
        "agent_channel": LEG,
        "device": device("1001"),
        "queue": QueueId("support"),
        "caller": "+15550101",
        "entered_at": acd.at(-40),
        "answered_at": acd.at(-30),
    }
    return ConnectedCall(**(fields | kw))  # type: ignore[arg-type]


def resync(acd: Acd, *calls: ConnectedCall, waiting: tuple[WaitingCall, ...] = ()) -> None:
    phones = ((device("1001"), DeviceState.IN_USE), (device("1002"), DeviceState.NOT_IN_USE))
    acd.feed(Resynced(at=acd.now, waiting=waiting, devices=phones, connected=calls))


def test_a_connected_call_puts_its_agent_on_call_again_with_it() -> None:
    acd = restarted("1001")

    resync(acd, connected(acd))

    agent1 = acd.state.agents[A1]
    assert (agent1.state, agent1.call, agent1.channel) == (AgentState.ON_CALL, "c1", CALLER)
    assert acd.state.talks[CALLER].start == acd.at(-30)
    assert acd.state.legs[LEG] == CALLER
    assert acd.of(ResyncApplied)[-1].adopted == 1


def test_when_the_caller_hangs_up_the_record_has_the_agent_the_talk_and_who_released() -> None:
    acd = restarted("1001")
    resync(acd, connected(acd))
    acd.advance(12)

    acd.hang_up(CALLER)
    acd.hang_up(LEG, request=False)
    acd.tick_to(12 + 5)  # the queue's maximum wrap-up

    [record] = [e.record for e in acd.of(CallEnded)]
    kinds = [(s.kind, s.agent, s.seconds) for s in record.segments]
    assert kinds == [
        (SegmentKind.QUEUE, None, 10.0),
        (SegmentKind.TALK, A1, 42.0),
        (SegmentKind.WRAP_UP, A1, 5.0),
    ]
    assert (record.answered, record.released_by, record.caller) == (True, Side.CALLER, "+15550101")
    assert record.entered_at == acd.at(-40)


def test_an_agent_who_releases_an_adopted_call_first_is_a_finding() -> None:
    acd = restarted("1001")
    resync(acd, connected(acd))
    acd.advance(3)

    acd.hang_up(LEG)

    [finding] = [e.finding for e in acd.of(FindingRaised)]
    assert (finding.rule, finding.agent, finding.measured) == (
        Rule.AGENT_RELEASED_FIRST,
        A1,
        33.0,
    )
    assert acd.state.agents[A1].state is AgentState.WRAP_UP


def test_the_agent_can_hang_up_an_adopted_call_through_the_api() -> None:
    acd = restarted("1001")
    resync(acd, connected(acd))

    acd.feed(HangUp(at=acd.now, agent=A1, by="agent:1001"))

    assert acd.rejected() is None
    assert acd.of(HangUpChannel) == [HangUpChannel(channel=LEG)]


def test_a_second_resync_that_finds_the_call_again_changes_nothing() -> None:
    acd = restarted("1001")
    resync(acd, connected(acd))
    before = acd.state
    acd.advance(1)

    resync(acd, connected(acd))

    assert acd.state.talks == before.talks and acd.state.agents == before.agents
    assert acd.state.calls == before.calls
    assert acd.of(ResyncApplied)[-1].corrections == 0


def test_a_call_that_ended_before_the_snapshot_was_applied_is_not_invented() -> None:
    acd = restarted("1001")
    acd.hang_up(CALLER, request=False)  # the caller's Hangup came in before the snapshot

    resync(acd, connected(acd))

    assert acd.state.talks == {} and acd.state.calls == {}
    assert acd.state.agents[A1].state is AgentState.AVAILABLE


def test_a_call_on_a_phone_without_a_free_agent_is_left_with_a_note() -> None:
    acd = restarted()  # nobody logged in again

    resync(acd, connected(acd))

    assert acd.state.talks == {}
    notes = [n.reason for n in acd.last.notes if isinstance(n, Ignored)] if acd.last else []
    assert notes == ["connected call c1 on PJSIP/1001 not adopted: no agent is logged in on it"]


def test_the_same_resync_offers_a_waiting_caller_to_another_agent_only() -> None:
    acd = restarted("1001", "1002")
    caller = WaitingCall(
        call=CallId("w1"),
        channel=ChannelId("w1"),
        queue=QueueId("support"),
        priority=0,
        caller="+15550102",
        entered_at=acd.at(-5),
    )

    resync(acd, connected(acd), waiting=(caller,))

    assert [(e.channel, e.agent) for e in acd.of(ConnectCall)] == [("w1", A2)]
    assert acd.state.agents[A1].state is AgentState.ON_CALL


def campaign(acd: Acd, mode: DialMode) -> None:
    conf = CampaignConfig(
        id=SPRING, queue=QueueId("support"), caller_id="5550100", pacing=PacingConfig(mode=mode)
    )
    acd.feed(RunCampaign(at=acd.now, config=conf, window=AbandonWindow(length=86400)))


def test_an_adopted_campaign_call_is_recorded_as_a_connected_attempt_when_it_ends() -> None:
    acd = restarted("1001")
    out = connected(
        acd, campaign=SPRING, caller="5559001", dialled_at=acd.at(-52), entered_at=acd.at(-31)
    )
    resync(acd, out)
    campaign(acd, DialMode.PREDICTIVE)  # the dialer runs it a moment after the resync
    acd.advance(20)

    acd.hang_up(LEG)
    assert acd.of(AttemptEnded) == []  # the customer's channel is still there
    acd.hang_up(CALLER, request=False)

    [ended] = acd.of(AttemptEnded)
    attempt = ended.attempt
    assert ended.contact is None  # the shell settles the stored contact
    assert (attempt.id, attempt.contact, attempt.number) == ("c1", "spring:5559001", "5559001")
    assert (attempt.result, attempt.agent, attempt.mode) == (
        AttemptResult.CONNECTED,
        A1,
        DialMode.PREDICTIVE,
    )
    assert (attempt.started_at, attempt.answered_at) == (acd.at(-52), acd.at(-31))
    assert (attempt.connected_at, attempt.ended_at) == (acd.at(-30), acd.at(20))
    assert attempt.person and acd.state.adopted == {}


def test_an_adopted_campaign_call_is_no_dial_of_the_pacer() -> None:
    acd = restarted("1001")

    resync(acd, replace(connected(acd), campaign=SPRING, dialled_at=acd.at(-40)))

    assert acd.state.dials == {} and list(acd.state.adopted) == [CALLER]
