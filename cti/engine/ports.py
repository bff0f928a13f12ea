"""Ports: what the engine needs from the outside, as Protocols.

Adapters (cti/storage, cti/ami, cti/live) implement these; the engine imports only this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from cti.domain.effects import Instruction, Record
from cti.domain.ids import Instant
from cti.domain.inputs import Input
from cti.domain.state import Decision


class HistorySink(Protocol):
    """Durable history. Writes are batched by the caller; each call is one transaction.
    Every record has a natural key, so writing one again stores nothing new."""

    async def record(self, records: Sequence[Record]) -> None: ...

    async def is_reachable(self) -> bool:
        """True when a trivial query succeeds within the adapter's timeout."""
        ...


class HistoryRecorder(Protocol):
    """The engine's hot path hands history over without awaiting (a batching writer)."""

    def put(self, record: Record) -> None: ...


class CallControl(Protocol):
    """Performs the core's instructions on Asterisk (cti/ami/control.py)."""

    def perform(self, instruction: Instruction) -> None:
        """Start the instruction without blocking. Failure comes back to the engine as a
        CallControlFailed input, never as an exception here."""
        ...


class LiveFeed(Protocol):
    """Receives every decision after its effects ran (WebSocket hub, live projection).
    Must not block and should not raise."""

    def publish(self, decision: Decision) -> None: ...


class Observer(Protocol):
    """Metrics derived from what the engine sees and decides (cti/metrics.py)."""

    def ami_event(self, name: str) -> None: ...

    def ami_malformed(self) -> None: ...

    def inbox_overflowed(self) -> None: ...

    def decided(self, decision: Decision, *, lag: float) -> None: ...


Headers = Mapping[str, str | list[str]]  # one AMI frame; a repeated header is a list


class FrameReader(Protocol):
    """Turns AMI frames into core inputs (cti/ami/normalize.py)."""

    def name(self, headers: Headers) -> str:
        """The frame's event name, for counting; raises ValueError when it has none."""
        ...

    def read(self, headers: Headers, received_at: Instant) -> Input | None:
        """The input, or None for events of no interest; raises ValueError when malformed."""
        ...
