"""Agents on a nailed-up line (issue 18, C5): cti/domain/nailed.py."""

from __future__ import annotations

from dataclasses import replace

from cti.domain.commands import HangUp, QuietNumbers, SetNotReady, SetReady
from cti.domain.config import AgentLine
from cti.domain.effects import (
    ConnectCall,
    ContactsWanted,
    FindingRaised,
    HangUpChannel,
    OfferEnded,
    OpenLine,
    SendCall,
)
from cti.domain.ids import AgentId, ChannelId, Instant
from cti.domain.inputs import (
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    LineBridged,
    LineUp,
    OriginateEnded,
    Resynced,
)
from cti.domain.line import LinePhase
from cti.domain.nailed import LINE_RETRY
from cti.domain.outbound.campaign import AttemptResult
from cti.domain.outbound.quiet import NumberQuiet
from cti.domain.records import AgentState, OfferOutcome, Rule
from cti.metrics import LiveCollector, Metrics
from tests.unit.acd_kit import Acd, agent, config, device, queue
from tests.unit.test_metrics import samples
from tests.unit.test_outbound import (
    A1,
    HOUR,
    answers,
    contact,
    dialer,
    ended,
    feed,
    hangs_up,
    originated,
    tick,
)

SUPPORT_A = AgentId("2001")


def lined(line: AgentLine = AgentLine.NAILED) -> Acd:
    """Agent 2001 of support logged in, ready, its phone registered, telephony up."""
    acd = Acd()
    acd.load(config([queue("support", agent_line=line)], [agent("2001")]))
    phones = ((device("2001"), DeviceState.NOT_IN_USE),)
    acd.feed(Resynced(at=acd.now, waiting=(), devices=phones))
    acd.log_in("2001")
    return acd


def line_up(acd: Acd, agent_id: AgentId = SUPPORT_A) -> ChannelId:
    """The phone answers its line; Asterisk says the device is in use, then the line waits."""
    [opened] = [e for e in acd.of(OpenLine) if e.agent == agent_id][-1:]
    acd.feed(DeviceStateChanged(at=acd.now, device=opened.device, state=DeviceState.IN_USE))
    acd.feed(OriginateEnded(at=acd.now, channel=opened.channel, answered=True, reason=4))
    acd.feed(LineUp(at=acd.now, channel=opened.channel, agent=agent_id))
    return opened.channel


def phase(acd: Acd, agent_id: AgentId = SUPPORT_A) -> LinePhase | None:
    line = acd.state.lines.get(agent_id)
    return None if line is None else line.phase


def test_a_ready_agent_on_a_nailed_line_has_its_phone_called_and_no_offer_meanwhile() -> None:
    acd = lined()
    [opened] = acd.of(OpenLine)
    assert (opened.agent, opened.device) == (SUPPORT_A, device("2001"))
    assert phase(acd) is LinePhase.CALLING

    acd.caller("c1")  # the phone rings for its line: nobody is offered meanwhile
    assert acd.of(ConnectCall) == []

    line = line_up(acd)

    [connect] = acd.of(ConnectCall)  # the waiting caller goes to the line at once
    assert (connect.channel, connect.line) == (ChannelId("c1"), line)
    assert phase(acd) is LinePhase.IN_CALL


def test_a_caller_bridged_to_the_line_is_answered_and_the_line_waits_again_after() -> None:
    acd = lined()
    line = line_up(acd)
    acd.caller("c1")
    acd.advance(0.02)
    acd.feed(LineBridged(at=acd.now, channel=ChannelId("c1"), line=line, agent=SUPPORT_A))
    assert acd.state.agents[SUPPORT_A].state is AgentState.ON_CALL
    talk = acd.state.talks[ChannelId("c1")]
    assert talk.agent_channel == line

    acd.advance(60)
    acd.hang_up("c1")  # the caller's side ends; the dialplan returns the line to hold

    assert acd.state.agents[SUPPORT_A].state is AgentState.WRAP_UP
    assert phase(acd) is LinePhase.UP
    assert HangUpChannel(channel=line) not in acd.effects
    assert len(acd.of(OpenLine)) == 1  # the same line, kept across calls


def test_the_desk_hangs_up_the_caller_not_the_line() -> None:
    acd = lined()
    line = line_up(acd)
    acd.caller("c1")
    acd.feed(LineBridged(at=acd.now, channel=ChannelId("c1"), line=line, agent=SUPPORT_A))

    acd.feed(HangUp(at=acd.now, agent=SUPPORT_A))

    assert acd.of(HangUpChannel)[-1] == HangUpChannel(channel=ChannelId("c1"))
    acd.hang_up("c1", request=False)
    assert acd.state.agents[SUPPORT_A].state is AgentState.WRAP_UP
    [released] = [f.finding for f in acd.of(FindingRaised)]
    assert released.rule is Rule.AGENT_RELEASED_FIRST  # P2: the desk's hang-up is the agent's
    assert phase(acd) is LinePhase.UP


def test_not_ready_hangs_the_line_up_and_ready_calls_it_again() -> None:
    acd = lined()
    line = line_up(acd)

    acd.feed(SetNotReady(at=acd.now, agent=SUPPORT_A, reason="lunch"))

    assert acd.of(HangUpChannel) == [HangUpChannel(channel=line)]
    assert phase(acd) is LinePhase.ENDING
    acd.feed(ChannelHungUp(at=acd.now, channel=line, cause=16))
    assert phase(acd) is None

    acd.advance(1)
    acd.feed(SetReady(at=acd.now, agent=SUPPORT_A))
    assert len(acd.of(OpenLine)) == 2


def test_a_line_hung_up_during_a_call_ends_the_talk_as_the_agents_release() -> None:
    acd = lined()
    line = line_up(acd)
    acd.caller("c1")
    acd.feed(LineBridged(at=acd.now, channel=ChannelId("c1"), line=line, agent=SUPPORT_A))

    acd.hang_up(line)  # the agent's phone hung up (BYE): the line is gone too

    assert ChannelId("c1") not in acd.state.talks
    assert phase(acd) is LinePhase.DOWN
    [released] = [f.finding for f in acd.of(FindingRaised)]
    assert released.rule is Rule.AGENT_RELEASED_FIRST
    acd.advance(LINE_RETRY)
    acd.tick_to(acd.now - acd.at(0))
    assert len(acd.of(OpenLine)) == 2  # called again after the pause


def test_a_phone_that_cannot_keep_its_line_is_rung_for_each_call_instead() -> None:
    acd = lined()
    for _ in range(2):
        [opened] = acd.of(OpenLine)[-1:]
        acd.feed(OriginateEnded(at=acd.now, channel=opened.channel, answered=False, reason=3))
        acd.advance(LINE_RETRY)
        acd.tick_to(acd.now - acd.at(0))
    assert len(acd.of(OpenLine)) == 2
    line = acd.state.lines[SUPPORT_A]
    assert (line.phase, line.retry_at, line.failures) == (LinePhase.DOWN, None, 2)

    acd.caller("c1")

    [connect] = acd.of(ConnectCall)
    assert connect.line is None  # rung, as any phone


def test_an_auto_answer_queue_dials_its_agents_with_the_headers() -> None:
    acd = lined(AgentLine.AUTO_ANSWER)
    assert acd.of(OpenLine) == []
    acd.caller("c1")
    [connect] = acd.of(ConnectCall)
    assert (connect.line, connect.auto_answer) == (None, True)


def test_an_agents_own_setting_overrides_its_queues() -> None:
    acd = Acd()
    own = agent("2001")
    profile = replace(own, line=AgentLine.RING)
    acd.load(config([queue("support", agent_line=AgentLine.NAILED)], [profile]))
    phones = ((device("2001"), DeviceState.NOT_IN_USE),)
    acd.feed(Resynced(at=acd.now, waiting=(), devices=phones))
    acd.log_in("2001")
    assert acd.of(OpenLine) == []


# Outbound: the guarantee (nailed.py rule 5) ------------------------------------------


def quiet_book(acd: Acd, number: str) -> None:
    """The store says the number was abandoned an hour ago (by any campaign)."""
    earlier = {number: NumberQuiet(abandoned_at=Instant(acd.now - HOUR))}
    acd.feed(QuietNumbers(at=acd.now, numbers=earlier, horizon=Instant(0.0)))


def test_a_number_inside_its_quiet_period_is_dialled_only_with_an_agent_on_a_line() -> None:
    ringing = dialer("1001")
    quiet_book(ringing, "5550000")
    feed(ringing, contact(0))
    assert originated(ringing) == []  # a rung agent is no guarantee

    acd = dialer("1001", line=AgentLine.NAILED)
    quiet_book(acd, "5550000")
    assert acd.of(ContactsWanted)[-1].guaranteed is True
    feed(acd, contact(0))
    assert originated(acd) == []  # the line is not up yet: the contact waits in the buffer
    assert [c.number for c in acd.state.campaigns[next(iter(acd.state.campaigns))].buffer] == [
        "5550000"
    ]
    line = line_up(acd, A1)

    [dial] = originated(acd)  # the agent on its line is reserved for it
    assert acd.state.agents[A1].state is AgentState.RESERVED
    answers(acd, dial.channel)
    [connect] = acd.of(ConnectCall)
    assert connect.line == line
    acd.advance(0.03)
    acd.feed(LineBridged(at=acd.now, channel=dial.channel, line=line, agent=A1))
    tick(acd, 2.0)  # the hold passes: the call is connected, nothing abandoned
    hangs_up(acd, dial.channel)
    [end] = ended(acd)
    assert end.attempt.result is AttemptResult.CONNECTED
    assert end.attempt.connected_at is not None and end.attempt.answered_at is not None
    assert abs(end.attempt.connected_at - end.attempt.answered_at - 0.03) < 1e-6


def test_a_slow_agent_on_a_line_abandons_nobody() -> None:
    """The phone answers its line 2.5 s after the agent goes ready: no dial is made for the
    agent until the line is up, so the person who answers finds the agent there."""
    acd = dialer("1001", line=AgentLine.NAILED)
    feed(acd, contact(0), contact(1))
    assert originated(acd) == []
    acd.advance(2.5)
    line = line_up(acd, A1)
    [dial] = originated(acd)
    answers(acd, dial.channel)
    acd.feed(LineBridged(at=acd.now, channel=dial.channel, line=line, agent=A1))
    tick(acd, 2.0)
    assert acd.state.dials[dial.channel].connected_at is not None
    assert all(o.offer.outcome is not OfferOutcome.HOLD_EXPIRED for o in acd.of(OfferEnded))
    assert acd.of(SendCall) == []  # nobody sent to the abandon message


def test_lines_are_counted_by_phase_in_the_metrics() -> None:
    acd = lined()
    metrics = Metrics()
    metrics.registry.register(LiveCollector(lambda: acd.state, lambda: acd.now, lambda: True))
    assert samples(metrics)["cti_agent_lines", (("phase", "calling"),)] == 1
    line_up(acd)
    got = samples(metrics)
    assert got["cti_agent_lines", (("phase", "up"),)] == 1
    assert got["cti_agent_lines", (("phase", "calling"),)] == 0
