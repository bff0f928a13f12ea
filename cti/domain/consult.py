"""Attended transfer to an agent (P8): consult, then complete or take the caller back.

Rule 1: only an agent talking to a caller may consult, only an available agent whose
phone is idle may be consulted, and one consultation per call at a time. The caller holds
(cti-hold) while the consulting agent's own leg dials the consulted agent.
Rule 2: the consultation's ring is an offer like any other: recorded with its rings and
outcome, withdrawn at the queue's ring limit (C3), a miss counted against the agent who
did not answer it.
Rule 3: the transfer completes only on the consulting agent's word, once the consulted
agent has answered: the caller is bridged to the consulted agent's leg and the
consulting agent goes to wrap-up; the record gets a hold segment for the consultation and
a talk segment for each agent (rule 4 of cti/domain/call.py).
Rule 4: every other end takes the caller back to the consulting agent: the consulted agent
did not answer, was busy or unreachable, hung up, or the consulting agent cancelled. If
the consulting agent's own phone hangs up, no one is left to take the caller back: it
waits in its queue again. If the caller hangs up, the consultation is ended at once.
Rule 5: a consultation is matched by the caller's channel, the consulting agent's leg (its
dial events) and, once answered, the consulted agent's leg.
"""

from __future__ import annotations

from dataclasses import replace

from cti.domain import desk
from cti.domain.agent import Trigger
from cti.domain.call import Consult, ConsultTrigger, Talk
from cti.domain.commands import CancelConsult, CompleteTransfer, ConsultAgent
from cti.domain.dispatch import IDLE_DEVICE
from cti.domain.effects import (
    BridgeCall,
    HangUpChannel,
    Ignored,
    OfferEnded,
    OfferMade,
    SendCall,
    StartConsult,
    TargetKind,
)
from cti.domain.ids import ChannelId, QueueId
from cti.domain.inputs import (
    CallControlFailed,
    ChannelHungUp,
    DialEnded,
    DialStarted,
    DialStatus,
    PhoneRinging,
)
from cti.domain.offer import OfferPhase, OfferTrigger, make_offer
from cti.domain.queue import WaitingCall
from cti.domain.records import AgentState, OfferOutcome, OfferRecord
from cti.domain.state import TimerKind
from cti.domain.telephony import DIAL_OUTCOMES, recorded
from cti.domain.work import Work

# Commands ------------------------------------------------------------------------------


def on_consult(work: Work, command: ConsultAgent) -> None:
    talk = desk.talk_of(work, command.agent)
    if command.target == command.agent:
        raise desk.CommandRefused(f"agent {command.agent} cannot consult itself", "invalid")
    target = desk.agent_of(work, command.target)
    if target.state is not AgentState.AVAILABLE:
        raise desk.CommandRefused(f"agent {target.id} is not available", "conflict")
    device = work.devices.get(target.device)
    if device is not None and device not in IDLE_DEVICE:
        raise desk.CommandRefused(f"the phone of agent {target.id} is {device}", "conflict")
    assert talk.agent_channel is not None and talk.queue is not None  # an agent's talk
    offer = make_offer(
        talk.call, talk.channel, work.config.queue(talk.queue), target.id, target.device, work.at
    )
    work.consults[talk.channel] = Consult(
        offer=offer, agent=command.agent, agent_channel=talk.agent_channel
    )
    work.set_timer(TimerKind.CONSULT, talk.channel, offer.deadline)
    busy = replace(target, call=talk.call, channel=talk.channel, queue=talk.queue)
    work.put_agent(target, busy.fire(Trigger.OFFER, work.at))
    held = work.at
    work.update_call(
        talk.call, lambda p: replace(p.segment_closed(talk, held, "consult"), offers=p.offers + 1)
    )
    work.talks[talk.channel] = replace(talk, start=work.at, on_hold=True)
    work.emit(
        StartConsult(
            channel=talk.channel,
            agent_channel=talk.agent_channel,
            agent=target.id,
            device=target.device,
            ring_guard=offer.ring_guard,
            recording=offer.recording,
        )
    )
    work.emit(OfferMade(agent=target.id, call=_screen(work, talk, talk.queue), at=work.at))


def on_complete(work: Work, command: CompleteTransfer) -> None:
    talk, consult = _consulting(work, command)
    leg = consult.offer.agent_channel
    if not consult.talking or leg is None:
        raise desk.CommandRefused(
            f"agent {consult.offer.agent} has not answered the consultation", "conflict"
        )
    _close(work, consult)
    work.emit(BridgeCall(channel=talk.channel, to=leg, consulting=consult.agent_channel))
    work.end_talk(talk, "transferred", None)
    work.talks[talk.channel] = Talk(
        call=talk.call,
        channel=talk.channel,
        agent=consult.offer.agent,
        agent_channel=leg,
        queue=talk.queue,
        start=work.at,
    )
    work.legs[leg] = talk.channel
    work.update_call(talk.call, lambda p: replace(p, talking=True))


def on_cancel(work: Work, command: CancelConsult) -> None:
    talk, consult = _consulting(work, command)
    if consult.talking:
        _release_consulted(work, consult)
    else:
        _ring_ended(work, consult, OfferOutcome.CANCELLED)
        work.agent_released(consult.offer)
    _take_back(work, consult, talk, "consult cancelled")


def _consulting(work: Work, command: CompleteTransfer | CancelConsult) -> tuple[Talk, Consult]:
    agent = desk.agent_of(work, command.agent)
    talk = work.talks.get(agent.channel) if agent.channel else None
    consult = work.consults.get(talk.channel) if talk else None
    if talk is None or consult is None or consult.agent != agent.id:
        raise desk.CommandRefused(f"agent {agent.id} is not consulting", "conflict")
    return talk, consult


def _screen(work: Work, talk: Talk, queue: QueueId) -> WaitingCall:
    """What the consulted agent's screen pops: the caller, as it entered."""
    progress = work.calls.get(talk.call)
    return WaitingCall(
        call=talk.call,
        channel=talk.channel,
        queue=queue,
        priority=0,
        caller=progress.caller if progress else "",
        entered_at=progress.entered_at if progress else talk.start,
    )


# Telephony -----------------------------------------------------------------------------


def by_consulting_leg(work: Work, leg: ChannelId) -> Consult | None:
    caller = work.legs.get(leg)
    consult = work.consults.get(caller) if caller is not None else None
    return consult if consult is not None and consult.agent_channel == leg else None


def _by_consulted_leg(work: Work, leg: ChannelId) -> Consult | None:
    # Consultations are few (one per talking agent at most), so a scan is cheap.
    for consult in work.consults.values():
        if consult.offer.agent_channel == leg:
            return consult
    return None


def on_dial_started(work: Work, event: DialStarted) -> bool:
    consult = by_consulting_leg(work, event.channel)
    if consult is None:
        return False
    offer = consult.offer
    if consult.talking or not offer.allows(OfferTrigger.DIAL) or offer.device != event.device:
        _ignore(work, f"dial from {event.channel} to {event.device} is not the consultation")
        return True
    work.consults[offer.channel] = replace(
        consult, offer=offer.fire(OfferTrigger.DIAL, event.at, event.agent_channel)
    )
    return True


def on_phone_ringing(work: Work, event: PhoneRinging) -> bool:
    consult = by_consulting_leg(work, event.channel)
    if consult is None:
        return False
    offer = consult.offer
    if consult.talking or offer.agent_channel != event.agent_channel:
        _ignore(work, f"ringing of {event.agent_channel} is not the consultation's")
        return True
    ringing = offer.ringing(event.at, event.agent_channel)
    work.consults[offer.channel] = replace(consult, offer=ringing)
    work.set_timer(TimerKind.CONSULT, offer.channel, ringing.deadline)
    return True


def on_dial_ended(work: Work, event: DialEnded) -> bool:
    consult = by_consulting_leg(work, event.channel)
    if consult is None:
        return False
    offer = consult.offer
    stale = consult.talking or offer.agent_channel != event.agent_channel
    if stale or (event.agent is not None and event.agent != offer.agent):
        _ignore(work, f"dial result on {event.channel}: not the open consultation")
        return True
    talk = work.talks[offer.channel]
    match event.status:
        case DialStatus.ANSWER:
            _answered(work, consult)
        case DialStatus.NO_ANSWER | DialStatus.BUSY | DialStatus.UNAVAILABLE:
            outcome = DIAL_OUTCOMES[event.status]
            work.agent_missed(offer, _ring_ended(work, consult, outcome))
            _take_back(work, consult, talk, f"consult {outcome}")
        case DialStatus.CANCEL:
            # The consulting leg left the dial: its hang-up (or the server's own take-back,
            # which closed the consultation already) says what happens.
            _ignore(work, f"consultation dial from {event.channel} cancelled")
        case DialStatus.OTHER:
            _ring_ended(work, consult, OfferOutcome.FAILED)
            work.agent_released(offer)
            _take_back(work, consult, talk, "consult failed")
    return True


def _answered(work: Work, consult: Consult) -> None:
    _ring_ended(work, consult, OfferOutcome.ANSWERED)
    work.set_timer(TimerKind.CONSULT, consult.offer.channel, None)
    target = work.agents.get(consult.offer.agent)
    if target is not None and target.state is AgentState.OFFERED:
        work.put_agent(target, replace(target, misses_in_row=0).fire(Trigger.ANSWER, work.at))
    work.consults[consult.offer.channel] = consult.fire(ConsultTrigger.ANSWER)
    recorded(work, consult.offer)


def on_hung_up(work: Work, event: ChannelHungUp) -> bool:
    """True if the channel was a consultation's agent leg and all is done. The caller's
    hang-up ends its consultation first, then goes on as any caller's (False)."""
    channel = event.channel
    held = work.consults.get(channel)
    if held is not None:
        _caller_gone(work, held)
        return False
    consulting = by_consulting_leg(work, channel)
    if consulting is not None:
        work.remember_gone(channel)
        _consulting_gone(work, consulting)
        return True
    consulted = _by_consulted_leg(work, channel)
    if consulted is None:
        return False
    work.remember_gone(channel)
    if consulted.talking:
        _release_consulted(work, consulted)
        talk = work.talks[consulted.offer.channel]
        _take_back(work, consulted, talk, "consult ended")
    # Before an answer, the dial's own end (DialEnd) says what happened.
    return True


def _caller_gone(work: Work, consult: Consult) -> None:
    if consult.talking:
        _release_consulted(work, consult)
    else:
        _ring_ended(work, consult, OfferOutcome.CALLER_HUNG_UP)
        work.agent_released(consult.offer)
    _close(work, consult)
    work.emit(HangUpChannel(channel=consult.agent_channel))


def _consulting_gone(work: Work, consult: Consult) -> None:
    if consult.talking:
        _release_consulted(work, consult)
    else:
        _ring_ended(work, consult, OfferOutcome.CANCELLED)
        work.agent_released(consult.offer)
    _close(work, consult)
    talk = work.talks[consult.offer.channel]
    work.end_talk(talk, "agent hung up", None)
    if talk.queue is not None:
        work.emit(SendCall(channel=talk.channel, kind=TargetKind.QUEUE, target=talk.queue))


def hangup_requested(work: Work, channel: ChannelId) -> bool:
    """The consulting agent's phone asking to hang up is not a release of the caller."""
    if by_consulting_leg(work, channel) is None:
        return False
    _ignore(work, f"hang-up request on {channel} while it consults")
    return True


def on_control_failed(work: Work, event: CallControlFailed) -> bool:
    """StartConsult failed: the caller and the consulting agent were never parted."""
    consult = work.consults.get(event.channel)
    if consult is None or consult.talking or consult.offer.phase is not OfferPhase.SENT:
        return False
    _ring_ended(work, consult, OfferOutcome.FAILED)
    work.agent_released(consult.offer)
    _close(work, consult)
    talk = work.talks[event.channel]
    work.update_call(talk.call, lambda p: p.segment_closed(talk, work.at, "consult failed"))
    work.talks[event.channel] = replace(talk, start=work.at, on_hold=False)
    return True


def consult_due(work: Work, caller: ChannelId) -> None:
    """The consultation's ring limit passed (C3): withdrawn, a miss, the caller taken back."""
    consult = work.consults.get(caller)
    work.set_timer(TimerKind.CONSULT, caller, None)
    if consult is None or consult.talking:
        return
    outcome = consult.offer.deadline_outcome
    work.agent_missed(consult.offer, _ring_ended(work, consult, outcome))
    _take_back(work, consult, work.talks[caller], f"consult {outcome}")


# Shared ends ----------------------------------------------------------------------------


def _ring_ended(work: Work, consult: Consult, outcome: OfferOutcome) -> OfferRecord:
    record = consult.offer.ended(work.at, outcome)
    work.emit(OfferEnded(offer=record))
    return record


def _release_consulted(work: Work, consult: Consult) -> None:
    """The consulted agent talked to the consulting one only: no wrap-up, no miss."""
    target = work.agents.get(consult.offer.agent)
    if target is None or target.call != consult.offer.call:
        return
    if target.state is AgentState.ON_CALL:
        work.fire(target, Trigger.CANCEL)


def _take_back(work: Work, consult: Consult, talk: Talk, outcome: str) -> None:
    """The caller is bridged back to the consulting agent; the hold segment closes."""
    _close(work, consult)
    work.emit(
        BridgeCall(channel=talk.channel, to=consult.agent_channel, consulting=consult.agent_channel)
    )
    work.update_call(talk.call, lambda p: p.segment_closed(talk, work.at, outcome))
    work.talks[talk.channel] = replace(talk, start=work.at, on_hold=False)


def _close(work: Work, consult: Consult) -> None:
    work.consults.pop(consult.offer.channel)
    work.set_timer(TimerKind.CONSULT, consult.offer.channel, None)


def _ignore(work: Work, reason: str) -> None:
    work.notes.append(Ignored(reason=reason))
