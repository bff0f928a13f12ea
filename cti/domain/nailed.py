"""Agents on a nailed-up line (issue 18, C5): the agent's phone holds one call open while
the agent is ready, and callers are bridged to it at once, with no ring.

Rule 1: an agent whose line is `nailed` (its own setting, else any of its queues')
wants a line while logged in, ready, its phone registered and the AMI link up. The core
calls the phone (OpenLine, the ChannelId its own choice); the line is up once the phone
answered and the dialplan says it waits (LineUp). Ringing, the agent is not offered calls.
Rule 2: an agent whose line is up and carries no call is reached through it: the offer
bridges the caller to the line (ConnectCall with `line`) and is answered when the
dialplan bridges them (LineBridged). The line carries the call until the talk ends, then
waits again (the dialplan returns it when the caller's side ends). The agent's phone is
in use all along: its device state does not make the agent unroutable (dispatch rule 3).
Rule 3: a line no longer wanted is hung up as soon as it carries no call.
Rule 4: a line that fails (not answered within LINE_RING seconds, refused, or hung up
by the phone, also when the agent hangs up a call on it) is called again after
LINE_RETRY seconds; after LINE_TRIES failures in a row the agent's phone is rung for each
call instead (the fallback for phones that cannot stay up) until the agent is next made
ready. A call carried to its end with the line still up clears the count.
Rule 5: an agent whose line is up is a guaranteed agent (cti/domain/outbound/quiet.py
rule 3): reserved for a dial, it is there the moment the person answers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from cti.domain.agent import Agent
from cti.domain.effects import HangUpChannel, Ignored, OpenLine
from cti.domain.ids import AgentId, ChannelId, Instant
from cti.domain.inputs import CallControlFailed, LineUp, OriginateEnded
from cti.domain.line import Line, LinePhase, nailed_agents
from cti.domain.records import AgentState, OfferOutcome
from cti.domain.state import TimerKind
from cti.domain.work import Work

LINE_RING: Final = 30.0  # seconds the phone rings for its line
LINE_RETRY: Final = 5.0  # seconds before a failed line is called again
LINE_TRIES: Final = 2  # failures in a row before the agent is rung for each call instead


def waiting_line(work: Work, agent: AgentId) -> Line | None:
    """The agent's line when it is up and carries no call (rule 2)."""
    line = work.lines.get(agent)
    return line if line is not None and line.waiting else None


def rung_instead(work: Work, agent: Agent) -> bool:
    """Whether the agent's offers ring its phone: not nailed, or fallen back (rule 4)."""
    if agent.id not in nailed_agents(work.config):
        return True
    line = work.lines.get(agent.id)
    return line is not None and line.phase is LinePhase.DOWN and line.retry_at is None


def guaranteed(work: Work, agent: Agent | None) -> bool:
    """Rule 5."""
    return agent is not None and waiting_line(work, agent.id) is not None


def line_by_channel(work: Work, channel: ChannelId) -> Line | None:
    return next((line for line in work.lines.values() if line.channel == channel), None)


# Keeping lines (after every input) ----------------------------------------------------


def keep_lines(work: Work) -> None:
    """Rules 1 and 3, and rule 2's return to waiting once a call is over."""
    nailed = nailed_agents(work.config)
    if not nailed and not work.lines:
        return
    if not _changed(work):
        return
    carried = {t.agent_channel for t in work.talks.values()}
    carried |= {o.agent_channel for o in work.offers.values()}
    for agent_id in sorted(nailed | set(work.lines)):
        line = work.lines.get(agent_id)
        if line is not None and line.phase is LinePhase.IN_CALL and line.channel not in carried:
            line = replace(line, phase=LinePhase.UP, since=work.at, failures=0)
            work.lines[agent_id] = line
        wanted = agent_id in nailed and _wanted(work, work.agents.get(agent_id))
        if wanted:
            _open(work, agent_id, line)
        elif line is not None:
            _close(work, line)


def _changed(work: Work) -> bool:
    return work.telephony_up is not work.base.telephony_up or work.changed(
        "config", "agents", "devices", "lines", "talks", "offers", "timers"
    )


def _wanted(work: Work, agent: Agent | None) -> bool:
    if agent is None or not agent.ready or agent.state is AgentState.LOGGED_OUT:
        return False
    if not work.telephony_up:
        return False
    device = work.devices.get(agent.device)
    return device is not None and device.registered


def _open(work: Work, agent_id: AgentId, line: Line | None) -> None:
    if line is not None and line.phase is not LinePhase.DOWN:
        return
    if line is not None and (line.retry_at is None or line.retry_at > work.at):
        return
    agent = work.agents[agent_id]
    channel = ChannelId(f"line-{agent_id}-{int(work.at * 1000)}")
    failures = line.failures if line is not None else 0
    work.lines[agent_id] = Line(
        agent=agent_id,
        channel=channel,
        device=agent.device,
        phase=LinePhase.CALLING,
        since=work.at,
        failures=failures,
    )
    work.set_timer(TimerKind.LINE, agent_id, None)
    work.emit(
        OpenLine(
            channel=channel,
            agent=agent_id,
            device=agent.device,
            ring_timeout=LINE_RING,
            auto_answer=True,
        )
    )


def _close(work: Work, line: Line) -> None:
    if line.phase in (LinePhase.CALLING, LinePhase.UP):
        work.emit(HangUpChannel(channel=line.channel))
        work.lines[line.agent] = replace(line, phase=LinePhase.ENDING, since=work.at)
    elif line.phase is LinePhase.DOWN:
        work.lines.pop(line.agent)  # rule 4: the next ready starts afresh
        work.set_timer(TimerKind.LINE, line.agent, None)


# What Asterisk says of lines --------------------------------------------------------


def on_line_up(work: Work, event: LineUp) -> None:
    line = work.lines.get(event.agent)
    if line is None or line.channel != event.channel or line.phase is not LinePhase.CALLING:
        work.notes.append(Ignored(reason=f"line {event.channel} up: not one being called"))
        return
    work.lines[line.agent] = replace(line, phase=LinePhase.UP, since=work.at)


def carry(work: Work, line: Line) -> None:
    """Rule 2: the line takes a caller (an offer made through it)."""
    work.lines[line.agent] = replace(line, phase=LinePhase.IN_CALL, since=work.at)


def on_hung_up(work: Work, channel: ChannelId) -> bool:
    """True when the channel was a line: ended by the core, or failed (rule 4)."""
    line = line_by_channel(work, channel)
    if line is None:
        return False
    if line.phase is LinePhase.ENDING:
        work.lines.pop(line.agent)
    else:
        _failed(work, line)
    for offer in [o for o in work.offers.values() if o.agent_channel == channel]:
        # Not bridged yet: the dialplan's Bridge finds no line and returns the caller to
        # its place in line; it is offered again after a pause.
        work.end_offer(offer, OfferOutcome.FAILED)
        work.agent_released(offer)
        work.set_timer(TimerKind.RETRY, offer.channel, work.at + LINE_RETRY)
    return True


def on_originate_ended(work: Work, event: OriginateEnded) -> bool:
    line = line_by_channel(work, event.channel)
    if line is None:
        return False
    if not event.answered and line.phase is LinePhase.CALLING:
        _failed(work, line)
    return True


def on_control_failed(work: Work, event: CallControlFailed) -> bool:
    line = line_by_channel(work, event.channel)
    if line is None or line.phase is not LinePhase.CALLING:
        return False
    _failed(work, line)  # the Originate was refused
    return True


def _failed(work: Work, line: Line) -> None:
    failures = line.failures + 1
    retry = Instant(work.at + LINE_RETRY) if failures < LINE_TRIES else None
    work.lines[line.agent] = replace(
        line, phase=LinePhase.DOWN, since=work.at, failures=failures, retry_at=retry
    )
    work.set_timer(TimerKind.LINE, line.agent, retry)
