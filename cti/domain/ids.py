"""Identifiers and time.

Rule 1: ids are NewTypes over str, so a queue id is never passed where a call id belongs.
Rule 2: time is an Instant (epoch seconds, float) handed in by the caller; the core never
reads a clock.
"""

from __future__ import annotations

from typing import NewType, Protocol

AgentId = NewType("AgentId", str)
QueueId = NewType("QueueId", str)
ChannelId = NewType("ChannelId", str)  # Asterisk's Uniqueid of one channel
CallId = NewType("CallId", str)  # CTI_CALL_ID: the Uniqueid of the channel that first entered
DeviceId = NewType("DeviceId", str)  # an Asterisk device, which is also its dial string
Instant = NewType("Instant", float)  # seconds since the Unix epoch


class Clock(Protocol):
    def now(self) -> Instant: ...
