"""The one contacts upload in flight (campaigns rule 4a) and what a stop does to it.

Rule 1: one upload holds the slot at a time; `busy` says whether another one does, so the
handler can refuse before it reads a body.
Rule 2: a stop cancels the upload in flight (app.on_shutdown) instead of waiting for it:
its transaction is rolled back, its client gets no answer and so knows nothing was
taken, and the server stops within its grace (wiring rule 6). aiohttp's own shutdown only
fails the request's body stream, which an upload already read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


class UploadSlot:
    def __init__(self) -> None:
        self._holder: asyncio.Task[object] | None = None

    @property
    def busy(self) -> bool:
        return self._holder is not None

    @asynccontextmanager
    async def holding(self) -> AsyncIterator[None]:
        """Rule 1: the caller checked `busy`; nothing awaits between that and this."""
        assert self._holder is None, "the upload slot is taken"
        self._holder = asyncio.current_task()
        try:
            yield
        finally:
            self._holder = None

    async def cancel(self, _app: web.Application | None = None) -> None:
        """Rule 2 (app.on_shutdown)."""
        if self._holder is not None:
            self._holder.cancel()
