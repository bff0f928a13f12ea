"""Commands from agents' desktops, supervisors and admins (C4, C7, C8, P3, P5, P8).

Rule 1: a command is checked completely before anything changes; a refused command
raises CommandRefused with the reason the API returns (not_found, conflict, invalid) and
the decision keeps the old state. The only effect a refusal may carry is its audit finding.
Rule 2: one login per agent and one agent per device. A second login is refused, or with
`takeover` ends the first one; either way it is recorded (P3).
Rule 3: only configured not-ready reasons may be chosen (any reason while none are
configured); system reasons (no answer, busy, unavailable) are the core's alone.
Rule 4: ending wrap-up checks the disposition against the queue of the call: required
when the queue says so, and one of its codes when it lists any.
"""

from __future__ import annotations

from dataclasses import replace

from cti.domain import callback
from cti.domain.agent import Agent, IllegalTransition, Trigger, logged_in
from cti.domain.call import Talk
from cti.domain.commands import (
    EndWrapUp,
    HangUp,
    LoadConfig,
    LogIn,
    LogOut,
    RestoreLogins,
    SetNotReady,
    SetReady,
    TransferToExtension,
    TransferToQueue,
    TransferToSurvey,
)
from cti.domain.config import SYSTEM_REASONS
from cti.domain.effects import (
    Effect,
    FindingRaised,
    HangUpChannel,
    Ignored,
    LoginEnded,
    SendCall,
    TargetKind,
)
from cti.domain.ids import AgentId
from cti.domain.records import (
    AgentState,
    Finding,
    LoginEnd,
    LoginSession,
    Presence,
    Rule,
    Side,
)
from cti.domain.telephony import schedule_queue_rules
from cti.domain.work import Work


class CommandRefused(Exception):
    def __init__(self, reason: str, code: str, effects: tuple[Effect, ...] = ()) -> None:
        super().__init__(reason)
        self.reason, self.code, self.effects = reason, code, effects


def agent_of(work: Work, agent: AgentId) -> Agent:
    if agent not in work.config.agents:
        raise CommandRefused(f"unknown agent {agent}", "not_found")
    found = work.agents.get(agent)
    if found is None:
        raise CommandRefused(f"agent {agent} is not logged in", "conflict")
    return found


def _fire(work: Work, agent: Agent, trigger: Trigger) -> Agent:
    try:
        return work.fire(agent, trigger)
    except IllegalTransition as exc:
        raise CommandRefused(str(exc), "conflict") from None


def on_load_config(work: Work, command: LoadConfig) -> None:
    work.config = command.config
    for call in work.waiting:
        schedule_queue_rules(work, call)


def on_restore_logins(work: Work, command: RestoreLogins) -> None:
    """Agents logged in when the server stopped are logged in again with their status
    (C1); one unknown to the configuration, already logged in, or whose device another
    agent holds now, is skipped with a note. Their device states come with the resync."""
    for login in command.logins:
        problem = _cannot_restore(work, login)
        if problem:
            work.notes.append(Ignored(reason=f"login of {login.agent} not restored: {problem}"))
            continue
        assert login.device is not None and login.logged_in_at is not None
        away = Agent(
            id=login.agent,
            device=login.device,
            address=login.address,
            logged_in_at=login.logged_in_at,
            state=AgentState.LOGGED_OUT,
            since=command.at,
        ).with_status(ready=login.ready, reason=login.reason, by=login.reason_by)
        work.put_agent(None, away.fire(Trigger.LOG_IN, command.at))


def _cannot_restore(work: Work, login: Presence) -> str:
    if login.device is None or login.logged_in_at is None:
        return "it is a logout"
    if login.agent not in work.config.agents:
        return "unknown agent"
    if login.agent in work.agents:
        return "already logged in"
    if any(other.device == login.device for other in work.agents.values()):
        return f"device {login.device} is in use"
    return ""


def on_log_in(work: Work, command: LogIn) -> None:
    if command.agent not in work.config.agents:
        raise CommandRefused(f"unknown agent {command.agent}", "not_found")
    state = work.devices.get(command.device)
    if state is None or not state.registered:
        raise CommandRefused(f"device {command.device} is not registered", "conflict")
    for other in work.agents.values():
        if other.device == command.device and other.id != command.agent:
            raise CommandRefused(
                f"device {command.device} is in use by agent {other.id}", "conflict"
            )
    current = work.agents.get(command.agent)
    if current is not None:
        _second_login(work, command, current)
    work.put_agent(None, logged_in(command.agent, command.device, command.address, command.at))


def _second_login(work: Work, command: LogIn, current: Agent) -> None:
    verb = "took over" if command.takeover else "refused"
    finding = Finding(
        rule=Rule.SECOND_LOGIN,
        agent=command.agent,
        at=command.at,
        measured=1.0,
        limit=1.0,
        detail=(
            f"{verb}: login on {command.device} from {command.address} while logged in on "
            f"{current.device} from {current.address}"
        ),
    )
    if not command.takeover:
        raise CommandRefused(
            f"agent {command.agent} is already logged in on {current.device}",
            "conflict",
            (FindingRaised(finding=finding),),
        )
    if current.state not in (AgentState.AVAILABLE, AgentState.NOT_READY):
        raise CommandRefused(
            f"agent {command.agent} cannot be taken over while {current.state}", "conflict"
        )
    work.emit(FindingRaised(finding=finding))
    _end_login(work, current, LoginEnd.TAKEN_OVER, command.by)


def _end_login(work: Work, agent: Agent, how: LoginEnd, by: str) -> None:
    if agent.state is AgentState.WRAP_UP:
        _end_wrap_up(work, agent, "logged out", None)
        agent = work.agents[agent.id]
    try:
        agent.fire(Trigger.LOG_OUT, work.at)
    except IllegalTransition as exc:
        raise CommandRefused(str(exc), "conflict") from None
    work.put_agent(agent, None)
    session = LoginSession(
        agent=agent.id,
        device=agent.device,
        address=agent.address,
        start=agent.logged_in_at,
        end=work.at,
        ended=how,
        by=by,
    )
    work.emit(LoginEnded(session=session))


def on_log_out(work: Work, command: LogOut) -> None:
    agent = agent_of(work, command.agent)
    forced = command.by and not command.by.startswith("agent:")
    how = LoginEnd.FORCED if forced else LoginEnd.LOGGED_OUT
    _end_login(work, agent, how, command.by)


def on_set_ready(work: Work, command: SetReady) -> None:
    agent = agent_of(work, command.agent)
    ready = replace(agent.with_status(ready=True, reason=None, by=command.by), misses_in_row=0)
    _change_status(work, agent, ready, Trigger.READY)


def on_set_not_ready(work: Work, command: SetNotReady) -> None:
    agent = agent_of(work, command.agent)
    reason = command.reason.strip()
    configured = work.config.reasons
    if not reason or reason in SYSTEM_REASONS or (configured and reason not in configured):
        raise CommandRefused(f"not-ready reason {command.reason!r} is not configured", "invalid")
    _change_status(
        work, agent, agent.with_status(ready=False, reason=reason, by=command.by), Trigger.NOT_READY
    )


def _change_status(work: Work, agent: Agent, wanted: Agent, trigger: Trigger) -> None:
    if not agent.allows(trigger):
        raise CommandRefused(
            f"agent {agent.id}: {trigger} not allowed in {agent.state}", "conflict"
        )
    work.put_agent(agent, wanted.fire(trigger, work.at))


def on_end_wrap_up(work: Work, command: EndWrapUp) -> None:
    agent = agent_of(work, command.agent)
    if agent.state is not AgentState.WRAP_UP:
        raise CommandRefused(
            f"agent {agent.id}: end wrap-up not allowed in {agent.state}", "conflict"
        )
    queue = work.config.queue(agent.queue) if agent.queue else None
    disposition = command.disposition
    if queue is not None and queue.disposition_required and not disposition:
        raise CommandRefused(f"queue {queue.id} requires a disposition", "invalid")
    listed = queue.dispositions if queue is not None else ()
    if disposition and listed and disposition not in listed:
        raise CommandRefused(
            f"disposition {disposition!r} is not one of {', '.join(listed)}", "invalid"
        )
    if disposition == callback.COMPLAINT and agent.call is not None and agent.queue:
        callback.follow_up(work, agent.id, agent.call, agent.queue)  # before the call ends
    _end_wrap_up(work, agent, "agent", disposition)


def _end_wrap_up(work: Work, agent: Agent, how: str, disposition: str | None) -> None:
    call, span = agent.call, (agent.since, work.at)
    work.fire(agent, Trigger.END_WRAP_UP)
    if call is not None:
        work.update_call(
            call, lambda p: p.wrap_up_ended(agent.id, agent.queue, span, how, disposition)
        )
        work.finish_if_done(call)


def end_wrap_up_by_limit(work: Work, agent: Agent) -> None:
    """The queue's maximum passed: back to available, and a finding (C4, P6)."""
    queue = work.config.queue(agent.queue) if agent.queue else None
    limit = queue.max_wrap_up if queue else 0.0
    if limit > 0:  # a queue with no wrap-up time ends it at once; that is no overrun
        work.finding(Rule.WRAP_UP_OVERRUN, agent.id, work.at - agent.since, limit, agent.call)
    _end_wrap_up(work, agent, "limit", None)


def talk_of(work: Work, agent_id: AgentId) -> Talk:
    agent = agent_of(work, agent_id)
    talk = work.talks.get(agent.channel) if agent.channel else None
    if agent.state is not AgentState.ON_CALL or talk is None or talk.agent != agent.id:
        raise CommandRefused(f"agent {agent_id} is not on a call", "conflict")
    if talk.on_hold:
        raise CommandRefused(
            f"agent {agent_id} is consulting: complete or cancel the consultation first",
            "conflict",
        )
    return talk


def on_transfer_to_queue(work: Work, command: TransferToQueue) -> None:
    talk = talk_of(work, command.agent)
    if command.queue not in work.config.queues:
        raise CommandRefused(f"unknown queue {command.queue}", "not_found")
    work.emit(SendCall(channel=talk.channel, kind=TargetKind.QUEUE, target=command.queue))
    work.end_talk(talk, "transferred", None)


def on_transfer_to_extension(work: Work, command: TransferToExtension) -> None:
    talk = talk_of(work, command.agent)
    extension = command.extension.strip()
    if not extension or not extension.replace("-", "").replace("_", "").isalnum():
        raise CommandRefused(f"extension {command.extension!r} is not a dialable name", "invalid")
    work.emit(SendCall(channel=talk.channel, kind=TargetKind.EXTENSION, target=extension))
    work.end_talk(talk, "transferred", None)
    onward = Talk(
        call=talk.call,
        channel=talk.channel,
        agent=None,
        agent_channel=None,
        queue=None,
        start=work.at,
        extension=extension,
    )
    work.talks[talk.channel] = onward
    work.update_call(talk.call, lambda p: replace(p, talking=True))


def on_transfer_to_survey(work: Work, command: TransferToSurvey) -> None:
    talk = talk_of(work, command.agent)
    work.emit(SendCall(channel=talk.channel, kind=TargetKind.SURVEY, target=""))
    work.end_talk(talk, "survey", Side.AGENT)


def on_hang_up(work: Work, command: HangUp) -> None:
    talk = talk_of(work, command.agent)
    assert talk.agent_channel is not None
    work.talks[talk.channel] = replace(talk, released_by=talk.released_by or Side.AGENT)
    line = work.lines.get(command.agent)
    # A nailed-up line outlives its calls (nailed.py rule 2): the caller's side is ended.
    on_line = line is not None and line.channel == talk.agent_channel
    work.emit(HangUpChannel(channel=talk.channel if on_line else talk.agent_channel))
