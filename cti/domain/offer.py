"""Offers: one call ringing one agent's phone, counted in rings (C3, P1).

Rule 1: rings are counted from the moment the phone rings (PhoneRinging), not from the
dial: ring k spans [(k-1) x cadence, k x cadence) after the ring start.
Rule 2: every offer ends. Until the phone rings the deadline is the set-up allowance;
once it rings, it is N rings of the queue's cadence. At the deadline the core withdraws it.
Rule 3: Asterisk's own dial timeout (`ring_guard`) is a safety net longer than the core's
deadline, so an offer still ends if the server is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from cti.domain.config import QueueConfig
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.records import OfferOutcome, OfferRecord

SETUP_ALLOWANCE: Final = 10.0  # seconds from the redirect to the first ring; protocol, not policy
GUARD_MARGIN: Final = 5.0  # seconds Asterisk's dial timeout exceeds the core's deadline


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
    agent_channel: ChannelId | None = None
    ring_started_at: Instant | None = None

    @property
    def deadline(self) -> Instant:
        if self.ring_started_at is None:
            return Instant(self.offered_at + SETUP_ALLOWANCE)
        return Instant(self.ring_started_at + self.ring_limit * self.cadence)

    @property
    def ring_guard(self) -> float:
        return SETUP_ALLOWANCE + self.ring_limit * self.cadence + GUARD_MARGIN

    def rings(self, at: Instant) -> int:
        """Ring cycles begun by `at` (the ring an answer came on), at most the limit."""
        if self.ring_started_at is None:
            return 0
        elapsed = max(0.0, at - self.ring_started_at)
        return min(self.ring_limit, int(elapsed // self.cadence) + 1)

    def ringing(self, at: Instant) -> Offer:
        return self if self.ring_started_at is not None else replace(self, ring_started_at=at)

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
    )
