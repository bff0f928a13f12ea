"""ConfigWatch: the running server follows configuration changed behind its back (issue 12,
item 1), e.g. `cti admin` writing the database with no server configured.

Rule 1: every `interval` seconds the stored configuration is read whole; when it differs
from the one last handed on, it is handed on (`apply`: the engine's LoadConfig). The API's
own changes load at once (cti/api/admin.py rule 2); this only reconciles, so a change seen
twice is handed on twice, which changes nothing.
Rule 2: a read that fails is logged and tried again next round; it never stops the watch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from cti.domain.config import AcdConfig
from cti.logs import Repeats

logger = logging.getLogger(__name__)


class ConfigSource(Protocol):
    async def load(self) -> AcdConfig: ...


class ConfigWatch:
    def __init__(
        self,
        store: ConfigSource,
        apply: Callable[[AcdConfig], Awaitable[object]],
        *,
        interval: float = 2.0,
    ) -> None:
        self._store, self._apply, self._interval = store, apply, interval
        self._last: AcdConfig | None = None

    def loaded(self, config: AcdConfig) -> None:
        """What the engine was given at start."""
        self._last = config

    async def step(self) -> bool:
        """One look (rule 1); whether the configuration was handed on."""
        config = await self._store.load()
        if config == self._last:
            return False
        await self._apply(config)
        self._last = config
        logger.info("configuration changed in the database: loaded")
        return True

    async def run(self) -> None:
        failures = Repeats(logger, "could not read the stored configuration")
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.step()
            except Exception as exc:  # rule 2
                failures.failed(exc)
            else:
                failures.succeeded()
