"""A dial's life from the Originate to its attempt (C5; the table is outbound/dial.py's).

Rule 1 (the law): an answered call (one that entered the campaign's queue) waits at most
the campaign's hold (2 s) for an agent to answer; then the caller hears the information
message (cti-abandon) and the attempt is ABANDONED. A person who hangs up during the hold
counts as abandoned too: the careful reading, as the dialer did not connect them in time.
Both go into the campaign's abandon window at once, as does a connected call.
Rule 2 (results): an attempt is recorded when its channel is gone (AttemptEnded, with the
contact as it is after it): connected, abandoned or machine as settled on the way; else
no answer when Asterisk said the ring timeout passed, else from the hang-up cause. A dial
whose OriginateResponse said failure and whose hang-up never comes (no channel was made)
fails after REPORT_GRACE; one with no news at all fails DIAL_GRACE past its ring timeout.
An Originate that could not be sent fails the attempt too (it may have been placed: never
dial a contact twice on a guess).
An agent offered the call who did not answer within the hold goes not ready ("no
answer") at once, and the miss is the finding C5.hold_missed (issue 18).
Rule 3: an event the dial's phase does not allow (a duplicate, or one overtaken by a later
fact) changes nothing and leaves an Ignored note. A phase in which no person can come
(machine, no answer, refused, abandoned) releases the agent reserved for the dial at once.
Rule 4: TelephonyLost stops the pacer's looks; the next resync allows dialling again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from cti.domain.agent import Trigger
from cti.domain.config import REASON_NO_ANSWER
from cti.domain.effects import AttemptEnded, Ignored, SendCall, TargetKind
from cti.domain.ids import CallId, ChannelId, Instant
from cti.domain.inputs import ChannelHungUp, MachineAnswered, OriginateEnded
from cti.domain.offer import Offer
from cti.domain.outbound.abandon_window import Outcome
from cti.domain.outbound.attempt import unanswered_result
from cti.domain.outbound.campaign import AttemptResult
from cti.domain.outbound.contact import after_attempt
from cti.domain.outbound.dial import END_RESULT, TIMEOUT_RESULT, Dial, DialTrigger
from cti.domain.outbound.quiet import noted, repeat_abandon
from cti.domain.outbound.reservation import release
from cti.domain.outbound.running import forget_if_idle
from cti.domain.records import NO_AGENT, AgentState, OfferOutcome, Rule, VisitOutcome
from cti.domain.state import TimerKind
from cti.domain.work import Work

REPORT_GRACE: Final = 2.0  # seconds a failed dial waits for its hang-up cause
DIAL_GRACE: Final = 30.0  # seconds past the ring timeout a dial may stay without news
NO_ANSWER_REASON: Final = 3  # OriginateResponse Reason: the ring timeout passed


def is_dial(work: Work, channel: ChannelId) -> bool:
    return channel in work.dials


def _fire(work: Work, dial: Dial, trigger: DialTrigger, at: Instant) -> Dial | None:
    """The dial after the trigger, stored; None (and a note) when its phase refuses it."""
    if not dial.allows(trigger):
        work.notes.append(Ignored(reason=f"dial {dial.channel}: {trigger} in {dial.phase}"))
        return None
    fired = dial.fire(trigger, at)
    work.dials[dial.channel] = fired
    if not fired.reserving:  # no person will come (or one did): the agent waits no more
        release(work, dial.agent, dial.channel)
    return fired


def on_originate_ended(work: Work, event: OriginateEnded) -> None:
    dial = work.dials.get(event.channel)
    if dial is None:
        work.notes.append(Ignored(reason=f"originate result for {event.channel}: no such dial"))
        return
    if event.answered:
        trigger, grace = DialTrigger.ANSWER, DIAL_GRACE  # detection decides within seconds
    elif event.reason == NO_ANSWER_REASON:
        trigger, grace = DialTrigger.RING_TIMEOUT, REPORT_GRACE
    else:
        trigger, grace = DialTrigger.REFUSE, REPORT_GRACE
    if _fire(work, dial, trigger, event.at) is not None:
        work.set_timer(TimerKind.DIAL, dial.channel, event.at + grace)


def on_machine(work: Work, event: MachineAnswered) -> None:
    dial = work.dials.get(event.channel)
    if dial is None:
        work.notes.append(Ignored(reason=f"machine on {event.channel}: no dial waits for it"))
        return
    _fire(work, dial, DialTrigger.MACHINE, event.at)


def on_queued(work: Work, channel: ChannelId, at: Instant) -> None:
    """A person answered: the call entered the campaign's queue (rule 1's hold starts)."""
    dial = work.dials.get(channel)
    if dial is None or not dial.allows(DialTrigger.PERSON):
        return
    _fire(work, dial, DialTrigger.PERSON, at)
    live = work.campaigns.get(dial.campaign)
    hold = live.config.pacing.hold if live else 0.0
    work.set_timer(TimerKind.DIAL, channel, None)
    work.set_timer(TimerKind.HOLD, channel, at + hold)


def on_answered_maybe(work: Work, channel: ChannelId, offer: Offer | None) -> None:
    """After a dial result in cti-connect: an agent answered the outbound call (`offer`:
    the one it answered, as it was before the answer ended it)."""
    dial = work.dials.get(channel)
    talk = work.talks.get(channel)
    if dial is None or talk is None or not dial.allows(DialTrigger.AGENT):
        return
    connected = replace(dial.fire(DialTrigger.AGENT, work.at), agent=talk.agent)
    work.dials[channel] = connected
    work.set_timer(TimerKind.HOLD, channel, None)
    _outcome(work, connected, Outcome.CONNECTED, None if offer is None else offer.offered_at)


def hold_due(work: Work, channel: ChannelId) -> None:
    work.set_timer(TimerKind.HOLD, channel, None)
    dial = work.dials.get(channel)
    if dial is None or not dial.allows(DialTrigger.HOLD_EXPIRED):
        return
    offer = work.offers.get(channel)
    if offer is not None:
        work.end_offer(offer, OfferOutcome.HOLD_EXPIRED)
        _hold_missed(work, offer, dial)
    waiting = work.waiting.get(channel)
    if waiting is not None:
        work.leave_queue(waiting, VisitOutcome.REDIRECTED)
    abandoned = _fire(work, dial, DialTrigger.HOLD_EXPIRED, work.at) or dial
    work.emit(SendCall(channel=channel, kind=TargetKind.ABANDON, target=dial.campaign))
    _outcome(work, abandoned, Outcome.ABANDONED)
    if channel not in work.callers:  # a resync found it gone: its hang-up was lost
        end(work, abandoned, AttemptResult.ABANDONED)
        return
    # The message ends with a hang-up; should that be lost (the link down), this ends it.
    work.set_timer(TimerKind.DIAL, channel, work.at + DIAL_GRACE)


def _hold_missed(work: Work, offer: Offer, dial: Dial) -> None:
    """Rule 1: the agent offered the call did not answer within the hold, so a person was
    abandoned: the agent goes not ready ("no answer") at once, as an inbound agent does
    after missing N rings, so that no agent is reserved again and again to abandon
    people (issue 18); the miss is a finding."""
    agent = work.agents.get(offer.agent)
    if agent is None or agent.state is not AgentState.OFFERED:
        return
    work.finding(
        Rule.HOLD_MISSED,
        agent=agent.id,
        measured=work.at - offer.offered_at,  # how long the agent's phone was offered it
        limit=work.campaigns[dial.campaign].config.pacing.hold,
        call=offer.call,
        detail=f"{dial.contact.number} of {dial.campaign} abandoned: the agent did not answer",
    )
    missed = replace(agent, misses_in_row=agent.misses_in_row + 1)
    missed = missed.with_status(ready=False, reason=REASON_NO_ANSWER, by="system")
    work.put_agent(agent, missed.fire(Trigger.MISS, work.at))


def dial_due(work: Work, channel: ChannelId) -> None:
    """No hang-up came for a failed dial, or for an abandoned one after its message, or
    no news at all (rule 2). A person holding is the hold's business."""
    work.set_timer(TimerKind.DIAL, channel, None)
    dial = work.dials.get(channel)
    if dial is not None and dial.phase in TIMEOUT_RESULT:
        end(work, dial, TIMEOUT_RESULT[dial.phase])


def on_hung_up(work: Work, event: ChannelHungUp) -> None:
    dial = work.dials.get(event.channel)
    if dial is None:
        return
    work.remember_gone(event.channel)
    if dial.held:
        _outcome(work, dial, Outcome.ABANDONED)  # rule 1: hung up while held
    end(work, dial, END_RESULT[dial.phase] or unanswered_result(event.cause))


def on_control_failed(work: Work, channel: ChannelId) -> bool:
    """The Originate could not be sent, or Asterisk never acknowledged it (rule 2)."""
    dial = work.dials.get(channel)
    if dial is None or dial.answered_at is not None:
        return False
    end(work, dial, AttemptResult.FAILED)
    return True


def on_telephony_lost(work: Work) -> None:
    work.telephony_up = False
    for campaign in list(work.campaigns):
        work.set_timer(TimerKind.PACE, campaign, None)


def _outcome(work: Work, dial: Dial, outcome: Outcome, offered_at: Instant | None = None) -> None:
    """A person's call connected or abandoned: the window and the measurements learn it."""
    live = work.campaigns.get(dial.campaign)
    if live is None:
        return
    answered = dial.queued_at or work.at
    stats = live.stats.after_attempt(person=True, seconds=answered - dial.started_at)
    if outcome is Outcome.CONNECTED:
        # pacing_stats rule 4: the line's delay, not a held person's wait for a free agent
        stats = stats.after_connect(work.at - max(answered, offered_at or answered))
    work.campaigns[live.id] = replace(
        live, window=live.window.record(work.at, outcome), stats=stats
    )


def end(work: Work, dial: Dial, result: AttemptResult) -> None:
    """The dial is over: its attempt, with its contact as it is now (rule 2)."""
    work.dials.pop(dial.channel)
    for kind in (TimerKind.DIAL, TimerKind.HOLD):
        work.set_timer(kind, dial.channel, None)
    release(work, dial.agent, dial.channel)
    attempt = dial.attempt(result, work.at)
    live = work.campaigns.get(dial.campaign)
    if live is None:  # cannot happen: a campaign stays while it has dials
        return
    if not attempt.person:
        stats = live.stats.after_attempt(person=False, seconds=attempt.ring_seconds)
        live = replace(live, stats=stats)
        work.campaigns[live.id] = live
    contact = after_attempt(dial.contact, live.config, result, work.at)
    _quieten(work, dial, live.config.abandon_quiet, result)
    work.emit(AttemptEnded(attempt=attempt, contact=contact))
    forget_if_idle(work, live.id)


def _quieten(work: Work, dial: Dial, period: float, result: AttemptResult) -> None:
    """The number's quiet periods learn the attempt's result (quiet.py rule 4); an abandon
    inside the number's quiet period is a finding (rule 5)."""
    number = dial.contact.number
    before = work.quiet.get(number)
    if result is AttemptResult.ABANDONED and repeat_abandon(before, period, work.at):
        assert before is not None and before.abandoned_at is not None
        work.finding(
            Rule.REPEAT_ABANDON,
            agent=dial.agent or NO_AGENT,
            measured=work.at - before.abandoned_at,
            limit=period,
            call=CallId(dial.channel),
            detail=f"{number} abandoned again by {dial.campaign} within its quiet period",
        )
    after = noted(before, result, work.at)
    if after is not None:
        work.quiet[number] = after
