"""Ports: what the engine needs from the outside, as Protocols.

Adapters (cti/storage, cti/ami, cti/live) implement these; the engine imports only this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from cti.domain.acd import Decision
from cti.domain.ids import Instant
from cti.domain.inputs import Input
from cti.domain.records import QueueVisit


class HistorySink(Protocol):
    """Durable history. Writes are batched by the caller; each call is one transaction."""

    async def record_queue_visits(self, visits: Sequence[QueueVisit]) -> None: ...

    async def is_reachable(self) -> bool:
        """True when a trivial query succeeds within the adapter's timeout."""
        ...


class VisitRecorder(Protocol):
    """The engine's hot path hands history over without awaiting (a batching writer)."""

    def put(self, visit: QueueVisit) -> None: ...


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
