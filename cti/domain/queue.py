"""Callers waiting in queues, in the order they are to be served.

Rule 1: order is priority (higher first), then the time the caller entered the queue, then
the channel id (Asterisk's Uniqueid), so ties are broken the same way on every run.
Rule 2: a channel waits in at most one queue at a time.
Rule 3: values only: every change returns a new WaitingCalls; nothing is mutated in place.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from cti.domain.ids import CallId, ChannelId, Instant, QueueId


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingCall:
    call: CallId
    channel: ChannelId
    queue: QueueId
    priority: int
    caller: str
    entered_at: Instant  # the place in line: when the caller first entered
    since: Instant | None = None  # when it entered this queue, if later (overflow)
    away: bool = False  # hearing the max-wait callback offer (P9): not offered meanwhile

    @property
    def queued_at(self) -> Instant:
        """When this stay in this queue began."""
        return self.entered_at if self.since is None else self.since

    def sort_key(self) -> tuple[int, float, str]:
        return (-self.priority, self.entered_at, self.channel)


Entry = tuple[tuple[int, float, str], ChannelId]


@dataclass(frozen=True, slots=True)
class WaitingCalls:
    """Waiting callers by channel, and in serve order (kept sorted: no sort per lookup)."""

    by_channel: Mapping[ChannelId, WaitingCall] = field(default_factory=dict)
    order: tuple[Entry, ...] = ()

    def __len__(self) -> int:
        return len(self.by_channel)

    def __iter__(self) -> Iterator[WaitingCall]:
        """Every caller, first to be served first."""
        calls = self.by_channel
        return (calls[channel] for _, channel in self.order)

    def get(self, channel: ChannelId) -> WaitingCall | None:
        return self.by_channel.get(channel)

    def add(self, call: WaitingCall) -> WaitingCalls:
        """Add a caller, or replace the one on the same channel."""
        base = self.remove(call.channel) if call.channel in self.by_channel else self
        order = list(base.order)
        bisect.insort(order, (call.sort_key(), call.channel))
        return WaitingCalls({**base.by_channel, call.channel: call}, tuple(order))

    def remove(self, channel: ChannelId) -> WaitingCalls:
        call = self.by_channel.get(channel)
        if call is None:
            return self
        rest = dict(self.by_channel)
        del rest[channel]
        order = list(self.order)
        del order[bisect.bisect_left(order, (call.sort_key(), channel))]
        return WaitingCalls(rest, tuple(order))

    def in_queue(self, queue: QueueId) -> list[WaitingCall]:
        """The callers of one queue, first to be served first."""
        return [c for c in self if c.queue == queue]

    def queues(self) -> list[QueueId]:
        return sorted({c.queue for c in self})
