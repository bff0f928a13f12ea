"""What Asterisk tells the core: callers queueing and hanging up, dials, devices, surveys.

Rule 1: idempotent. A duplicated or stale event (an offer already ended, a channel already
gone) changes nothing and leaves an Ignored note.
Rule 2: an offer is matched by the caller's channel and, once known, the agent's leg; an
event for a leg of an offer that has ended is stale.
Rule 3: the talk ends on the first Hangup of either leg; who released first is the side of
the first HangupRequest, or else of that first Hangup (P2).
Rule 4: a resync keeps callers with an open offer (they are in the connect context, not in
the holding loop) and otherwise makes the waiting list equal Asterisk's snapshot, less
channels known gone; every difference is counted as a correction, and so is every call
re-adopted (cti/domain/adopt.py). A known caller whose entry time moved by less than
ENTRY_TOLERANCE is unchanged: both are Asterisk's CTI_ENTERED, placed on the server's
timeline by two estimates of the clock offset, which differ by the network's delay.
"""

from __future__ import annotations

from cti.domain.agent import Trigger
from cti.domain.call import Talk, started
from cti.domain.config import REASON_UNAVAILABLE
from cti.domain.effects import CallWaiting, Ignored, RecordingStarted, ResyncApplied
from cti.domain.evolve import evolve
from cti.domain.ids import ChannelId, DeviceId
from cti.domain.inputs import (
    CallControlFailed,
    CallerQueued,
    ChannelHungUp,
    DeviceStateChanged,
    DialEnded,
    DialStarted,
    DialStatus,
    HangupRequested,
    LineBridged,
    PhoneRinging,
    Resynced,
    SurveyAnswered,
)
from cti.domain.offer import Offer, OfferTrigger
from cti.domain.queue import WaitingCall
from cti.domain.recording import Recording
from cti.domain.records import AgentState, OfferOutcome, Side, VisitOutcome
from cti.domain.state import TimerKind
from cti.domain.work import Work

RETRY_PAUSE = 1.0  # seconds before a call whose connect failed is offered again
ENTRY_TOLERANCE = 0.5  # seconds: rule 4

DIAL_OUTCOMES = {
    DialStatus.NO_ANSWER: OfferOutcome.NO_ANSWER,
    DialStatus.BUSY: OfferOutcome.BUSY,
    DialStatus.UNAVAILABLE: OfferOutcome.UNAVAILABLE,
}


def ignore(work: Work, reason: str) -> None:
    work.notes.append(Ignored(reason=reason))


def on_caller_queued(work: Work, event: CallerQueued) -> None:
    call = event.entry
    if call.channel in work.gone:
        return ignore(work, f"channel {call.channel} already hung up")
    current = work.waiting.get(call.channel)
    if current is not None and current.queue == call.queue:
        return ignore(work, f"duplicate entry of {call.channel}")
    if current is not None:
        work.leave_queue(current, VisitOutcome.MOVED)
    if call.call not in work.calls:
        work.calls[call.call] = started(call)
    work.callers[call.channel] = call.call
    enqueue(work, call)


def enqueue(work: Work, call: WaitingCall) -> None:
    work.waiting = work.waiting.add(call)
    work.known_queues = work.known_queues | {call.queue}
    schedule_queue_rules(work, call)
    work.emit(CallWaiting(call=call))


def schedule_queue_rules(work: Work, call: WaitingCall) -> None:
    queue = work.config.queue(call.queue)
    start = call.queued_at
    rules = (
        (TimerKind.WIDEN, queue.widen_after),
        (TimerKind.OVERFLOW, queue.overflow_after),
        (TimerKind.MAX_WAIT, queue.max_wait),
    )
    for kind, after in rules:
        work.set_timer(kind, call.channel, None if after is None else start + after)
    # P10: the wait of an urgent caller counts from its first entry, whatever queue it is
    # in now; escalated once (a caller moved after it was is not escalated again).
    outbound = call.channel in work.dials or call.channel in work.adopted
    due = None
    if call.priority > 0 and queue.urgent_wait is not None and not outbound:
        due = call.entered_at + queue.urgent_wait
    work.set_timer(
        TimerKind.URGENT, call.channel, due if due is not None and due > work.at else None
    )


def on_hung_up(work: Work, event: ChannelHungUp) -> None:
    channel = event.channel
    work.remember_gone(channel)
    known = False
    if channel in work.legs:
        by_agent = work.talks[work.legs[channel]]
        work.end_talk(by_agent, "released", by_agent.released_by or Side.AGENT)
        known = True
    by_caller = work.talks.get(channel)
    if by_caller is not None:
        work.end_talk(by_caller, "released", by_caller.released_by or Side.CALLER)
        known = True
    offer = work.offers.get(channel)
    if offer is not None:
        work.end_offer(offer, OfferOutcome.CALLER_HUNG_UP)
        work.agent_released(offer)
    waiting = work.waiting.get(channel)
    if waiting is not None:
        work.leave_queue(waiting, VisitOutcome.ABANDONED)
    if channel in work.callers:
        work.caller_gone(channel)
        known = True
    if not known:
        ignore(work, f"channel {channel} is not a caller or agent leg")


def on_hangup_requested(work: Work, event: HangupRequested) -> None:
    channel = event.channel
    if channel in work.legs:
        caller, side = work.legs[channel], Side.AGENT
    elif channel in work.talks:
        caller, side = channel, Side.CALLER
    else:
        return ignore(work, f"hang-up request on {channel}, which is in no talk")
    talk = work.talks[caller]
    if talk.released_by is None:
        work.talks[caller] = evolve(talk, released_by=side)


def _open_offer(work: Work, channel: ChannelId, agent_channel: ChannelId | None) -> Offer | None:
    """The open offer this dial event is about. A real leg must be the offer's own (its
    DialBegin came first): after a withdrawal the old leg's DialEnd arrives when the next
    offer has no leg yet. No leg (the dialplan's result) matches an offer without one."""
    offer = work.offers.get(channel)
    if offer is None or offer.agent_channel != agent_channel:
        ignore(work, f"no open offer for {channel} to {agent_channel or 'no leg'}")
        return None
    return offer


def on_dial_started(work: Work, event: DialStarted) -> None:
    offer = work.offers.get(event.channel)
    if offer is None or offer.device != event.device or not offer.allows(OfferTrigger.DIAL):
        return ignore(work, f"dial from {event.channel} to {event.device} is not an offer")
    work.offers[event.channel] = offer.fire(OfferTrigger.DIAL, event.at, event.agent_channel)


def on_phone_ringing(work: Work, event: PhoneRinging) -> None:
    offer = _open_offer(work, event.channel, event.agent_channel)
    if offer is None:
        return
    ringing = offer.ringing(event.at, event.agent_channel)
    work.offers[event.channel] = ringing
    work.set_timer(TimerKind.OFFER, event.channel, ringing.deadline)


def on_dial_ended(work: Work, event: DialEnded) -> None:
    offer = _open_offer(work, event.channel, event.agent_channel)
    if offer is None:
        return
    if event.agent is not None and offer.agent != event.agent:
        # The dialplan's result for an earlier offer of this caller, or for one whose
        # DialEnd already said it all.
        return ignore(work, f"dial result for {event.agent}: not the open offer")
    offer = evolve(offer, agent_channel=event.agent_channel)
    match event.status:
        case DialStatus.ANSWER:
            _answered(work, offer)
        case DialStatus.NO_ANSWER | DialStatus.BUSY | DialStatus.UNAVAILABLE:
            record = work.end_offer(offer, DIAL_OUTCOMES[event.status])
            work.agent_missed(offer, record)
        case DialStatus.CANCEL:
            # The caller's side ended the dial: almost always a hang-up, whose Hangup
            # follows within milliseconds; pause the call so it is not offered again first.
            work.end_offer(offer, OfferOutcome.CALLER_HUNG_UP)
            work.agent_released(offer)
            work.set_timer(TimerKind.RETRY, offer.channel, event.at + RETRY_PAUSE)
        case DialStatus.OTHER:
            work.end_offer(offer, OfferOutcome.FAILED)
            work.agent_released(offer)


def on_line_bridged(work: Work, event: LineBridged) -> None:
    """nailed.py rule 2: the caller is bridged to the agent's line: the offer is answered."""
    offer = work.offers.get(event.channel)
    if offer is None or offer.agent != event.agent or offer.agent_channel != event.line:
        return ignore(work, f"{event.channel} bridged to line {event.line}: not the open offer")
    _answered(work, offer)


def _answered(work: Work, offer: Offer) -> None:
    work.end_offer(offer, OfferOutcome.ANSWERED)
    agent = work.agents.get(offer.agent)
    if agent is not None and agent.state is AgentState.OFFERED:
        counted = evolve(agent, misses_in_row=0, answered=agent.answered + 1)
        work.put_agent(agent, counted.fire(Trigger.ANSWER, work.at))
    waiting = work.waiting.get(offer.channel)
    if waiting is not None:
        work.leave_queue(waiting, VisitOutcome.CONNECTED)
    work.update_call(offer.call, lambda p: evolve(p, answered=True, talking=True))
    assert offer.agent_channel is not None
    work.start_talk(
        Talk(
            call=offer.call,
            channel=offer.channel,
            agent=offer.agent,
            agent_channel=offer.agent_channel,
            queue=offer.queue,
            start=work.at,
        )
    )
    recorded(work, offer)


def recorded(work: Work, offer: Offer) -> None:
    """recording.py rule 3: an answered offer of a recorded queue is a recording begun."""
    if offer.recording is None:
        return
    made = Recording(
        file=offer.recording,
        call=offer.call,
        agent=offer.agent,
        queue=offer.queue,
        started_at=work.at,
    )
    work.emit(RecordingStarted(recording=made))


def on_device_state(work: Work, event: DeviceStateChanged) -> None:
    if work.devices.get(event.device) == event.state:
        return ignore(work, f"device {event.device} already {event.state}")
    work.devices[event.device] = event.state
    if not event.state.registered:
        _unreachable(work, event.device)


def _unreachable(work: Work, device: DeviceId) -> None:
    """An agent whose phone is not registered cannot take calls: not ready (unavailable),
    at once when available, and when its call and wrap-up are over otherwise, so a login is
    never left ready on a dead phone (a desktop's softphone closed mid-call, issue 15)."""
    for agent in work.agents.values():
        if agent.device != device or not agent.ready or agent.state is AgentState.LOGGED_OUT:
            continue
        gone = agent.with_status(ready=False, reason=REASON_UNAVAILABLE, by="system")
        work.put_agent(agent, gone.fire(Trigger.NOT_READY, work.at))


def on_survey(work: Work, event: SurveyAnswered) -> None:
    if event.call not in work.calls:
        return ignore(work, f"survey score for call {event.call}, which has ended")
    work.update_call(event.call, lambda p: evolve(p, survey_score=event.score))


def on_control_failed(work: Work, event: CallControlFailed) -> None:
    offer = work.offers.get(event.channel)
    # An offer through a nailed-up line knows its leg from the start (nailed.py rule 2).
    through_line = offer is not None and offer.agent_channel in lines_in(work)
    if offer is None or (offer.agent_channel is not None and not through_line):
        return ignore(work, f"instruction for {event.channel} failed: {event.reason}")
    work.end_offer(offer, OfferOutcome.FAILED)
    work.agent_released(offer)
    work.set_timer(TimerKind.RETRY, event.channel, event.at + RETRY_PAUSE)


def lines_in(work: Work) -> set[ChannelId]:
    return {line.channel for line in work.lines.values()}


def on_resynced(work: Work, event: Resynced, *, adopted: int = 0) -> None:
    seen = {w.channel: w for w in event.waiting if w.channel not in work.gone}
    added = removed = changed = 0
    for current in list(work.waiting):
        if current.channel in seen or current.channel in work.offers:
            continue
        removed += 1
        work.leave_queue(current, VisitOutcome.LOST)
        work.caller_gone(current.channel)
    for call in seen.values():
        known = work.waiting.get(call.channel)
        if known is None:
            added += 1
            if call.call not in work.calls:
                work.calls[call.call] = started(call)
            work.callers[call.channel] = call.call
            enqueue(work, call)
        elif not _same_entry(known, call):
            changed += 1
            work.waiting = work.waiting.add(call)
    for device, state in event.devices:
        work.devices[device] = state
        if not state.registered:
            _unreachable(work, device)  # e.g. an agent taken back at start (C1)
    work.effects.append(
        ResyncApplied(added=added, removed=removed, changed=changed, adopted=adopted)
    )


def _same_entry(known: WaitingCall, found: WaitingCall) -> bool:
    """Rule 4: the same caller, in the same queue, at the same place in line."""
    moved = abs(known.entered_at - found.entered_at)
    return moved < ENTRY_TOLERANCE and known == evolve(found, entered_at=known.entered_at)
