"""Callers waiting in queues, in the order they are to be served.

Rule 1: order is priority (higher first), then the time the caller entered the queue, then
the channel id (Asterisk's Uniqueid), so ties are broken the same way on every run.
Rule 2: a channel waits in at most one queue at a time.
Rule 3: values only: every change returns a new WaitingCalls; nothing is mutated in place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

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

    @property
    def queued_at(self) -> Instant:
        """When this stay in this queue began."""
        return self.entered_at if self.since is None else self.since

    def sort_key(self) -> tuple[int, float, str]:
        return (-self.priority, self.entered_at, self.channel)


def _empty() -> Mapping[ChannelId, WaitingCall]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class WaitingCalls:
    by_channel: Mapping[ChannelId, WaitingCall] = field(default_factory=_empty)

    def __len__(self) -> int:
        return len(self.by_channel)

    def __iter__(self) -> Iterator[WaitingCall]:
        return iter(self.by_channel.values())

    def get(self, channel: ChannelId) -> WaitingCall | None:
        return self.by_channel.get(channel)

    def add(self, call: WaitingCall) -> WaitingCalls:
        return WaitingCalls(MappingProxyType({**self.by_channel, call.channel: call}))

    def remove(self, channel: ChannelId) -> WaitingCalls:
        rest = {ch: c for ch, c in self.by_channel.items() if ch != channel}
        return WaitingCalls(MappingProxyType(rest))

    def in_queue(self, queue: QueueId) -> list[WaitingCall]:
        """The callers of one queue, first to be served first."""
        return sorted((c for c in self if c.queue == queue), key=WaitingCall.sort_key)

    def queues(self) -> list[QueueId]:
        return sorted({c.queue for c in self})
