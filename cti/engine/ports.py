"""Ports: what the engine needs from the outside, as Protocols.

Adapters (cti/storage, cti/ami, cti/live) implement these; the engine imports only this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cti.domain.records import QueueVisit


class HistorySink(Protocol):
    """Durable history. Writes are batched by the caller; each call is one transaction."""

    async def record_queue_visits(self, visits: Sequence[QueueVisit]) -> None: ...

    async def is_reachable(self) -> bool:
        """True when a trivial query succeeds within the adapter's timeout."""
        ...
