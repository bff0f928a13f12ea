"""The core's state: everything live, as values.

Rule 1: maps are never mutated once a state is built (cti/domain/cow.py makes the copies).
Rule 2: timers are data: `timers` holds every deadline the core wants a Tick for, keyed by
what it is for; `next_deadline` is the earliest of them.
Rule 3: a waiting call with an open offer stays in `waiting` (its place in line is kept)
and also has an entry in `offers`; a connected call is in `talks` and no longer waits.
Rule 4: `available` indexes the agents in AVAILABLE, so routing costs nothing while every
agent is busy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Final

from cti.domain.agent import Agent
from cti.domain.arm import Arm, ArmKey
from cti.domain.breaks import BreakRequest
from cti.domain.call import CallProgress, Consult, Talk
from cti.domain.config import AcdConfig
from cti.domain.effects import Effect, Note
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.inputs import DeviceState
from cti.domain.line import Line
from cti.domain.notice import Notice
from cti.domain.offer import Offer
from cti.domain.outbound.campaign import CampaignId
from cti.domain.outbound.dial import Dial, LiveCampaign
from cti.domain.outbound.quiet import NumberQuiet
from cti.domain.pmap import empty
from cti.domain.queue import WaitingCalls
from cti.domain.spy import Spy


class TimerKind(StrEnum):
    OFFER = "offer"  # key: caller channel; the ring limit or the set-up allowance
    WRAP_UP = "wrap_up"  # key: agent; the queue's maximum wrap-up (C4)
    NOT_READY = "not_ready"  # key: agent; the reason's limit (P5)
    WIDEN = "widen"  # key: caller channel; skill widening
    OVERFLOW = "overflow"  # key: caller channel
    MAX_WAIT = "max_wait"  # key: caller channel
    RETRY = "retry"  # key: caller channel; a failed connect is retried after a pause
    CONSULT = "consult"  # key: caller channel; the ring limit of a consultation (P8)
    HOLD = "hold"  # key: outbound channel; the law's hold for an answered call (issue 4)
    DIAL = "dial"  # key: outbound channel; a dial whose end Asterisk has not reported
    PACE = "pace"  # key: campaign; the pacer looks again (forecasts move with time)
    LINE = "line"  # key: agent; a failed nailed-up line is called again (nailed.py rule 4)
    BREAK = "break"  # key: agent; an approved break not started ends (breaks.py rule 3)
    URGENT = "urgent"  # key: caller channel; an urgent caller waited too long (P10)
    ARM = "arm"  # key: <queue>/<slot>; an arm Asterisk did not confirm is disarmed (arming.py)


TimerKey = tuple[TimerKind, str]


@dataclass(frozen=True, slots=True)
class AcdState:
    config: AcdConfig = field(default_factory=AcdConfig)
    waiting: WaitingCalls = field(default_factory=WaitingCalls)
    gone: Mapping[ChannelId, int] = field(default_factory=empty)  # channel -> hang-up number
    hangups: int = 0  # hang-ups seen; numbers the entries of `gone`
    known_queues: frozenset[QueueId] = frozenset()  # every queue seen; listed even when empty
    agents: Mapping[AgentId, Agent] = field(default_factory=empty)  # logged in
    available: frozenset[AgentId] = frozenset()
    devices: Mapping[DeviceId, DeviceState] = field(default_factory=empty)
    offers: Mapping[ChannelId, Offer] = field(default_factory=empty)  # by caller channel
    talks: Mapping[ChannelId, Talk] = field(default_factory=empty)  # by caller channel
    legs: Mapping[ChannelId, ChannelId] = field(default_factory=empty)  # agent leg -> caller
    consults: Mapping[ChannelId, Consult] = field(default_factory=empty)  # by caller channel
    calls: Mapping[CallId, CallProgress] = field(default_factory=empty)
    callers: Mapping[ChannelId, CallId] = field(default_factory=empty)  # live caller channels
    timers: Mapping[TimerKey, Instant] = field(default_factory=empty)
    campaigns: Mapping[CampaignId, LiveCampaign] = field(default_factory=empty)
    dials: Mapping[ChannelId, Dial] = field(default_factory=empty)  # outbound, by channel
    adopted: Mapping[ChannelId, Dial] = field(default_factory=empty)  # re-adopted (adopt.py)
    dialled: int = 0  # dials started; numbers the next one's channel
    telephony_up: bool = False  # the AMI link is up and resynced: dialling is allowed
    do_not_call: Mapping[str, bool] = field(default_factory=empty)  # numbers never dialled
    quiet: Mapping[str, NumberQuiet] = field(default_factory=empty)  # outbound/quiet.py
    spies: Mapping[ChannelId, Spy] = field(default_factory=empty)  # by the supervisor's leg
    spied: int = 0  # monitoring sessions asked for; numbers the next one's channel
    notices: Mapping[QueueId, Notice] = field(default_factory=empty)  # outage notices (P20)
    lines: Mapping[AgentId, Line] = field(default_factory=empty)  # nailed-up (nailed.py)
    breaks: Mapping[AgentId, BreakRequest] = field(default_factory=empty)  # breaks.py
    arms: Mapping[ArmKey, Arm] = field(default_factory=empty)  # pre-armed offers (arming.py)
    armed: int = 0  # arms made; numbers the next one's token
    arm_slots: int = 0  # offers this run may keep armed per queue (the last resync's)
    arm_ring: int = 0  # slots per queue in the dialplan (CTI_ARM_SLOTS; arm_ring.py)
    arm_heads: Mapping[QueueId, int] = field(default_factory=empty)  # absent: slot 1

    def next_deadline(self) -> Instant | None:
        """The earliest instant at which the core wants a Tick."""
        return min(self.timers.values(), default=None)


_FIELDS: Final = tuple((f.name, getattr(AcdState, f.name).__set__) for f in fields(AcdState))


def state_of(values: Mapping[str, object]) -> AcdState:
    """The AcdState holding `values`, one for every field (Work.decision, once per
    decision). Its frozen __init__ sets each of the 30 fields through object.__setattr__
    (7 µs); the slots' own setters take half that. Nothing is checked in __init__, so
    nothing is skipped."""
    made = object.__new__(AcdState)
    for name, put in _FIELDS:
        put(made, values[name])
    return made


@dataclass(frozen=True, slots=True)
class Decision:
    state: AcdState
    effects: tuple[Effect, ...] = ()
    notes: tuple[Note, ...] = ()
