"""Retention of call recordings (issue 16, P11): a file is deleted once it is older than
the retention; its row stays, marked deleted (cti/storage/recording_store.py rule 3).

Rule 1: every `interval` seconds (an hour) the keeper deletes, oldest first and BATCH at
a time, the files of recordings answered before now - retention and marks them deleted; a
file already gone is marked all the same.
Rule 2: files under the core's root (`cti/`) that no recording names (its row lost, say)
are deleted once modified before now - retention: nothing the core named outlives it.
Files elsewhere in the monitor directory are never touched.
Rule 3: a round that fails (the store did not answer, the disk refused) is logged and
counted; the next one tries again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

from cti.domain.ids import Instant
from cti.recordings.files import RecordingFiles
from cti.storage.recording_store import RecordingStore

logger = logging.getLogger(__name__)

INTERVAL: Final = 3600.0
BATCH: Final = 500
DAY: Final = 86400.0


class RetentionKeeper:
    def __init__(
        self,
        *,
        store: RecordingStore,
        files: RecordingFiles,
        retention_days: float,
        now: Callable[[], Instant],
        interval: float = INTERVAL,
    ) -> None:
        self._store, self._files = store, files
        self._retention = retention_days * DAY
        self._now, self._interval = now, interval
        self.rounds = 0
        self.failed_rounds = 0
        self.deleted = 0  # files deleted (rules 1 and 2)

    async def run(self) -> None:
        while True:
            try:
                await self.expire()
                self.rounds += 1
            except (OSError, TimeoutError) as exc:
                self.failed_rounds += 1
                logger.warning("recording retention failed: %s; the next round tries again", exc)
            await asyncio.sleep(self._interval)

    async def expire(self) -> int:
        """Rules 1 and 2 as of now; returns how many files were deleted."""
        now = self._now()
        before = Instant(now - self._retention)
        deleted = 0
        while batch := await self._store.expired(before, BATCH):
            for entry in batch:
                deleted += await self._files.remove(entry.recording.file)
            await self._store.mark_deleted([e.id for e in batch], now)
        stale = await self._files.older_than(before)
        for start in range(0, len(stale), BATCH):
            some = stale[start : start + BATCH]
            known = await self._store.known(some)
            for file in some:
                if file not in known and await self._files.remove(file):
                    logger.info("recording retention: %s named by no recording, deleted", file)
                    deleted += 1
        self.deleted += deleted
        return deleted
