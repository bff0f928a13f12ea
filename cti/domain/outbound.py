"""Outbound dialling in the core (issue 4, C5): campaigns paced, dials placed and ended.

Rule 1 (pacing): after every input, each running campaign that has claimed contacts is
paced (cti/domain/pacing.py) from the live picture of its queue's agents, and only while
the AMI link is up: TelephonyLost stops dialling at once, the next resync allows it again.
Predictive campaigns are looked at again every PACE_EVERY seconds, as forecasts move.
Rule 2 (reservation): a dial the pacer makes as progressive (or an agent's preview dial)
reserves its agent (RESERVED); the answered call is offered to that agent first and to
nobody else while the agent waits for it. A reservation ends with the offer, or with the
dial (RELEASE). Predictive dials reserve nobody: dispatch serves them, ahead of inbound
callers (OUTBOUND_PRIORITY), through the same connect path.
Rule 3 (the law): an answered call (one that entered the campaign's queue) waits at most
the campaign's hold (2 s) for an agent to answer; then the caller hears the information
message (cti-abandon) and the attempt is ABANDONED. A person who hangs up during the hold
counts as abandoned too: the careful reading, as the dialer did not connect them in time.
Both go into the campaign's abandon window at once, as does a connected call.
Rule 4 (results): an attempt is recorded when its channel is gone (AttemptEnded, with the
contact as it is after it): connected, abandoned or machine as settled on the way; else
no answer when Asterisk said the ring timeout passed, else from the hang-up cause. A dial
whose OriginateResponse said failure and whose Hang-up never comes (no channel was made)
fails after REPORT_GRACE; one with no news at all fails DIAL_GRACE past its ring timeout.
An Originate that could not be sent fails the attempt too (it may have been placed: never
dial a contact twice on a guess).
Rule 5 (contacts): each contact is checked again just before its dial (calling window in
its own time zone, abandon quiet period, due time); one that may not be dialled now goes
back to the shell (ContactsReturned), as does the buffer of a halted campaign. A halted
campaign's calls in flight end normally; the campaign leaves the core when none is left.
Rule 6 (callbacks, P9): a contact promised by one agent is dialled only with that agent
reserved, in any mode, and waits in the buffer while the agent is not free; the contacts
behind it are dialled meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Final, TypeVar

from cti.domain.agent import Agent, Trigger
from cti.domain.attempt import AttemptId, DialAttempt, unanswered_result
from cti.domain.campaign import AttemptResult, CampaignConfig, CampaignId
from cti.domain.commands import (
    BlockNumbers,
    FeedContacts,
    HaltCampaign,
    PreviewDial,
    PreviewNext,
    PreviewSkip,
    RunCampaign,
)
from cti.domain.contact import Blocked, Contact, ContactStatus, after_attempt, dial_check
from cti.domain.desk import CommandRefused, agent_of
from cti.domain.dial import Dial, LiveCampaign
from cti.domain.dispatch import IDLE_DEVICE
from cti.domain.effects import (
    AttemptEnded,
    ContactsReturned,
    Ignored,
    OriginateCall,
    SendCall,
    StateIntervalEnded,
    TargetKind,
)
from cti.domain.ids import AgentId, CallId, ChannelId, Instant
from cti.domain.inputs import ChannelHungUp, MachineAnswered, OriginateEnded
from cti.domain.pacing import Busy, DialMode, Outcome, Phase, Ringing, Snapshot, pace
from cti.domain.records import AgentState, OfferOutcome, VisitOutcome
from cti.domain.state import TimerKind
from cti.domain.work import Work

OUTBOUND_PRIORITY: Final = 1000  # answered outbound calls go before inbound callers
PACE_EVERY: Final = 1.0  # seconds between a predictive campaign's looks without news
REPORT_GRACE: Final = 2.0  # seconds a failed dial waits for its hang-up cause
DIAL_GRACE: Final = 30.0  # seconds past the ring timeout a dial may stay without news
NO_ANSWER_REASON: Final = 3  # OriginateResponse Reason: the ring timeout passed

K = TypeVar("K")
V = TypeVar("V")


# Campaigns --------------------------------------------------------------------------


def on_run(work: Work, command: RunCampaign) -> None:
    config = command.config
    live = work.campaigns.get(config.id)
    if live is None:
        live = LiveCampaign(config=config, window=command.window.at(command.at))
    else:
        live = replace(live, config=config, running=True)
    work.campaigns[config.id] = live


def on_halt(work: Work, command: HaltCampaign) -> None:
    live = work.campaigns.get(command.campaign)
    if live is None:
        work.notes.append(Ignored(reason=f"campaign {command.campaign} is not dialled"))
        return
    for agent_id in list(live.previews):
        _release(work, agent_id, None)
    held = (*live.buffer, *live.previews.values())
    if held:
        work.emit(ContactsReturned(campaign=live.id, contacts=held, why="campaign halted"))
    work.campaigns[live.id] = replace(live, running=False, buffer=(), previews=_frozen({}))
    work.set_timer(TimerKind.PACE, live.id, None)
    _forget_if_idle(work, live.id)


def on_feed(work: Work, command: FeedContacts) -> None:
    live = work.campaigns.get(command.campaign)
    if live is None or not live.running:
        why = "campaign not running"
        work.emit(ContactsReturned(campaign=command.campaign, contacts=command.contacts, why=why))
        return
    known = {c.id for c in live.buffer} | {c.id for c in live.previews.values()}
    known |= {d.contact.id for d in work.dials.values() if d.campaign == live.id}
    fresh = tuple(c for c in command.contacts if c.id not in known)
    work.campaigns[live.id] = replace(live, buffer=live.buffer + fresh)


def on_block(work: Work, command: BlockNumbers) -> None:
    for live in list(work.campaigns.values()):
        for agent_id, contact in list(live.previews.items()):
            if contact.number in command.numbers:  # the agent is told by its view
                live = replace(live, previews=_without(live.previews, agent_id))
                work.campaigns[live.id] = live
                _release(work, agent_id, None)
                returned = (contact,)
                work.emit(ContactsReturned(campaign=live.id, contacts=returned, why="do not call"))
        blocked = tuple(c for c in live.buffer if c.number in command.numbers)
        if blocked:
            kept = tuple(c for c in live.buffer if c.number not in command.numbers)
            work.campaigns[live.id] = replace(live, buffer=kept)
            work.emit(ContactsReturned(campaign=live.id, contacts=blocked, why="do not call"))


def _forget_if_idle(work: Work, campaign: CampaignId) -> None:
    live = work.campaigns.get(campaign)
    if live is None or live.running:
        return
    if not any(d.campaign == campaign for d in work.dials.values()):
        work.campaigns.pop(campaign)


# Pacing (rules 1, 2, 5) ----------------------------------------------------------------


def pace_all(work: Work, *, tick: bool) -> None:
    """Rule 1. Only a tick, or a change to what pacing reads (agents, phones, dials,
    campaigns, configuration, the link), can change the pacer's answer: other inputs,
    most of a call's AMI events, cost nothing here."""
    if not work.telephony_up or not work.campaigns:
        return
    if not (tick or _pacing_inputs_changed(work)):
        return
    for campaign in sorted(work.campaigns):
        live = work.campaigns[campaign]
        if live.running and live.buffer and live.config.mode is not DialMode.PREVIEW:
            _pace(work, live)


def _pacing_inputs_changed(work: Work) -> bool:
    base = work.base
    return (
        not base.telephony_up
        or work.config is not base.config
        or work.agents.result() is not base.agents
        or work.devices.result() is not base.devices
        or work.dials.result() is not base.dials
        or work.campaigns.result() is not base.campaigns
    )


def _pace(work: Work, live: LiveCampaign) -> None:
    members = _members(work, live.config)
    free = _free(work, members)
    snapshot = _snapshot(work, live, members, len(free))
    window = live.window.at(work.at)
    decided = pace(snapshot, config=live.config.pacing, stats=live.stats, window=window)
    work.campaigns[live.id] = replace(live, window=window, last=decided)
    reserve = decided.mode is not DialMode.PREDICTIVE
    for _ in range(decided.dials):
        if reserve and not free:
            break
        picked = _next_contact(work, live.id, free, reserve=reserve)
        if picked is None:
            break
        contact, agent = picked
        _dial(work, live.config, contact, decided.mode, agent)
    again = live.config.mode is DialMode.PREDICTIVE and work.campaigns[live.id].buffer
    work.set_timer(TimerKind.PACE, live.id, work.at + PACE_EVERY if again else None)


def _members(work: Work, config: CampaignConfig) -> list[Agent]:
    found = []
    for agent in work.agents.values():
        profile = work.config.agents.get(agent.id)
        if profile is not None and config.queue in profile.queues:
            found.append(agent)
    return found


def _free(work: Work, members: list[Agent]) -> list[Agent]:
    """Available members whose phones are idle, longest idle first (ties by id)."""
    free = [a for a in members if a.state is AgentState.AVAILABLE and _idle(work, a)]
    return sorted(free, key=lambda a: (a.since, a.id))


def _idle(work: Work, agent: Agent) -> bool:
    device = work.devices.get(agent.device)
    return device is None or device in IDLE_DEVICE


def _snapshot(work: Work, live: LiveCampaign, members: list[Agent], ready: int) -> Snapshot:
    busy = []
    for agent in members:
        if agent.state in (AgentState.OFFERED, AgentState.ON_CALL):
            busy.append(Busy(phase=Phase.TALK, since=agent.since))
        elif agent.state is AgentState.WRAP_UP:
            busy.append(Busy(phase=Phase.WRAP_UP, since=agent.since))
    dials = [d for d in work.dials.values() if d.campaign == live.id]
    return Snapshot(
        now=work.at,
        logged_in=len(members),
        ready=ready,
        busy=tuple(busy),
        ringing=tuple(Ringing(since=d.started_at, reserved=d.reserved) for d in dials if d.ringing),
        waiting=sum(1 for d in dials if d.held and not d.reserved),
    )


def _next_contact(
    work: Work, campaign: CampaignId, free: list[Agent], *, reserve: bool
) -> tuple[Contact, Agent | None] | None:
    """The first buffered contact that may be dialled now, with the agent to reserve for
    it (taken from `free`): the contact's own agent for a callback promised by one (kept
    in the buffer while that agent is not free, rule 6), else the first free agent when
    reserving, else none. The contacts before it that may not be dialled now go back to
    the shell (rule 5)."""
    live = work.campaigns[campaign]
    kept: list[Contact] = []
    buffer = list(live.buffer)
    found: tuple[Contact, Agent | None] | None = None
    while buffer and found is None:
        contact = buffer.pop(0)
        bound = contact.agent is not None
        blocked = _blocked_now(work, live.config, contact, guaranteed=reserve or bound)
        if blocked is not None:
            work.emit(ContactsReturned(campaign=campaign, contacts=(contact,), why=blocked.value))
        elif bound:
            agent = next((a for a in free if a.id == contact.agent), None)
            if agent is None:
                kept.append(contact)
            else:
                found = (contact, agent)
        elif not reserve or free:
            found = (contact, free[0] if reserve else None)
        else:
            kept.append(contact)
    if found is not None and found[1] is not None:
        free.remove(found[1])
    work.campaigns[campaign] = replace(live, buffer=(*kept, *buffer))
    return found


def _blocked_now(
    work: Work, config: CampaignConfig, contact: Contact, *, guaranteed: bool
) -> Blocked | None:
    """Rule 5: why a claimed contact may not be dialled at this very moment, if it may not.
    Claimed contacts are DIALLING in the store: this is the check made before the claim,
    made again at the dial (the do-not-call list is the shell's, and BlockNumbers')."""
    pending = replace(contact, status=ContactStatus.PENDING)
    return dial_check(pending, config, work.at, frozenset(), agent_guaranteed=guaranteed)


def _dial(
    work: Work, config: CampaignConfig, contact: Contact, mode: DialMode, agent: Agent | None
) -> None:
    channel = _new_channel(work)
    work.dials[channel] = Dial(
        channel=channel,
        campaign=config.id,
        contact=contact,
        mode=mode,
        agent=agent.id if agent else None,
        started_at=work.at,
    )
    if agent is not None:
        waiting = replace(agent, call=CallId(channel), channel=channel, queue=config.queue)
        target = (
            waiting
            if agent.state is AgentState.RESERVED
            else waiting.fire(Trigger.RESERVE, work.at)
        )
        work.put_agent(agent, target)
    work.set_timer(TimerKind.DIAL, channel, work.at + config.ring_timeout + DIAL_GRACE)
    work.emit(
        OriginateCall(
            channel=channel,
            campaign=config.id,
            queue=config.queue,
            number=contact.number,
            caller_id=config.caller_id,
            ring_timeout=config.ring_timeout,
            machine_detection=config.machine_detection,
            priority=OUTBOUND_PRIORITY,
        )
    )


def _new_channel(work: Work) -> ChannelId:
    """Unique across restarts: the millisecond of the dial and the dials since start."""
    work.dialled += 1
    return ChannelId(f"out-{int(work.at * 1000)}-{work.dialled}")


# Telephony (rules 3, 4) ---------------------------------------------------------------


def is_dial(work: Work, channel: ChannelId) -> bool:
    return channel in work.dials


def on_originate_ended(work: Work, event: OriginateEnded) -> None:
    dial = work.dials.get(event.channel)
    if dial is None:
        work.notes.append(Ignored(reason=f"originate result for {event.channel}: no such dial"))
        return
    if event.answered:
        if dial.answered_at is None:
            work.dials[dial.channel] = replace(dial, answered_at=event.at)
            if dial.queued_at is None:  # detection, if on, decides within seconds
                work.set_timer(TimerKind.DIAL, dial.channel, event.at + DIAL_GRACE)
        return
    if dial.answered_at is not None:
        return
    work.dials[dial.channel] = replace(dial, no_answer=event.reason == NO_ANSWER_REASON)
    work.set_timer(TimerKind.DIAL, dial.channel, event.at + REPORT_GRACE)


def on_machine(work: Work, event: MachineAnswered) -> None:
    dial = work.dials.get(event.channel)
    if dial is None or dial.result is not None or dial.queued_at is not None:
        work.notes.append(Ignored(reason=f"machine on {event.channel}: no dial waits for it"))
        return
    answered = dial.answered_at or event.at
    work.dials[dial.channel] = replace(dial, answered_at=answered, result=AttemptResult.MACHINE)


def on_queued(work: Work, channel: ChannelId, at: Instant) -> None:
    """A person answered: the call entered the campaign's queue (rule 3's hold starts)."""
    dial = work.dials.get(channel)
    if dial is None or dial.queued_at is not None or dial.result is not None:
        return
    live = work.campaigns.get(dial.campaign)
    hold = live.config.pacing.hold if live else 0.0
    work.dials[channel] = replace(dial, queued_at=at, answered_at=dial.answered_at or at)
    work.set_timer(TimerKind.DIAL, channel, None)
    work.set_timer(TimerKind.HOLD, channel, at + hold)


def on_answered_maybe(work: Work, channel: ChannelId) -> None:
    """After a dial result in cti-connect: an agent answered the outbound call."""
    dial = work.dials.get(channel)
    talk = work.talks.get(channel)
    if dial is None or talk is None or not dial.held:
        return
    connected = replace(
        dial, connected_at=work.at, agent=talk.agent, result=AttemptResult.CONNECTED
    )
    work.dials[channel] = connected
    work.set_timer(TimerKind.HOLD, channel, None)
    _outcome(work, connected, Outcome.CONNECTED)


def hold_due(work: Work, channel: ChannelId) -> None:
    work.set_timer(TimerKind.HOLD, channel, None)
    dial = work.dials.get(channel)
    if dial is None or not dial.held:
        return
    offer = work.offers.get(channel)
    if offer is not None:
        work.end_offer(offer, OfferOutcome.HOLD_EXPIRED)
        work.agent_released(offer)
    waiting = work.waiting.get(channel)
    if waiting is not None:
        work.leave_queue(waiting, VisitOutcome.REDIRECTED)
    _release(work, dial.agent, channel)
    abandoned = replace(dial, result=AttemptResult.ABANDONED)
    work.dials[channel] = abandoned
    work.emit(SendCall(channel=channel, kind=TargetKind.ABANDON, target=dial.campaign))
    _outcome(work, abandoned, Outcome.ABANDONED)
    if channel not in work.callers:  # a resync found it gone: its hang-up was lost
        _end(work, abandoned, AttemptResult.ABANDONED)
        return
    # The message ends with a hang-up; should that be lost (the link down), this ends it.
    work.set_timer(TimerKind.DIAL, channel, work.at + DIAL_GRACE)


def dial_due(work: Work, channel: ChannelId) -> None:
    """No hang-up came for a failed dial, or for an abandoned one after its message, or
    no news at all (rule 4)."""
    work.set_timer(TimerKind.DIAL, channel, None)
    dial = work.dials.get(channel)
    if dial is None or dial.held:  # a person holds: the hold is in charge
        return
    result = dial.result or (AttemptResult.NO_ANSWER if dial.no_answer else AttemptResult.FAILED)
    _end(work, dial, result)


def on_hung_up(work: Work, event: ChannelHungUp) -> None:
    dial = work.dials.get(event.channel)
    if dial is None:
        return
    work.remember_gone(event.channel)
    result = dial.result
    if result is None and dial.held:
        result = AttemptResult.ABANDONED  # rule 3: hung up while held
        _outcome(work, dial, Outcome.ABANDONED)
    elif result is None:
        result = AttemptResult.NO_ANSWER if dial.no_answer else unanswered_result(event.cause)
    _end(work, dial, result)


def on_control_failed(work: Work, channel: ChannelId) -> bool:
    """The Originate could not be sent, or Asterisk never acknowledged it (rule 4)."""
    dial = work.dials.get(channel)
    if dial is None or dial.answered_at is not None:
        return False
    _end(work, dial, AttemptResult.FAILED)
    return True


def on_telephony_lost(work: Work) -> None:
    work.telephony_up = False
    for campaign in list(work.campaigns):
        work.set_timer(TimerKind.PACE, campaign, None)


def _outcome(work: Work, dial: Dial, outcome: Outcome) -> None:
    """A person's call connected or abandoned: the window and the measurements learn it."""
    live = work.campaigns.get(dial.campaign)
    if live is None:
        return
    delay = (dial.queued_at or work.at) - dial.started_at
    work.campaigns[live.id] = replace(
        live,
        window=live.window.record(work.at, outcome),
        stats=live.stats.after_attempt(person=True, seconds=delay),
    )


def _end(work: Work, dial: Dial, result: AttemptResult) -> None:
    work.dials.pop(dial.channel)
    for kind in (TimerKind.DIAL, TimerKind.HOLD):
        work.set_timer(kind, dial.channel, None)
    _release(work, dial.agent, dial.channel)
    attempt = dial.attempt(result, work.at)
    live = work.campaigns.get(dial.campaign)
    if live is None:  # cannot happen: a campaign stays while it has dials
        return
    if not attempt.person:
        stats = live.stats.after_attempt(person=False, seconds=attempt.ring_seconds)
        live = replace(live, stats=stats)
        work.campaigns[live.id] = live
    contact = after_attempt(dial.contact, live.config, result, work.at)
    work.emit(AttemptEnded(attempt=attempt, contact=contact))
    _forget_if_idle(work, live.id)


def _release(work: Work, agent_id: AgentId | None, channel: ChannelId | None) -> None:
    """End a reservation that is still waiting for this dial (or this preview)."""
    agent = work.agents.get(agent_id) if agent_id else None
    if agent is not None and agent.state is AgentState.RESERVED and agent.channel == channel:
        work.fire(agent, Trigger.RELEASE)


# Preview (P25) ------------------------------------------------------------------------


def on_preview_next(work: Work, command: PreviewNext) -> None:
    agent = agent_of(work, command.agent)
    live = work.campaigns.get(command.campaign)
    if live is None or not live.running:
        raise CommandRefused(f"campaign {command.campaign} is not running", "conflict")
    if live.config.mode is not DialMode.PREVIEW:
        raise CommandRefused(f"campaign {live.id} dials by itself ({live.config.mode})", "invalid")
    profile = work.config.agents.get(agent.id)
    if profile is None or live.config.queue not in profile.queues:
        raise CommandRefused(
            f"agent {agent.id} does not serve queue {live.config.queue}", "conflict"
        )
    if agent.state is not AgentState.AVAILABLE:
        raise CommandRefused(f"agent {agent.id} is {agent.state}, not available", "conflict")
    if not work.telephony_up:
        raise CommandRefused("the telephony link is down: nothing can be dialled", "conflict")
    picked = _next_contact(work, live.id, [agent], reserve=True)
    if picked is None:
        raise CommandRefused(f"campaign {live.id} has no contact to dial now", "conflict")
    contact = picked[0]
    live = work.campaigns[live.id]
    previews = _with(live.previews, agent.id, contact)
    work.campaigns[live.id] = replace(live, previews=previews)
    waiting = replace(agent, call=None, channel=None, queue=live.config.queue)
    work.put_agent(agent, waiting.fire(Trigger.RESERVE, work.at))


def previewing(work: Work, agent_id: AgentId) -> tuple[LiveCampaign, Contact]:
    agent = agent_of(work, agent_id)
    for live in work.campaigns.values():
        contact = live.previews.get(agent.id)
        if contact is not None:
            return live, contact
    raise CommandRefused(f"agent {agent_id} has no contact in preview", "conflict")


def on_preview_dial(work: Work, command: PreviewDial) -> None:
    live, contact = previewing(work, command.agent)
    if not work.telephony_up:
        raise CommandRefused("the telephony link is down: nothing can be dialled", "conflict")
    blocked = _blocked_now(work, live.config, contact, guaranteed=True)
    if blocked is not None:
        reason = f"contact {contact.id} may not be dialled now ({blocked}): skip it"
        raise CommandRefused(reason, "conflict")
    work.campaigns[live.id] = replace(live, previews=_without(live.previews, command.agent))
    _dial(work, live.config, contact, DialMode.PREVIEW, work.agents[command.agent])


def on_preview_skip(work: Work, command: PreviewSkip) -> None:
    live, contact = previewing(work, command.agent)
    work.campaigns[live.id] = replace(live, previews=_without(live.previews, command.agent))
    skip = DialAttempt(
        id=AttemptId(f"skip-{int(work.at * 1000)}-{command.agent}"),
        campaign=live.id,
        contact=contact.id,
        number=contact.number,
        agent=command.agent,
        mode=DialMode.PREVIEW,
        started_at=work.at,
        ended_at=work.at,
        result=AttemptResult.SKIPPED,
        person=False,
    )
    after = after_attempt(contact, live.config, AttemptResult.SKIPPED, work.at)
    work.emit(AttemptEnded(attempt=skip, contact=after))
    _release(work, command.agent, None)


# Measurements ----------------------------------------------------------------------


def observe(work: Work) -> None:
    """Talk and wrap-up of the campaigns' agents feed their pacing measurements."""
    if not work.campaigns:
        return
    for effect in work.effects:
        if not isinstance(effect, StateIntervalEnded):
            continue
        interval = effect.interval
        if interval.state not in (AgentState.ON_CALL, AgentState.WRAP_UP):
            continue
        profile = work.config.agents.get(interval.agent)
        if profile is None:
            continue
        seconds = interval.end - interval.start
        for live in list(work.campaigns.values()):
            if live.config.queue in profile.queues:
                work.campaigns[live.id] = _measured(live, interval.agent, interval.state, seconds)


def _measured(
    live: LiveCampaign, agent: AgentId, state: AgentState, seconds: float
) -> LiveCampaign:
    if state is AgentState.ON_CALL:
        return replace(live, talked=_with(live.talked, agent, seconds))
    talk = live.talked.get(agent)
    if talk is None:
        return live
    stats = live.stats.after_call(talk=talk, wrap_up=seconds)
    return replace(live, stats=stats, talked=_without(live.talked, agent))


def _with(mapping: Mapping[K, V], key: K, value: V) -> Mapping[K, V]:
    return _frozen({**mapping, key: value})


def _without(mapping: Mapping[K, V], key: K) -> Mapping[K, V]:
    return _frozen({k: v for k, v in mapping.items() if k != key})


def _frozen(items: dict[K, V]) -> Mapping[K, V]:
    return MappingProxyType(items)
