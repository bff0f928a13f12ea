"""History records: what the core hands to storage, as plain values.

Rule 1: a record is final when emitted; storage never updates it afterwards.
Rule 2: durations are derived from the instants they span and are never negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cti.domain.ids import CallId, ChannelId, Instant, QueueId


class VisitOutcome(StrEnum):
    ABANDONED = "abandoned"  # the caller hung up while waiting
    CONNECTED = "connected"  # sent to an agent (the ACD's business, issue 3)
    MOVED = "moved"  # re-entered another queue (overflow, transfer) without hanging up
    LOST = "lost"  # gone when the server resynced after an outage; exact end unknown


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueVisit:
    """One caller's stay in one queue, from entering the holding loop to leaving it."""

    call: CallId
    channel: ChannelId
    queue: QueueId
    caller: str
    priority: int
    entered_at: Instant
    left_at: Instant
    outcome: VisitOutcome

    @property
    def wait_seconds(self) -> float:
        return max(0.0, self.left_at - self.entered_at)
