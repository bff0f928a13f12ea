"""Supervisors monitoring agents' calls: listen, whisper and barge (C8), and the record of
every monitoring session that the P11 quota is counted from.

Rule 1: a supervisor monitors one call at a time. The core calls the supervisor's own
device (SpyOnCall); once answered, Asterisk's ChanSpy runs on the agent's leg, named by
its Uniqueid, so no other channel can match (a bare `PJSIP/100` prefix would also match
`PJSIP/1001-...`). Refused (nothing changes): an agent unknown, not logged in or not on
a call; a device that is not registered, is busy, is the agent's own or is already
spying; a supervisor already monitoring another agent.
Rule 2: asked again for the same agent in another mode, the running ChanSpy switches to
it on the same leg (SwitchSpy: ChanSpy's own mode key): no new call to the supervisor.
Asterisk says nothing of a switch, so it counts from the instant it was asked. While the
phone still rings, a change is refused.
Rule 3: a monitoring record is one stretch in one mode: from ChanSpyStart, or from the
switch into that mode, to the next switch, ChanSpyStop, or the supervisor's leg hanging
up when no stop came. A leg that never started spying leaves none.
Rule 4: the session ends when the supervisor's leg is gone: hung up by either side, never
answered (OriginateResponse failure), or refused by Asterisk (CallControlFailed). ChanSpy
runs with `E`: it ends when the agent's leg does, and the dialplan then hangs up.
Rule 5: after a resync, a spy whose agent is no longer on the call it spied is ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Final

from cti.domain.commands import EndMonitoring, Monitor
from cti.domain.desk import CommandRefused, agent_of, talk_of
from cti.domain.effects import (
    HangUpChannel,
    Ignored,
    MonitoringChanged,
    MonitoringEnded,
    SpyOnCall,
    SwitchSpy,
)
from cti.domain.ids import ChannelId, DeviceId, Instant
from cti.domain.inputs import (
    CallControlFailed,
    DeviceState,
    OriginateEnded,
    SpyStarted,
    SpyStopped,
)
from cti.domain.records import MonitoringSession
from cti.domain.spy import Spy
from cti.domain.work import Work

SPY_RING_SECONDS: Final = 30.0  # how long the supervisor's phone rings
BUSY_STATES: Final = frozenset(
    {DeviceState.IN_USE, DeviceState.BUSY, DeviceState.RINGING, DeviceState.RING_IN_USE}
)


def spy_of(spies: Iterable[Spy], supervisor: str) -> Spy | None:
    """The supervisor's session (rule 1: at most one)."""
    return next((s for s in spies if s.supervisor == supervisor), None)


def on_monitor(work: Work, command: Monitor) -> None:
    agent_of(work, command.agent)
    running = spy_of(work.spies.values(), command.supervisor)
    if running is not None:
        _switch(work, running, command)
        return
    talk = talk_of(work, command.agent)
    assert talk.agent_channel is not None  # a talk with an agent has its leg
    _check_device(work, command.device)
    channel = ChannelId(f"spy-{int(work.at * 1000)}-{work.spied}")
    work.spied += 1
    spy = Spy(
        channel=channel,
        supervisor=command.supervisor,
        device=command.device,
        agent=command.agent,
        call=talk.call,
        target=talk.agent_channel,
        mode=command.mode,
        asked_at=work.at,
    )
    work.spies[channel] = spy
    work.emit(
        SpyOnCall(
            channel=channel,
            device=command.device,
            target=spy.target,
            mode=spy.mode,
            agent=spy.agent,
            ring_timeout=SPY_RING_SECONDS,
        )
    )
    _changed(work, spy)


def _switch(work: Work, spy: Spy, command: Monitor) -> None:
    """Rule 2."""
    if spy.agent != command.agent:
        raise CommandRefused(
            f"{command.supervisor} is monitoring agent {spy.agent}: end that first", "conflict"
        )
    if command.mode is spy.mode:
        work.notes.append(Ignored(reason=f"{command.supervisor} already in {command.mode}"))
        return
    if spy.started_at is None:
        raise CommandRefused(
            f"{command.supervisor}'s phone {spy.device} is not spying yet: answer it first",
            "conflict",
        )
    _record(work, spy, work.at)
    switched = replace(spy, mode=command.mode, started_at=work.at)
    work.spies[spy.channel] = switched
    work.emit(SwitchSpy(channel=spy.channel, target=spy.target, mode=command.mode))
    _changed(work, switched)


def _check_device(work: Work, device: DeviceId) -> None:
    state = work.devices.get(device)
    if state is None or not state.registered:
        raise CommandRefused(f"device {device} is not registered", "conflict")
    if state in BUSY_STATES:
        raise CommandRefused(f"device {device} is busy", "conflict")
    if any(a.device == device for a in work.agents.values()):
        raise CommandRefused(f"device {device} is an agent's phone", "conflict")
    if any(s.device == device for s in work.spies.values()):
        raise CommandRefused(f"device {device} is already monitoring a call", "conflict")


def on_end(work: Work, command: EndMonitoring) -> None:
    spy = spy_of(work.spies.values(), command.supervisor)
    if spy is None:
        raise CommandRefused(f"{command.supervisor} is not monitoring a call", "conflict")
    work.emit(HangUpChannel(channel=spy.channel))  # rule 4: ends at its Hangup


def on_spy_started(work: Work, event: SpyStarted) -> None:
    spy = work.spies.get(event.channel)
    if spy is None:
        work.notes.append(Ignored(reason=f"ChanSpy on {event.channel}: not a spy of ours"))
        return
    if spy.started_at is not None:
        work.notes.append(Ignored(reason=f"ChanSpy on {event.channel}: started already"))
        return
    started = replace(spy, started_at=event.at)
    work.spies[spy.channel] = started
    _changed(work, started)


def on_spy_stopped(work: Work, event: SpyStopped) -> None:
    spy = work.spies.get(event.channel)
    if spy is None or spy.started_at is None:
        work.notes.append(Ignored(reason=f"ChanSpy stop on {event.channel}: not spying"))
        return
    _record(work, spy, event.at)
    stopped = replace(spy, started_at=None)
    work.spies[spy.channel] = stopped
    _changed(work, stopped)


def on_hung_up(work: Work, channel: ChannelId) -> bool:
    """Rule 4: True when the channel was a supervisor's leg."""
    return _end(work, channel, "ended")


def on_originate_ended(work: Work, event: OriginateEnded) -> bool:
    spy = work.spies.get(event.channel)
    if spy is None:
        return False
    if not event.answered:
        _end(work, event.channel, f"the phone {spy.device} did not answer")
    return True


def on_control_failed(work: Work, event: CallControlFailed) -> bool:
    spy = work.spies.get(event.channel)
    if spy is None:
        return False
    work.emit(HangUpChannel(channel=spy.channel))  # whatever Asterisk still has of it
    _end(work, event.channel, f"Asterisk refused: {event.reason}")
    return True


def on_resynced(work: Work) -> None:
    """Rule 5."""
    legs = {t.agent_channel for t in work.talks.values() if t.agent is not None}
    for spy in list(work.spies.values()):
        if spy.target not in legs:
            work.emit(HangUpChannel(channel=spy.channel))
            _end(work, spy.channel, "the call ended while the link was down")


def _end(work: Work, channel: ChannelId, why: str) -> bool:
    spy = work.spies.get(channel)
    if spy is None:
        return False
    if spy.started_at is not None:
        _record(work, spy, work.at)
    work.spies.pop(channel)
    work.emit(
        MonitoringChanged(supervisor=spy.supervisor, agent=spy.agent, spy=None, at=work.at, why=why)
    )
    return True


def _record(work: Work, spy: Spy, ended_at: Instant) -> None:
    """Rule 3."""
    assert spy.started_at is not None
    session = MonitoringSession(
        supervisor=spy.supervisor,
        device=spy.device,
        agent=spy.agent,
        call=spy.call,
        mode=spy.mode,
        started_at=spy.started_at,
        ended_at=Instant(max(spy.started_at, ended_at)),
    )
    work.emit(MonitoringEnded(session=session))


def _changed(work: Work, spy: Spy) -> None:
    work.emit(MonitoringChanged(supervisor=spy.supervisor, agent=spy.agent, spy=spy, at=work.at))
