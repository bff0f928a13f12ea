"""Dispatch: match waiting calls with available agents, after every input (C2).

Rule 1: calls are taken in serve order across all queues (priority, then entry time), so
an urgent caller in one queue goes before an earlier normal caller in another (P10).
Rule 2: a call with an open offer, or pausing after a failed connect, is skipped; an agent
is offered at most one call (it leaves AVAILABLE when offered).
Rule 3: an agent is routable only while its phone is registered and idle, as far as
Asterisk's device state says; a phone still busy or ringing is skipped until it is idle.
An agent on a nailed-up line is routable while its line is up and carries no call, and
the offer bridges the caller to it (cti/domain/nailed.py rule 2).
Rule 4: an answered outbound call dialled for a reserved agent (cti/domain/outbound/reservation.py)
goes to that agent first and to nobody else while the agent waits for it.
Rule 5: a caller who asked for a callback keeps its place in line (P9): while the callback
waits in its campaign's buffer, callers behind that place (priority, then entry time) are
not offered to the agents of the callback's queue, so the next such agent to be free is
left to the dialer, which reserves it for the callback. A caller hearing the callback
offer (`away`) is not offered at all.
Rule 6: an agent with an armed offer, in any phase (cti/domain/arming.py), is not offered
here: the arm is disarmed first, and the agent is offered once the disarm is final.
"""

from __future__ import annotations

from typing import Final

from cti.domain.agent import Agent, Trigger
from cti.domain.config import AgentLine, AgentProfile, QueueConfig
from cti.domain.effects import ConnectCall, OfferMade, ReturnToQueue
from cti.domain.evolve import evolve
from cti.domain.ids import ChannelId, QueueId
from cti.domain.inputs import DeviceState
from cti.domain.line import line_of
from cti.domain.nailed import carry, rung_instead, waiting_line
from cti.domain.offer import Offer, make_offer
from cti.domain.outbound.reservation import waiting_agent
from cti.domain.queue import WaitingCall
from cti.domain.routing import pick_agent
from cti.domain.state import TimerKind
from cti.domain.work import Work

IDLE_DEVICE: Final = frozenset({DeviceState.NOT_IN_USE})

Place = tuple[int, float, str]  # a place in line: as WaitingCall.sort_key()


def dispatch(work: Work) -> None:
    if work.dials:
        _reserved(work)
    if not work.available or not work.waiting:  # nobody to match: skip listing the agents
        return
    candidates = _candidates(work)
    if not candidates:
        return
    places = kept_places(work) if work.campaigns else {}
    for call in work.waiting:
        if call.channel in work.offers or (TimerKind.RETRY, call.channel) in work.timers:
            continue
        if call.away or _waited_for(work, call.channel) is not None:
            continue
        queue = work.config.queue(call.queue)
        eligible = _not_behind(candidates, call, places) if places else candidates
        agent = pick_agent(eligible, queue, call, work.at)
        if agent is None:
            continue
        offer(work, call, agent, queue)
        candidates = [(a, p) for a, p in candidates if a.id != agent.id]
        if not candidates:
            return


def _reserved(work: Work) -> None:
    """Rule 4: each held outbound call whose reserved agent waits for it, to that agent."""
    for channel, dial in work.dials.items():
        if not dial.held or channel in work.offers:
            continue
        agent, call = _waited_for(work, channel), work.waiting.get(channel)
        if agent is None or call is None or not reachable(work, agent):
            continue
        offer(work, call, agent, work.config.queue(call.queue))


def kept_places(work: Work) -> dict[QueueId, Place]:
    """Rule 5: per queue, the first place in line kept by a callback waiting to be dialled."""
    places: dict[QueueId, Place] = {}
    for live in work.campaigns.values():
        if not live.running:
            continue
        for contact in live.buffer:
            if contact.place is None:
                continue
            place = (-contact.priority, contact.place, contact.id)
            queue = live.config.queue
            if queue not in places or place < places[queue]:
                places[queue] = place
    return places


def _not_behind(
    candidates: list[tuple[Agent, AgentProfile]], call: WaitingCall, places: dict[QueueId, Place]
) -> list[tuple[Agent, AgentProfile]]:
    """The candidates whose queues hold no kept place ahead of this caller (rule 5)."""
    key = call.sort_key()
    return [
        (agent, profile)
        for agent, profile in candidates
        if not any(places[q] < key for q in profile.queues if q in places)
    ]


def _waited_for(work: Work, channel: ChannelId) -> Agent | None:
    """The agent reserved for this outbound call, while it still waits for it."""
    dial = work.dials.get(channel)
    return None if dial is None else waiting_agent(work, dial)


def _candidates(work: Work) -> list[tuple[Agent, AgentProfile]]:
    found = []
    armed = {arm.agent for arm in work.arms.values()} if work.arms else set()  # rule 6
    for agent_id in sorted(work.available):
        if agent_id in armed:
            continue
        agent = work.agents.get(agent_id)
        profile = work.config.agents.get(agent_id)
        if agent is not None and profile is not None and reachable(work, agent):
            found.append((agent, profile))
    return found


def auto_answer(work: Work, agent: Agent) -> bool:
    profile = work.config.agents.get(agent.id)
    return profile is not None and line_of(profile, work.config) is AgentLine.AUTO_ANSWER


def reachable(work: Work, agent: Agent) -> bool:
    """Rule 3: a phone rung for each call must be idle; an agent on a nailed-up line is
    reached through its line while it waits (cti/domain/nailed.py rule 2)."""
    if not rung_instead(work, agent):
        return waiting_line(work, agent.id) is not None
    device = work.devices.get(agent.device)
    return device is None or device in IDLE_DEVICE


def offer(work: Work, call: WaitingCall, agent: Agent, queue: QueueConfig) -> None:
    made = begin_offer(work, call, agent, queue)
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
            line=made.agent_channel,
            auto_answer=auto_answer(work, agent),
            recording=made.recording,
        )
    )
    work.emit(OfferMade(agent=agent.id, call=call, at=work.at))


def begin_offer(
    work: Work, call: WaitingCall, agent: Agent, queue: QueueConfig, recording: str = ""
) -> Offer:
    """The offer of `call` to `agent` in the state: its timer, the agent offered, the
    call's count (`recording`: a file named already, by an arm)."""
    made = make_offer(call.call, call.channel, queue, agent.id, agent.device, work.at)
    if recording and made.recording is not None:
        made = evolve(made, recording=recording)
    line = waiting_line(work, agent.id)
    if line is not None:
        made = evolve(made, agent_channel=line.channel)  # its leg, known from the start
        carry(work, line)
    work.offers[call.channel] = made
    work.set_timer(TimerKind.OFFER, call.channel, made.deadline)
    busy = evolve(agent, call=call.call, channel=call.channel, queue=call.queue)
    work.put_agent(agent, busy.fire(Trigger.OFFER, work.at))
    work.update_call(call.call, lambda p: evolve(p, offers=p.offers + 1))
    return made
