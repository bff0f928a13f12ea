"""Deadlines: what happens when a timer in the state comes due (a Tick).

Rule 1: due timers are handled in time order (ties by key), each once; a timer is removed
or moved when handled, so a repeated Tick changes nothing.
Rule 2: an offer past its deadline is withdrawn: not answered within N rings once the
phone rang (C3), unreachable when it never rang. The caller keeps its place in line.
Rule 3: overflow and max-wait wait for an open offer to end: they are moved to the
offer's deadline rather than pulling the caller away from a ringing phone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import assert_never

from cti.domain import arming
from cti.domain.breaks import BreakPhase
from cti.domain.config import MaxWaitAction
from cti.domain.consult import consult_due
from cti.domain.desk import end_wrap_up_by_limit
from cti.domain.effects import MoveCall, SendCall, TargetKind
from cti.domain.ids import AgentId, ChannelId, QueueId
from cti.domain.outbound import dialing
from cti.domain.records import NO_AGENT, AgentState, Rule, VisitOutcome
from cti.domain.state import TimerKey, TimerKind
from cti.domain.telephony import enqueue
from cti.domain.work import Work


def on_tick(work: Work) -> None:
    due = sorted((when, key) for key, when in work.timers.items() if when <= work.at)
    for when, key in due:
        if work.timers.get(key) == when:
            _fire(work, key)


def _fire(work: Work, key: TimerKey) -> None:
    kind, name = key
    match kind:
        case TimerKind.OFFER:
            _offer_due(work, ChannelId(name))
        case TimerKind.WRAP_UP:
            agent = work.agents.get(AgentId(name))
            work.set_timer(kind, name, None)
            if agent is not None and agent.state is AgentState.WRAP_UP:
                end_wrap_up_by_limit(work, agent)
        case TimerKind.NOT_READY:
            _not_ready_due(work, AgentId(name))
        case TimerKind.WIDEN | TimerKind.RETRY:
            work.set_timer(kind, name, None)  # routing reads the wait itself
        case TimerKind.OVERFLOW:
            _overflow_due(work, ChannelId(name))
        case TimerKind.MAX_WAIT:
            _max_wait_due(work, ChannelId(name))
        case TimerKind.CONSULT:
            consult_due(work, ChannelId(name))
        case TimerKind.HOLD:
            dialing.hold_due(work, ChannelId(name))
        case TimerKind.DIAL:
            dialing.dial_due(work, ChannelId(name))
        case TimerKind.PACE | TimerKind.LINE:
            work.set_timer(kind, name, None)  # the pacer and the lines run after every input
        case TimerKind.BREAK:
            _break_due(work, AgentId(name))
        case TimerKind.URGENT:
            _urgent_due(work, ChannelId(name))
        case TimerKind.ARM:
            arming.on_retry_due(work, name)
        case _:
            assert_never(kind)


def _offer_due(work: Work, channel: ChannelId) -> None:
    offer = work.offers.get(channel)
    if offer is None:
        work.set_timer(TimerKind.OFFER, channel, None)
        return
    work.withdraw(offer, offer.deadline_outcome)


def _not_ready_due(work: Work, agent_id: AgentId) -> None:
    work.set_timer(TimerKind.NOT_READY, agent_id, None)
    agent = work.agents.get(agent_id)
    if agent is None or agent.state is not AgentState.NOT_READY or not agent.reason:
        return
    reason = work.config.reasons.get(agent.reason)
    limit = reason.max_seconds if reason and reason.max_seconds is not None else 0.0
    detail = agent.reason
    approved = work.breaks.get(agent_id)
    if approved is not None and approved.covers(agent):  # breaks.py rule 4
        limit, detail = approved.seconds, f"{agent.reason}, approved by {approved.decided_by}"
    work.finding(Rule.NOT_READY_OVERRUN, agent_id, work.at - agent.since, limit, detail=detail)


def _urgent_due(work: Work, channel: ChannelId) -> None:
    """P10: an urgent caller still waiting at the queue's urgent_wait is escalated."""
    work.set_timer(TimerKind.URGENT, channel, None)
    call = work.waiting.get(channel)
    if call is None:
        return
    limit = work.config.queue(call.queue).urgent_wait or 0.0
    work.finding(  # the number stays out of the text: a wall display shows alerts (P22)
        Rule.URGENT_WAIT,
        NO_AGENT,
        work.at - call.entered_at,
        limit,
        call=call.call,
        detail=f"an urgent caller (priority {call.priority}) waiting in {call.queue}",
    )


def _break_due(work: Work, agent_id: AgentId) -> None:
    """breaks.py rule 3: an approval whose spell did not start in time ends."""
    work.set_timer(TimerKind.BREAK, agent_id, None)
    request = work.breaks.get(agent_id)
    if request is not None and request.phase is BreakPhase.APPROVED and not request.used:
        work.end_break(request, "not used in time")


def _postponed(work: Work, kind: TimerKind, channel: ChannelId) -> bool:
    offer = work.offers.get(channel)
    if offer is None:
        return False
    work.set_timer(kind, channel, offer.deadline)
    return True


def _overflow_due(work: Work, channel: ChannelId) -> None:
    call = work.waiting.get(channel)
    if call is None or _postponed(work, TimerKind.OVERFLOW, channel):
        work.set_timer(TimerKind.OVERFLOW, channel, None) if call is None else None
        return
    target = work.config.queue(call.queue).overflow_queue
    work.set_timer(TimerKind.OVERFLOW, channel, None)
    if target is None:
        return
    work.leave_queue(call, VisitOutcome.MOVED)
    work.emit(MoveCall(channel=channel, queue=QueueId(target)))
    enqueue(work, replace(call, queue=QueueId(target), since=work.at))


def _max_wait_due(work: Work, channel: ChannelId) -> None:
    call = work.waiting.get(channel)
    if call is None or _postponed(work, TimerKind.MAX_WAIT, channel):
        work.set_timer(TimerKind.MAX_WAIT, channel, None) if call is None else None
        return
    work.set_timer(TimerKind.MAX_WAIT, channel, None)
    action = work.config.queue(call.queue).max_wait_action
    match action:
        case MaxWaitAction.NONE:
            return
        case MaxWaitAction.VOICEMAIL:
            work.leave_queue(call, VisitOutcome.REDIRECTED)
            kind = TargetKind.VOICEMAIL
        case MaxWaitAction.CALLBACK:
            # cti/domain/callback.py rule 1: still in line while hearing the offer.
            work.waiting = work.waiting.add(replace(call, away=True))
            kind = TargetKind.CALLBACK
        case _:
            assert_never(action)
    work.emit(SendCall(channel=channel, kind=kind, target=call.queue))
