"""A call in progress, from its first queue entry until its record is final.

Rule 1: the record is built from segments as they close: each queue visit, each talk
(credited to its agent), each wrap-up (credited to the agent who did it). Transfers add
segments to the same call, so talk time and outcomes go to the right agent (P8).
Rule 2: a call is finished when the caller's channel is gone, no talk is open and every
wrap-up of its agents has ended (the disposition comes with the wrap-up, C4); only then is
its CallRecord emitted.
Rule 3: who released first is the side whose phone hung up first on the last agent talk
(P2); a transfer made by the agent is not a release.
Rule 4: while an agent consults another agent (attended transfer, P8) the caller is on
hold: the agent's talk segment closes and a hold segment, credited to the same agent,
runs until the caller is bridged again (back to that agent, or on to the consulted one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from cti.domain.evolve import evolve
from cti.domain.ids import AgentId, CallId, ChannelId, Instant, QueueId
from cti.domain.offer import Offer
from cti.domain.queue import WaitingCall
from cti.domain.records import CallRecord, QueueVisit, Segment, SegmentKind, Side, VisitOutcome


@dataclass(frozen=True, slots=True, kw_only=True)
class Talk:
    """The caller connected to an agent (or, after a blind transfer, to an extension)."""

    call: CallId
    channel: ChannelId  # the caller's
    agent: AgentId | None
    agent_channel: ChannelId | None
    queue: QueueId | None
    start: Instant
    released_by: Side | None = None  # set by the first HangupRequest
    extension: str | None = None
    on_hold: bool = False  # the agent consults another agent; `start` is the hold's start


class ConsultPhase(StrEnum):
    RINGING = "ringing"  # the consulted agent's phone is offered the call (an Offer)
    TALKING = "talking"  # the consulted agent answered: the two agents talk, the caller holds


class ConsultTrigger(StrEnum):
    ANSWER = "answer"  # the consulted agent answered


# A consultation's lifecycle (STYLE rule 14); its ends (completed, taken back, the caller
# gone) remove it, cti/domain/consult.py rules 3 and 4.
CONSULT_TRANSITIONS: Final[Mapping[tuple[ConsultPhase, ConsultTrigger], ConsultPhase]] = {
    (ConsultPhase.RINGING, ConsultTrigger.ANSWER): ConsultPhase.TALKING,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Consult:
    """An agent on a call consulting another agent while the caller holds (P8).

    The consulting agent's leg dials the consulted agent; that ring is an offer like any
    other (counted in rings, withdrawn at the queue's limit). Key: the caller's channel."""

    offer: Offer  # to the consulted agent; offer.channel is the caller's channel
    agent: AgentId  # the consulting agent
    agent_channel: ChannelId  # the consulting agent's leg, now in the consult context
    phase: ConsultPhase = ConsultPhase.RINGING  # TALKING: offer.agent_channel is its leg

    @property
    def talking(self) -> bool:
        return self.phase is ConsultPhase.TALKING

    def fire(self, trigger: ConsultTrigger) -> Consult:
        try:
            phase = CONSULT_TRANSITIONS[self.phase, trigger]
        except KeyError:
            raise ValueError(
                f"consult by {self.agent}: {trigger} not allowed in {self.phase}"
            ) from None
        return evolve(self, phase=phase)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallProgress:
    call: CallId
    caller: str
    queue: QueueId
    entered_at: Instant
    segments: tuple[Segment, ...] = ()
    offers: int = 0
    answered: bool = False
    abandon_wait: float | None = None
    released_by: Side | None = None
    survey_score: int | None = None
    disposition: str | None = None
    wrapping: frozenset[AgentId] = frozenset()  # agents whose wrap-up of this call is open
    talking: bool = False
    caller_gone_at: Instant | None = None

    def with_segment(self, segment: Segment) -> CallProgress:
        return evolve(self, segments=(*self.segments, segment))

    def left_queue(self, visit: QueueVisit) -> CallProgress:
        segment = Segment(
            kind=SegmentKind.QUEUE,
            start=visit.entered_at,
            end=visit.left_at,
            queue=visit.queue,
            outcome=visit.outcome.value,
        )
        done = self.with_segment(segment)
        if visit.outcome is VisitOutcome.ABANDONED:
            return evolve(done, abandon_wait=visit.wait_seconds)
        return done

    def segment_closed(self, talk: Talk, at: Instant, outcome: str) -> CallProgress:
        """A talk or hold segment closes while the call stays with the agent: the agent
        put the caller on hold to consult, or took the caller back (P8)."""
        return self.with_segment(_talk_segment(talk, at, outcome))

    def talk_ended(self, talk: Talk, at: Instant, outcome: str) -> CallProgress:
        shown = outcome if talk.extension is None else f"extension {talk.extension}"
        segment = _talk_segment(talk, at, shown)
        done = evolve(self.with_segment(segment), talking=False)
        if talk.agent is None:
            return done
        released = talk.released_by if outcome == "released" else self.released_by
        return evolve(done, wrapping=self.wrapping | {talk.agent}, released_by=released)

    def wrap_up_ended(
        self,
        agent: AgentId,
        queue: QueueId | None,
        span: tuple[Instant, Instant],
        how: str,
        disposition: str | None,
    ) -> CallProgress:
        segment = Segment(
            kind=SegmentKind.WRAP_UP,
            start=span[0],
            end=span[1],
            queue=queue,
            agent=agent,
            outcome=how,
            disposition=disposition,
        )
        done = self.with_segment(segment)
        return evolve(
            done,
            wrapping=self.wrapping - {agent},
            disposition=disposition if disposition is not None else self.disposition,
        )

    @property
    def finished(self) -> bool:
        return self.caller_gone_at is not None and not self.talking and not self.wrapping

    def record(self) -> CallRecord:
        ends = [s.end for s in self.segments]
        ended = max([*ends, self.caller_gone_at or self.entered_at])
        return CallRecord(
            call=self.call,
            caller=self.caller,
            queue=self.queue,
            entered_at=self.entered_at,
            ended_at=Instant(ended),
            segments=self.segments,
            offers=self.offers,
            answered=self.answered,
            abandoned=self.abandon_wait is not None and not self.answered,
            abandon_wait=self.abandon_wait if not self.answered else None,
            released_by=self.released_by,
            survey_score=self.survey_score,
            disposition=self.disposition,
        )


def _talk_segment(talk: Talk, at: Instant, outcome: str) -> Segment:
    return Segment(
        kind=SegmentKind.HOLD if talk.on_hold else SegmentKind.TALK,
        start=talk.start,
        end=at,
        queue=talk.queue,
        agent=talk.agent,
        outcome=outcome,
    )


def started(call: WaitingCall) -> CallProgress:
    return CallProgress(
        call=call.call, caller=call.caller, queue=call.queue, entered_at=call.entered_at
    )
