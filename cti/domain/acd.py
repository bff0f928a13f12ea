"""The core: decide(state, input, now) -> Decision.

Rule 1: pure. Time arrives as `now` and on each input; nothing here reads a clock or logs.
Rule 2: idempotent. A duplicated event changes nothing (it yields an Ignored note), so a
replayed or re-delivered AMI stream cannot corrupt the picture.
Rule 3: a channel that hung up is remembered for a while (`gone`), so a resync snapshot
taken before the hang-up but applied after it cannot bring the caller back.
Rule 4: after a resync the state equals Asterisk's snapshot (less channels known gone);
every difference is counted as a correction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final, assert_never

from cti.domain.effects import (
    CallWaiting,
    Effect,
    Ignored,
    Note,
    QueueVisitEnded,
    ResyncApplied,
)
from cti.domain.ids import ChannelId, Instant, QueueId
from cti.domain.inputs import CallerQueued, ChannelHungUp, Input, Resynced, Tick
from cti.domain.queue import WaitingCall, WaitingCalls
from cti.domain.records import QueueVisit, VisitOutcome

GONE_MEMORY: Final = 1024  # hung-up channels remembered; far more than hang up during a resync


def _no_gone() -> Mapping[ChannelId, None]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AcdState:
    waiting: WaitingCalls = field(default_factory=WaitingCalls)
    gone: Mapping[ChannelId, None] = field(default_factory=_no_gone)  # insertion-ordered
    known_queues: frozenset[QueueId] = frozenset()  # every queue seen; listed even when empty

    def next_deadline(self) -> Instant | None:
        """The earliest instant at which the core wants a Tick (none yet in this version)."""
        return None


@dataclass(frozen=True, slots=True)
class Decision:
    state: AcdState
    effects: tuple[Effect, ...] = ()
    notes: tuple[Note, ...] = ()


def decide(state: AcdState, event: Input, now: Instant) -> Decision:
    match event:
        case CallerQueued():
            return _on_caller_queued(state, event)
        case ChannelHungUp():
            return _on_hung_up(state, event)
        case Resynced():
            return _on_resynced(state, event)
        case Tick():
            return Decision(state)
        case _:
            assert_never(event)


def _on_caller_queued(state: AcdState, event: CallerQueued) -> Decision:
    if event.entry.channel in state.gone:
        note = Ignored(reason=f"channel {event.entry.channel} already hung up")
        return Decision(state, notes=(note,))
    call = event.entry
    current = state.waiting.get(call.channel)
    if current is not None and current.queue == call.queue:
        return Decision(state, notes=(Ignored(reason=f"duplicate entry of {call.channel}"),))
    effects: list[Effect] = []
    if current is not None:
        effects.append(QueueVisitEnded(visit=_visit(current, event.at, VisitOutcome.MOVED)))
    effects.append(CallWaiting(call=call))
    known = state.known_queues | {call.queue}
    return Decision(
        replace(state, waiting=state.waiting.add(call), known_queues=known), tuple(effects)
    )


def _on_hung_up(state: AcdState, event: ChannelHungUp) -> Decision:
    gone = _remember_gone(state.gone, event.channel)
    current = state.waiting.get(event.channel)
    if current is None:
        note = Ignored(reason=f"channel {event.channel} was not waiting")
        return Decision(replace(state, gone=gone), notes=(note,))
    visit = _visit(current, event.at, VisitOutcome.ABANDONED)
    waiting = state.waiting.remove(event.channel)
    return Decision(replace(state, waiting=waiting, gone=gone), (QueueVisitEnded(visit=visit),))


def _on_resynced(state: AcdState, event: Resynced) -> Decision:
    seen = {w.channel: w for w in event.waiting if w.channel not in state.gone}
    effects: list[Effect] = []
    added = removed = changed = 0
    for current in state.waiting:
        if current.channel not in seen:
            removed += 1
            effects.append(QueueVisitEnded(visit=_visit(current, event.at, VisitOutcome.LOST)))
    for call in seen.values():
        known = state.waiting.get(call.channel)
        if known is None:
            added += 1
            effects.append(CallWaiting(call=call))
        elif known != call:
            changed += 1
    effects.append(ResyncApplied(added=added, removed=removed, changed=changed))
    waiting = WaitingCalls(MappingProxyType(seen))
    queues = state.known_queues | {c.queue for c in seen.values()}
    return Decision(replace(state, waiting=waiting, known_queues=queues), tuple(effects))


def _visit(call: WaitingCall, left_at: Instant, outcome: VisitOutcome) -> QueueVisit:
    return QueueVisit(
        call=call.call,
        channel=call.channel,
        queue=call.queue,
        caller=call.caller,
        priority=call.priority,
        entered_at=call.entered_at,
        left_at=left_at,
        outcome=outcome,
    )


def _remember_gone(gone: Mapping[ChannelId, None], channel: ChannelId) -> Mapping[ChannelId, None]:
    if channel in gone:
        return gone
    kept = list(gone)[-(GONE_MEMORY - 1) :]
    return MappingProxyType({**dict.fromkeys(kept), channel: None})
