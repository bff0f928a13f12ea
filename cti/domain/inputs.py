"""Inputs to the core: telephony events (past tense), resync snapshots and ticks.

Rule 1: every input is a frozen, slotted, keyword-only dataclass carrying its own time.
Rule 2: the unions are closed; `decide` matches them exhaustively.
Rule 3: nothing here knows AMI header names; cti/ami translates frames into these.
"""

from __future__ import annotations

from dataclasses import dataclass

from cti.domain.ids import ChannelId, Instant
from cti.domain.queue import WaitingCall


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerQueued:
    """A caller's channel entered a queue's holding loop (dialplan UserEvent CtiQueueEnter)."""

    at: Instant
    entry: WaitingCall


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelHungUp:
    at: Instant
    channel: ChannelId
    cause: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Resynced:
    """Asterisk's own picture after a (re)login: every channel waiting in a queue."""

    at: Instant
    waiting: tuple[WaitingCall, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick:
    """The engine woke for a deadline; `at` is the time it woke."""

    at: Instant


TelephonyEvent = CallerQueued | ChannelHungUp
Input = CallerQueued | ChannelHungUp | Resynced | Tick
