"""A supervisor's live monitoring of an agent's call (C8), as a value.

Rule 1: a spy is its own channel: the core chooses its Uniqueid (`channel`) when it asks
Asterisk to call the supervisor's device, so every event of that leg names it.
Rule 2: `started_at` is None until Asterisk says ChanSpy runs on the agent's leg
(ChanSpyStart); a spy that never started leaves no monitoring record.
Rule 3: `mode` is what ChanSpy does now; a switch changes it at once, on the same leg.
"""

from __future__ import annotations

from dataclasses import dataclass

from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant
from cti.domain.records import SpyMode


@dataclass(frozen=True, slots=True, kw_only=True)
class Spy:
    channel: ChannelId  # the supervisor's leg (rule 1)
    supervisor: str
    device: DeviceId
    agent: AgentId
    call: CallId
    target: ChannelId  # the agent's leg, spied on by its Uniqueid (ChanSpy option u)
    mode: SpyMode
    asked_at: Instant
    started_at: Instant | None = None  # of the stretch in `mode` (rule 2)
