"""Offers: one call ringing one agent's phone, counted in rings (C3, P1).

Rule 1: rings are counted from the moment the phone rings (PhoneRinging), not from the
dial: ring k spans [(k-1) x cadence, k x cadence) after the ring start.
Rule 2: every offer ends. Until the phone rings the deadline is the set-up allowance;
once it rings, it is N rings of the queue's cadence. At the deadline the core withdraws it.
Rule 3: Asterisk's own dial timeout (`ring_guard`) is a safety net longer than the core's
deadline, so an offer still ends if the server is gone.
Rule 4: an offer's lifecycle is a table (STYLE rule 14): SENT (the caller redirected to
the connect context) -dial-> DIALLING (the agent's leg is known) -ring-> RINGING; a phone
may report ringing before its dial is seen. Anything else raises IllegalOfferTransition;
the caller asks `allows` first where Asterisk may repeat an event. At the deadline the
phase says the outcome (DEADLINE_OUTCOME): never rang, unreachable; rang, no answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from cti.domain.config import QueueConfig
from cti.domain.evolve import evolve
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.recording import recording_file
from cti.domain.records import OfferOutcome, OfferRecord

SETUP_ALLOWANCE: Final = 10.0  # seconds from the redirect to the first ring; protocol, not policy
GUARD_MARGIN: Final = 5.0  # seconds Asterisk's dial timeout exceeds the core's deadline


class OfferPhase(StrEnum):
    SENT = "sent"  # the caller is on its way to the agent's phone
    DIALLING = "dialling"  # the agent's phone is dialled (its leg is known)
    RINGING = "ringing"  # the phone rang: the N rings count from here (C3)


class OfferTrigger(StrEnum):
    DIAL = "dial"  # DialBegin: the leg to the agent's phone
    RING = "ring"  # the phone reported ringing


P, T = OfferPhase, OfferTrigger
TRANSITIONS: Final[Mapping[tuple[OfferPhase, OfferTrigger], OfferPhase]] = {
    (P.SENT, T.DIAL): P.DIALLING,
    (P.SENT, T.RING): P.RINGING,
    (P.DIALLING, T.RING): P.RINGING,
}
DEADLINE_OUTCOME: Final[Mapping[OfferPhase, OfferOutcome]] = {
    P.SENT: OfferOutcome.UNAVAILABLE,
    P.DIALLING: OfferOutcome.UNAVAILABLE,
    P.RINGING: OfferOutcome.NO_ANSWER,
}


class IllegalOfferTransition(ValueError):
    def __init__(self, agent: AgentId, phase: OfferPhase, trigger: OfferTrigger) -> None:
        super().__init__(f"offer to {agent}: {trigger} not allowed in {phase}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    call: CallId
    channel: ChannelId  # the caller's
    queue: QueueId
    agent: AgentId
    device: DeviceId
    offered_at: Instant
    ring_limit: int
    cadence: float
    phase: OfferPhase = OfferPhase.SENT
    agent_channel: ChannelId | None = None  # known from DIALLING on (or a ring's event)
    ring_started_at: Instant | None = None  # set by RINGING
    recording: str | None = None  # the file the agent's part goes to, once answered

    def allows(self, trigger: OfferTrigger) -> bool:
        return (self.phase, trigger) in TRANSITIONS

    def fire(self, trigger: OfferTrigger, at: Instant, leg: ChannelId | None = None) -> Offer:
        """Rule 4: the offer after `trigger` at `at` (`leg`: the agent's, when it is told)."""
        try:
            phase = TRANSITIONS[self.phase, trigger]
        except KeyError:
            raise IllegalOfferTransition(self.agent, self.phase, trigger) from None
        fired = evolve(self, phase=phase, agent_channel=leg or self.agent_channel)
        return evolve(fired, ring_started_at=at) if phase is P.RINGING else fired

    @property
    def deadline(self) -> Instant:
        if self.phase is not OfferPhase.RINGING or self.ring_started_at is None:
            return Instant(self.offered_at + SETUP_ALLOWANCE)
        return Instant(self.ring_started_at + self.ring_limit * self.cadence)

    @property
    def deadline_outcome(self) -> OfferOutcome:
        return DEADLINE_OUTCOME[self.phase]

    @property
    def ring_guard(self) -> float:
        return SETUP_ALLOWANCE + self.ring_limit * self.cadence + GUARD_MARGIN

    def rings(self, at: Instant) -> int:
        """Ring cycles begun by `at` (the ring an answer came on), at most the limit."""
        if self.ring_started_at is None:
            return 0
        elapsed = max(0.0, at - self.ring_started_at)
        return min(self.ring_limit, int(elapsed // self.cadence) + 1)

    def ringing(self, at: Instant, leg: ChannelId | None = None) -> Offer:
        """The offer once its phone rang (a repeated ring changes nothing)."""
        return self.fire(OfferTrigger.RING, at, leg) if self.allows(OfferTrigger.RING) else self

    def ended(self, at: Instant, outcome: OfferOutcome) -> OfferRecord:
        rings = self.rings(at)
        if outcome is OfferOutcome.ANSWERED and self.ring_started_at is None:
            rings = 1  # answered before the phone reported ringing: on the first ring
        return OfferRecord(
            call=self.call,
            queue=self.queue,
            agent=self.agent,
            device=self.device,
            offered_at=self.offered_at,
            ring_started_at=self.ring_started_at,
            ended_at=at,
            rings=rings,
            outcome=outcome,
        )


def make_offer(
    call: CallId,
    channel: ChannelId,
    queue: QueueConfig,
    agent: AgentId,
    device: DeviceId,
    at: Instant,
) -> Offer:
    return Offer(
        call=call,
        channel=channel,
        queue=queue.id,
        agent=agent,
        device=device,
        offered_at=at,
        ring_limit=queue.ring_limit,
        cadence=queue.ring_cadence,
        recording=recording_file(call, at) if queue.record else None,
    )
