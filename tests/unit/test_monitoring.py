"""Listen, whisper and barge in the core (C8), and the records the P11 quota counts
(cti/domain/monitoring.py rules 1-5)."""

from __future__ import annotations

import pytest

from cti.domain.commands import EndMonitoring, Monitor
from cti.domain.effects import (
    HangUpChannel,
    MonitoringChanged,
    MonitoringEnded,
    SpyOnCall,
    SwitchSpy,
)
from cti.domain.ids import AgentId, ChannelId, DeviceId
from cti.domain.inputs import (
    CallControlFailed,
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    OriginateEnded,
    Resynced,
    SpyStarted,
    SpyStopped,
)
from cti.domain.records import SpyMode
from tests.unit.acd_kit import Acd, agent, config, leg, queue

A1 = AgentId("1001")
SUP = DeviceId("PJSIP/2001")


def _talking() -> Acd:
    acd = Acd()
    acd.load(config([queue()], [agent("1001"), agent("1002")]))
    acd.log_in("1001")
    acd.feed(DeviceStateChanged(at=acd.now, device=SUP, state=DeviceState.NOT_IN_USE))
    acd.caller("c1")
    acd.advance(1)
    acd.answer("c1", "1001")
    acd.advance(10)
    return acd


def _monitor(acd: Acd, mode: SpyMode = SpyMode.LISTEN, **kw: object) -> None:
    fields: dict[str, object] = {"agent": A1, "supervisor": "ann", "device": SUP, "mode": mode}
    fields.update(kw)
    acd.feed(Monitor(at=acd.now, by="supervisor:ann", **fields))  # type: ignore[arg-type]


def _spy_channel(acd: Acd) -> ChannelId:
    [spy] = acd.of(SpyOnCall)
    return spy.channel


def _started(acd: Acd, mode: SpyMode = SpyMode.LISTEN) -> ChannelId:
    _monitor(acd, mode)
    channel = _spy_channel(acd)
    acd.advance(2)
    acd.feed(OriginateEnded(at=acd.now, channel=channel, answered=True, reason=4))
    acd.feed(SpyStarted(at=acd.now, channel=channel, target=leg("c1")))
    return channel


def test_listening_calls_the_supervisor_and_spies_on_the_agents_exact_leg() -> None:
    acd = _talking()
    _monitor(acd)
    assert acd.rejected() is None
    [spy] = acd.of(SpyOnCall)
    assert (spy.device, spy.target, spy.mode, spy.agent) == (SUP, leg("c1"), SpyMode.LISTEN, A1)
    assert acd.of(MonitoringChanged)[-1].spy is not None


def test_a_session_is_recorded_from_chanspy_start_to_stop_with_agent_call_and_mode() -> None:
    acd = _talking()
    channel = _started(acd)
    start = acd.now
    acd.advance(42)
    acd.feed(SpyStopped(at=acd.now, channel=channel))
    acd.feed(ChannelHungUp(at=acd.now, channel=channel, cause=16))

    [ended] = acd.of(MonitoringEnded)
    session = ended.session
    assert (session.supervisor, session.agent, session.call, session.mode) == (
        "ann",
        A1,
        "c1",
        SpyMode.LISTEN,
    )
    assert (session.started_at, session.ended_at, session.seconds) == (start, acd.now, 42)
    assert acd.state.spies == {}
    assert acd.of(MonitoringChanged)[-1].spy is None


def test_a_hang_up_without_a_stop_still_ends_the_record_once() -> None:
    acd = _talking()
    channel = _started(acd, SpyMode.BARGE)
    acd.advance(5)
    acd.feed(ChannelHungUp(at=acd.now, channel=channel, cause=16))
    acd.feed(SpyStopped(at=acd.now, channel=channel))  # late: ignored
    [ended] = acd.of(MonitoringEnded)
    assert ended.session.mode is SpyMode.BARGE and ended.session.seconds == 5


def test_switching_mode_keys_chanspy_on_the_same_leg_and_splits_the_record() -> None:
    acd = _talking()
    channel = _started(acd)
    acd.advance(10)
    _monitor(acd, SpyMode.WHISPER)
    assert acd.of(SwitchSpy) == [SwitchSpy(channel=channel, target=leg("c1"), mode=SpyMode.WHISPER)]
    assert len(acd.of(SpyOnCall)) == 1  # no second call to the supervisor
    acd.advance(20)
    _monitor(acd, SpyMode.BARGE)
    acd.advance(5)
    acd.feed(SpyStopped(at=acd.now, channel=channel))
    acd.feed(ChannelHungUp(at=acd.now, channel=channel, cause=16))

    modes = [(e.session.mode, round(e.session.seconds, 2)) for e in acd.of(MonitoringEnded)]
    assert modes == [(SpyMode.LISTEN, 10), (SpyMode.WHISPER, 20), (SpyMode.BARGE, 5)]
    first, second, _ = (e.session for e in acd.of(MonitoringEnded))
    assert first.ended_at == second.started_at  # no gap, no overlap


def test_a_switch_while_the_phone_still_rings_is_refused() -> None:
    acd = _talking()
    _monitor(acd)
    _monitor(acd, SpyMode.BARGE)
    assert "not spying yet" in acd.rejected().reason  # type: ignore[union-attr]
    assert acd.of(SwitchSpy) == []


def test_asking_for_the_mode_already_running_changes_nothing() -> None:
    acd = _talking()
    _started(acd)
    before = acd.state
    _monitor(acd)
    assert acd.rejected() is None and acd.state == before and acd.last is not None
    assert acd.last.effects == ()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"agent": AgentId("9999")}, "unknown agent 9999"),
        ({"agent": AgentId("1002")}, "agent 1002 is not logged in"),
        ({"device": DeviceId("PJSIP/2999")}, "device PJSIP/2999 is not registered"),
        ({"device": DeviceId("PJSIP/2002")}, "device PJSIP/2002 is busy"),
    ],
)
def test_refusals_change_nothing(change: dict[str, object], reason: str) -> None:
    acd = _talking()
    acd.feed(
        DeviceStateChanged(at=acd.now, device=DeviceId("PJSIP/2002"), state=DeviceState.IN_USE)
    )
    before = acd.state
    _monitor(acd, **change)
    rejected = acd.rejected()
    assert rejected is not None and rejected.reason == reason
    assert acd.state == before and acd.of(SpyOnCall) == []


def test_an_agent_not_on_a_call_cannot_be_monitored() -> None:
    acd = _talking()
    acd.hang_up("c1")
    _monitor(acd)
    assert "not on a call" in acd.rejected().reason  # type: ignore[union-attr]


def test_an_agents_own_phone_cannot_spy() -> None:
    acd = _talking()
    acd.log_in("1002")
    _monitor(acd, device=DeviceId("PJSIP/1002"))
    assert acd.rejected().reason == "device PJSIP/1002 is an agent's phone"  # type: ignore[union-attr]


def test_one_call_at_a_time_per_supervisor() -> None:
    acd = _talking()
    acd.log_in("1002")
    acd.caller("c2")
    acd.answer("c2", "1002")
    _started(acd)
    _monitor(acd, agent=AgentId("1002"))
    assert acd.rejected().reason == "ann is monitoring agent 1001: end that first"  # type: ignore[union-attr]


def test_a_phone_that_does_not_answer_leaves_no_record_and_says_why() -> None:
    acd = _talking()
    _monitor(acd)
    channel = _spy_channel(acd)
    acd.advance(30)
    acd.feed(OriginateEnded(at=acd.now, channel=channel, answered=False, reason=3))
    assert acd.of(MonitoringEnded) == [] and acd.state.spies == {}
    assert acd.of(MonitoringChanged)[-1].why == "the phone PJSIP/2001 did not answer"


def test_a_refused_instruction_ends_the_session() -> None:
    acd = _talking()
    _monitor(acd)
    channel = _spy_channel(acd)
    acd.feed(CallControlFailed(at=acd.now, channel=channel, reason="Originate failed"))
    assert acd.state.spies == {}
    assert "Originate failed" in acd.of(MonitoringChanged)[-1].why


def test_ending_hangs_up_the_supervisors_leg() -> None:
    acd = _talking()
    channel = _started(acd)
    acd.feed(EndMonitoring(at=acd.now, supervisor="ann"))
    assert acd.of(HangUpChannel) == [HangUpChannel(channel=channel)]
    acd.feed(EndMonitoring(at=acd.now, supervisor="bob"))
    assert acd.rejected().reason == "bob is not monitoring a call"  # type: ignore[union-attr]


def test_a_resync_ends_a_spy_whose_call_is_gone() -> None:
    acd = _talking()
    channel = _started(acd)
    acd.advance(3)
    acd.hang_up("c1")  # the call ends; the spy's own hang-up is missed (the link was down)
    acd.feed(Resynced(at=acd.now, waiting=()))
    assert HangUpChannel(channel=channel) in acd.of(HangUpChannel)
    assert acd.state.spies == {}
    [ended] = acd.of(MonitoringEnded)
    assert ended.session.seconds == 3


def test_a_chanspy_start_for_a_leg_that_is_not_ours_is_ignored() -> None:
    acd = _talking()
    before = acd.state
    acd.feed(SpyStarted(at=acd.now, channel=ChannelId("other"), target=leg("c1")))
    assert acd.state == before
