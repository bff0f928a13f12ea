"""One decision in progress: copy-on-write views of the state and the effects so far.

Rule 1: every agent change goes through `put_agent`, which emits the closed state interval
and AgentChanged, keeps the `available` index and the agent's timers in step with its
state. So intervals of one agent never overlap and never leave gaps while logged in.
Rule 2: every offer ends through `end_offer`; every talk with an agent starts through
`start_talk` and ends through `end_talk`; a call's record is emitted by `finish_if_done`
once the caller is gone and all wrap-ups ended.
Rule 3: nothing here reads a clock: `at` is the input's own time.
"""

from __future__ import annotations

from collections.abc import Callable

from cti.domain.agent import Agent, Trigger
from cti.domain.breaks import BreakPhase, BreakRequest
from cti.domain.call import CallProgress, Talk
from cti.domain.config import REASON_BUSY, REASON_NO_ANSWER, REASON_UNAVAILABLE, AcdConfig
from cti.domain.cow import Cow
from cti.domain.effects import (
    AgentChanged,
    BreakChanged,
    CallEnded,
    Effect,
    FindingRaised,
    Note,
    OfferEnded,
    PresenceChanged,
    QueueVisitEnded,
    ReturnToQueue,
    StateIntervalEnded,
)
from cti.domain.evolve import evolve
from cti.domain.ids import AgentId, CallId, ChannelId, Instant, QueueId
from cti.domain.offer import Offer
from cti.domain.queue import WaitingCall, WaitingCalls
from cti.domain.records import (
    AgentState,
    Finding,
    OfferOutcome,
    OfferRecord,
    Presence,
    QueueVisit,
    Rule,
    Side,
    StateInterval,
    VisitOutcome,
)
from cti.domain.state import AcdState, Decision, TimerKey, TimerKind, state_of

GONE_MEMORY = 1024  # hung-up channels remembered; far more than hang up during a resync

MISS_REASONS = {
    OfferOutcome.NO_ANSWER: REASON_NO_ANSWER,
    OfferOutcome.BUSY: REASON_BUSY,
    OfferOutcome.UNAVAILABLE: REASON_UNAVAILABLE,
}


class Work:
    def __init__(self, state: AcdState, at: Instant) -> None:
        self.base = state
        self.at = at
        self.config: AcdConfig = state.config
        self.waiting: WaitingCalls = state.waiting
        self.gone = Cow(state.gone)
        self.hangups = state.hangups
        self.known_queues = state.known_queues
        self.agents = Cow(state.agents)
        self.available = set(state.available)
        self.devices = Cow(state.devices)
        self.offers = Cow(state.offers)
        self.talks = Cow(state.talks)
        self.legs = Cow(state.legs)
        self.consults = Cow(state.consults)
        self.calls = Cow(state.calls)
        self.callers = Cow(state.callers)
        self.timers = Cow(state.timers)
        self.campaigns = Cow(state.campaigns)
        self.dials = Cow(state.dials)
        self.adopted = Cow(state.adopted)
        self.dialled = state.dialled
        self.telephony_up = state.telephony_up
        self.do_not_call = Cow(state.do_not_call)
        self.quiet = Cow(state.quiet)
        self.spies = Cow(state.spies)
        self.spied = state.spied
        self.notices = Cow(state.notices)
        self.lines = Cow(state.lines)
        self.breaks = Cow(state.breaks)
        self.arms = Cow(state.arms)
        self.armed = state.armed
        self.arm_slots = state.arm_slots
        self.arm_ring = state.arm_ring
        self.arm_heads = Cow(state.arm_heads)
        self.effects: list[Effect] = []
        self.notes: list[Note] = []

    def decision(self) -> Decision:
        available = (
            self.base.available
            if self.available == self.base.available
            else frozenset(self.available)
        )
        state = state_of(
            dict(
                config=self.config,
                waiting=self.waiting,
                gone=self.gone.result(),
                hangups=self.hangups,
                known_queues=self.known_queues,
                agents=self.agents.result(),
                available=available,
                devices=self.devices.result(),
                offers=self.offers.result(),
                talks=self.talks.result(),
                legs=self.legs.result(),
                consults=self.consults.result(),
                calls=self.calls.result(),
                callers=self.callers.result(),
                timers=self.timers.result(),
                campaigns=self.campaigns.result(),
                dials=self.dials.result(),
                adopted=self.adopted.result(),
                dialled=self.dialled,
                telephony_up=self.telephony_up,
                do_not_call=self.do_not_call.result(),
                quiet=self.quiet.result(),
                spies=self.spies.result(),
                spied=self.spied,
                notices=self.notices.result(),
                lines=self.lines.result(),
                breaks=self.breaks.result(),
                arms=self.arms.result(),
                armed=self.armed,
                arm_slots=self.arm_slots,
                arm_ring=self.arm_ring,
                arm_heads=self.arm_heads.result(),
            )
        )
        return Decision(state, tuple(self.effects), tuple(self.notes))

    def changed(self, *parts: str) -> bool:
        """Whether any of these parts of the state differs from the decision's start
        (copy-on-write: an untouched part is the very same object)."""
        for part in parts:
            now = getattr(self, part)
            if (now if part == "config" else now.result()) is not getattr(self.base, part):
                return True
        return False

    def emit(self, effect: Effect) -> None:
        self.effects.append(effect)

    def set_timer(self, kind: TimerKind, key: str, when: float | None) -> None:
        timer: TimerKey = (kind, key)
        if when is None:
            self.timers.pop(timer)
        elif self.timers.get(timer) != when:
            self.timers[timer] = Instant(when)

    # Agents ---------------------------------------------------------------------------

    def put_agent(self, old: Agent | None, new: Agent | None) -> None:
        """Store an agent change, with its interval, notification, index and timers."""
        some = new or old
        assert some is not None
        agent_id = some.id
        if _standing(old) != _standing(new):
            self.emit(PresenceChanged(presence=_presence(agent_id, new, self.at)))
        old_state = old.state if old else AgentState.LOGGED_OUT
        new_state = new.state if new else AgentState.LOGGED_OUT
        old_reason = old.shown_reason if old else None
        new_reason = new.shown_reason if new else None
        if new is not None and old is not None and new_state is old_state:
            if new_reason == old_reason:
                self.agents[agent_id] = new  # no new interval (counters, status while busy)
                return
            new = evolve(new, since=self.at)  # a new reason starts a new interval
        if old is not None:
            request = self.breaks.get(old.id)
            approved = request.decided_by if request is not None and request.covers(old) else ""
            self.emit(StateIntervalEnded(interval=_interval(old, self.at, approved)))
        if new is None:
            self.agents.pop(agent_id)
        else:
            self.agents[agent_id] = new
        self._index(agent_id, new)
        self.emit(
            AgentChanged(
                agent=agent_id,
                state=new_state,
                previous=old_state,
                reason=new_reason,
                at=self.at,
                call=new.call if new else None,
            )
        )

    def _index(self, agent_id: AgentId, agent: Agent | None) -> None:
        state = agent.state if agent else AgentState.LOGGED_OUT
        if state is AgentState.AVAILABLE:
            self.available.add(agent_id)
        else:
            self.available.discard(agent_id)
        wrap_up = None
        if agent is not None and state is AgentState.WRAP_UP:
            wrap_up = agent.since + self.config.queue(agent.queue or QueueId("")).max_wrap_up
        self.set_timer(TimerKind.WRAP_UP, agent_id, wrap_up)
        limit = None
        if agent is not None and state is AgentState.NOT_READY and agent.reason:
            approved = self._approved_break(agent)
            reason = self.config.reasons.get(agent.reason)
            if approved is not None:
                limit = agent.since + approved.seconds
            elif reason is not None and reason.max_seconds is not None:
                limit = agent.since + reason.max_seconds
        self.set_timer(TimerKind.NOT_READY, agent_id, limit)
        request = self.breaks.get(agent_id)
        if request is not None and request.ends_with(agent):
            self.end_break(request, "logout" if agent is None else "the break ended")

    def refresh(self, agent_id: AgentId) -> None:
        """The agent's index and timers again, after a change of what they derive from
        (an approved break, breaks.py rule 3)."""
        self._index(agent_id, self.agents.get(agent_id))

    def _approved_break(self, agent: Agent) -> BreakRequest | None:
        """breaks.py rule 3: the approval that is this spell's limit, now marked used."""
        request = self.breaks.get(agent.id)
        if request is None or not request.covers(agent):
            return None
        if not request.used:
            request = evolve(request, used=True)
            self.breaks[agent.id] = request
            self.set_timer(TimerKind.BREAK, agent.id, None)
            self.emit(BreakChanged(request=request, at=self.at, by="the break started"))
        return request

    def end_break(self, request: BreakRequest, why: str) -> None:
        self.breaks.pop(request.agent)
        self.set_timer(TimerKind.BREAK, request.agent, None)
        ended = evolve(request, phase=BreakPhase.ENDED)
        self.emit(BreakChanged(request=ended, at=self.at, by=why))

    def fire(self, agent: Agent, trigger: Trigger) -> Agent:
        new = agent.fire(trigger, self.at)
        self.put_agent(agent, new)
        return new

    def finding(
        self,
        rule: Rule,
        agent: AgentId,
        measured: float,
        limit: float,
        call: CallId | None = None,
        detail: str = "",
    ) -> None:
        finding = Finding(
            rule=rule,
            agent=agent,
            at=self.at,
            measured=measured,
            limit=limit,
            call=call,
            detail=detail,
        )
        self.emit(FindingRaised(finding=finding))

    # Offers ---------------------------------------------------------------------------

    def end_offer(self, offer: Offer, outcome: OfferOutcome) -> OfferRecord:
        self.offers.pop(offer.channel)
        self.set_timer(TimerKind.OFFER, offer.channel, None)
        record = offer.ended(self.at, outcome)
        self.emit(OfferEnded(offer=record))
        return record

    def agent_missed(self, offer: Offer, record: OfferRecord) -> None:
        """The agent did not take the offer (C3): counts the miss; not ready when due."""
        agent = self.agents.get(offer.agent)
        if agent is None:
            return
        queue = self.config.queue(offer.queue)
        misses = agent.misses_in_row + 1
        agent = evolve(agent, misses_in_row=misses)
        if record.outcome is OfferOutcome.NO_ANSWER:
            self.finding(
                Rule.RING_LIMIT, agent.id, float(record.rings), float(queue.ring_limit), offer.call
            )
        due = misses >= queue.misses_before_not_ready
        if record.outcome is OfferOutcome.UNAVAILABLE or due:
            reason = MISS_REASONS.get(record.outcome, REASON_NO_ANSWER)
            agent = agent.with_status(ready=False, reason=reason, by="system")
        self.put_agent(self.agents[offer.agent], agent.fire(Trigger.MISS, self.at))

    def agent_released(self, offer: Offer) -> None:
        """The offer ended through no fault of the agent."""
        agent = self.agents.get(offer.agent)
        if agent is not None and agent.state is AgentState.OFFERED:
            self.fire(agent, Trigger.CANCEL)

    def withdraw(self, offer: Offer, outcome: OfferOutcome) -> None:
        """The core ends an offer itself: the caller goes back to its place in line."""
        record = self.end_offer(offer, outcome)
        self.emit(ReturnToQueue(channel=offer.channel, queue=offer.queue))
        self.agent_missed(offer, record)

    # Waiting calls and talks ---------------------------------------------------------

    def leave_queue(self, call: WaitingCall, outcome: VisitOutcome) -> QueueVisit:
        self.waiting = self.waiting.remove(call.channel)
        for kind in (
            TimerKind.WIDEN,
            TimerKind.OVERFLOW,
            TimerKind.MAX_WAIT,
            TimerKind.RETRY,
            TimerKind.URGENT,
        ):
            self.set_timer(kind, call.channel, None)
        visit = visit_of(call, self.at, outcome)
        self.emit(QueueVisitEnded(visit=visit))
        self.update_call(call.call, lambda p: p.left_queue(visit))
        return visit

    def update_call(self, call: CallId, change: Callable[[CallProgress], CallProgress]) -> None:
        progress = self.calls.get(call)
        if progress is not None:
            self.calls[call] = change(progress)

    def start_talk(self, talk: Talk) -> None:
        """The caller is connected to the agent's leg (answered, or re-adopted)."""
        self.talks[talk.channel] = talk
        if talk.agent_channel is not None:
            self.legs[talk.agent_channel] = talk.channel

    def end_talk(self, talk: Talk, outcome: str, released_by: Side | None) -> None:
        """A talk ended: released (by a side), transferred, or sent to the survey."""
        self.talks.pop(talk.channel)
        if talk.agent_channel is not None:
            self.legs.pop(talk.agent_channel)
        talk = evolve(talk, released_by=released_by)
        self.update_call(talk.call, lambda p: p.talk_ended(talk, self.at, outcome))
        if talk.agent is None:
            return
        agent = self.agents.get(talk.agent)
        if agent is not None and agent.state is AgentState.ON_CALL and agent.call == talk.call:
            self.fire(agent, Trigger.HANG_UP)
        if outcome == "released" and released_by is Side.AGENT:
            talked = self.at - talk.start
            self.finding(Rule.AGENT_RELEASED_FIRST, talk.agent, talked, 0.0, talk.call)

    def caller_gone(self, channel: ChannelId) -> None:
        call = self.callers.pop(channel)
        if call is not None:
            self.update_call(call, lambda p: evolve(p, caller_gone_at=self.at))
            self.finish_if_done(call)

    def finish_if_done(self, call: CallId) -> None:
        progress = self.calls.get(call)
        if progress is not None and progress.finished:
            self.calls.pop(call)
            self.emit(CallEnded(record=progress.record()))

    def remember_gone(self, channel: ChannelId) -> None:
        """Keep the last GONE_MEMORY hang-ups (up to twice that between clean-ups)."""
        if channel in self.gone:
            return
        self.hangups += 1
        self.gone[channel] = self.hangups
        if len(self.gone.result()) > 2 * GONE_MEMORY:
            oldest = self.hangups - GONE_MEMORY
            for old, number in self.gone.items():
                if number <= oldest:
                    self.gone.pop(old)


def visit_of(call: WaitingCall, left_at: Instant, outcome: VisitOutcome) -> QueueVisit:
    """The caller's stay in its queue, ending at `left_at`."""
    return QueueVisit(
        call=call.call,
        channel=call.channel,
        queue=call.queue,
        caller=call.caller,
        priority=call.priority,
        entered_at=call.queued_at,
        left_at=left_at,
        outcome=outcome,
    )


def _standing(agent: Agent | None) -> tuple[object, ...]:
    """What a restarted server needs to take the agent back: its login and status."""
    if agent is None:
        return ()
    return (agent.device, agent.address, agent.logged_in_at, agent.ready, agent.reason)


def _presence(agent_id: AgentId, agent: Agent | None, at: Instant) -> Presence:
    if agent is None:
        return Presence(agent=agent_id, at=at)
    return Presence(
        agent=agent_id,
        at=at,
        device=agent.device,
        address=agent.address,
        logged_in_at=agent.logged_in_at,
        ready=agent.ready,
        reason=agent.reason,
        reason_by=agent.reason_by,
    )


def _interval(agent: Agent, end: Instant, approved_by: str = "") -> StateInterval:
    return StateInterval(
        agent=agent.id,
        state=agent.state,
        reason=agent.shown_reason,
        start=agent.since,
        end=end,
        call=agent.call,
        approved_by=approved_by,
    )
