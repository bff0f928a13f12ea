"""Dispatch: match waiting calls with available agents, after every input (C2).

Rule 1: calls are taken in serve order across all queues (priority, then entry time), so
an urgent caller in one queue goes before an earlier normal caller in another (P10).
Rule 2: a call with an open offer, or pausing after a failed connect, is skipped; an agent
is offered at most one call (it leaves AVAILABLE when offered).
Rule 3: an agent is routable only while its phone is registered and idle, as far as
Asterisk's device state says; a phone still busy or ringing is skipped until it is idle.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from cti.domain.agent import Agent, Trigger
from cti.domain.config import AgentProfile, QueueConfig
from cti.domain.effects import ConnectCall, OfferMade, ReturnToQueue
from cti.domain.inputs import DeviceState
from cti.domain.offer import make_offer
from cti.domain.queue import WaitingCall
from cti.domain.routing import pick_agent
from cti.domain.state import TimerKind
from cti.domain.work import Work

IDLE_DEVICE: Final = frozenset({DeviceState.NOT_IN_USE})


def dispatch(work: Work) -> None:
    if not work.available:
        return
    candidates = _candidates(work)
    if not candidates:
        return
    for call in work.waiting:
        if call.channel in work.offers or (TimerKind.RETRY, call.channel) in work.timers:
            continue
        queue = work.config.queue(call.queue)
        agent = pick_agent(candidates, queue, call, work.at)
        if agent is None:
            continue
        offer(work, call, agent, queue)
        candidates = [(a, p) for a, p in candidates if a.id != agent.id]
        if not candidates:
            return


def _candidates(work: Work) -> list[tuple[Agent, AgentProfile]]:
    found = []
    for agent_id in sorted(work.available):
        agent = work.agents.get(agent_id)
        profile = work.config.agents.get(agent_id)
        if agent is None or profile is None:
            continue
        device = work.devices.get(agent.device)
        if device is None or device in IDLE_DEVICE:
            found.append((agent, profile))
    return found


def offer(work: Work, call: WaitingCall, agent: Agent, queue: QueueConfig) -> None:
    made = make_offer(call.call, call.channel, queue, agent.id, agent.device, work.at)
    work.offers[call.channel] = made
    work.set_timer(TimerKind.OFFER, call.channel, made.deadline)
    busy = replace(agent, call=call.call, channel=call.channel, queue=call.queue)
    work.put_agent(agent, busy.fire(Trigger.OFFER, work.at))
    work.update_call(call.call, lambda p: replace(p, offers=p.offers + 1))
    # Going straight to the next agent: the redirect to connect replaces the one to hold.
    work.effects = [
        e for e in work.effects if not (isinstance(e, ReturnToQueue) and e.channel == call.channel)
    ]
    work.emit(
        ConnectCall(
            call=call.call,
            channel=call.channel,
            queue=call.queue,
            agent=agent.id,
            device=agent.device,
            ring_guard=made.ring_guard,
        )
    )
    work.emit(OfferMade(agent=agent.id, call=call, at=work.at))
