"""What every store shares: the database it reaches, and a bound on every wait.

Rule 1: every connection a store opens is taken inside `asyncio.timeout(timeout)`, which
also bounds everything done with it (README: every network await has a timeout).
Rule 2: `_writing` is one transaction (committed when the block ends, rolled back on an
exception); `_reading` is a plain connection.
Rule 3: "now" for stored timestamps comes from `now` (injected in tests), never from the
database's clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class EngineSource(Protocol):
    """Hands out the engine, or raises once the database has been closed."""

    @property
    def engine(self) -> AsyncEngine: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class StoreClient:
    """Base of the stores: the source, the timeout and the clock (see the module rules)."""

    def __init__(
        self,
        source: EngineSource,
        *,
        timeout: float = 10.0,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._source = source
        self._timeout = timeout
        self._now = now

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        async with asyncio.timeout(self._timeout), self._source.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        async with asyncio.timeout(self._timeout), self._source.engine.connect() as connection:
            yield connection
