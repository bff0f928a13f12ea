"""BatchingHistory: takes records off the engine's hot path and gets them stored exactly once.

Rule 1: put() is synchronous, never awaits and never raises; it only appends to memory.
Rule 2: a record leaves memory only once it is durable: committed by the inner sink, or
appended (fsync'd) to the local spool file. Until then it stays at the head of the buffer,
so a cancelled write or spill loses nothing.
Rule 3: while the spool holds records, new batches are appended to it behind them, and the
spool is replayed in file order; it is truncated only once all its records are committed.
Rule 4: the database is retried with capped exponential backoff; every write has a timeout.
Rule 5: anything may be written twice (a write that timed out but committed, a replay after
a crash); the inner sink's natural keys make that a no-op, so nothing is recorded twice.
Rule 6: only the run() task touches the spool file (close() only after run() has stopped);
one process owns one spool file.
Rule 7: a spool a previous run left counts as accepted from load() on (run() loads it if
nobody did): `settled` marks `accepted`, so a start that marked before the spool was counted
would read the database without it. The server awaits load() before anything reads.
Durability starts at commit or spill: records still in memory (at most one interval's worth)
die with the process; close() flushes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Protocol

from cti.domain.effects import Record
from cti.engine.ports import HistorySink
from cti.storage import spool_file

logger = logging.getLogger(__name__)


class Progress(Protocol):
    """How far a history writer got: records accepted so far, and those of them not
    committed yet; written in order, so accepted - pending of them are committed."""

    @property
    def accepted(self) -> int: ...

    @property
    def pending(self) -> int: ...


async def settled(history: Progress, within: float) -> bool:
    """Every record accepted until now is committed, within `within` seconds: what was
    read from the store after that has them all (the spool of a previous run included)."""
    mark = history.accepted
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while history.accepted - history.pending < mark:
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.05)
    return True


class BatchingHistory:
    """A HistorySink and HistoryRecorder that batches, spools when the database is down, replays.

    Records of every type share one buffer and one spool, in the order they were put.
    """

    def __init__(
        self,
        inner: HistorySink,
        spool: Path,
        *,
        max_batch: int = 500,
        interval: float = 0.2,
        write_timeout: float = 5.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        close_timeout: float = 10.0,
    ) -> None:
        self._inner = inner
        self._spool = spool
        self._max_batch = max_batch
        self._interval = interval
        self._write_timeout = write_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._close_timeout = close_timeout
        self._buffer: list[Record] = []
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writes: set[asyncio.Task[None]] = set()  # referenced until done, even when late
        self._closing = False
        self._spool_open = False  # the spool file may hold records (or bytes) to replay
        self._loaded = False  # the previous run's spool is counted (rule 7)
        self._spool_offset = 0  # bytes of the spool already committed during this run
        self._spool_records = 0
        self._backoff = backoff_initial
        self._retry_at = 0.0  # loop time before which the database is not tried again
        self._healthy = True
        self.written = 0  # records committed by the inner sink (replays included)
        self.spooled = 0  # records appended to the spool file
        self.pending = 0  # records accepted but not yet committed (in memory or spooled)
        self.accepted = 0  # records accepted (spooled ones of a previous run included)

    def put(self, record: Record) -> None:
        """Accepts a record for storage. Never awaits, never raises."""
        try:
            if self._closing:
                logger.warning("%s put after close; it waits for a spill", type(record).__name__)
            self._buffer.append(record)
            self.pending += 1
            self.accepted += 1
            if len(self._buffer) >= self._max_batch:
                self._wake.set()
        except Exception:
            logger.exception("could not accept history record %r", record)

    async def record(self, records: Sequence[Record]) -> None:
        """Accepts the records; they are written in the background (see put)."""
        for record in records:
            self.put(record)

    async def is_reachable(self) -> bool:
        return await self._inner.is_reachable()

    async def run(self) -> None:
        """Replays a spool left by a previous run, then writes batches until close()."""
        self._task = asyncio.current_task()
        try:
            await self.load()
            while not self._closing:
                await self._guarded_cycle()
                await self._sleep()
            await self._guarded_cycle()
        finally:
            self._stopped.set()

    async def close(self) -> None:
        """Stops run() after a last flush; whatever is still in memory then goes to the spool."""
        self._closing = True
        self._wake.set()
        task = self._task
        try:
            async with asyncio.timeout(self._close_timeout):
                if task is None or task.done():
                    await self._guarded_cycle()  # run() never ran or was cancelled: flush here
                else:
                    await self._stopped.wait()
        except TimeoutError:
            logger.warning("history flush timed out after %.1f s", self._close_timeout)
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._buffer and not await self._spill():
            logger.error("%d history records lost: database and spool both failed", self.pending)
        if self._writes:  # late writes still hold connections; let them end before the pool does
            await asyncio.wait(set(self._writes), timeout=self._write_timeout)

    async def _guarded_cycle(self) -> None:
        # A bug here must not kill the writer: the buffer is intact, so the next cycle retries.
        try:
            await self._cycle()
        except Exception:
            logger.exception("history writer cycle failed; retrying")

    async def _cycle(self) -> None:
        if self._spool_open and self._due():
            await self._replay()
        while self._buffer and not self._spool_open and self._due():
            batch = self._buffer[: self._max_batch]
            if not await self._write(batch):
                break
            del self._buffer[: len(batch)]
            self.pending -= len(batch)
        if self._buffer and (self._spool_open or not self._due()):
            await self._spill()

    async def _sleep(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._interval):
                await self._wake.wait()
        self._wake.clear()

    async def _write(self, records: Sequence[Record]) -> bool:
        try:
            await self._bounded(self._inner.record(list(records)))
        except Exception as exc:
            self._failed(exc)
            return False
        self.written += len(records)
        self._succeeded()
        return True

    async def _bounded(self, write: Coroutine[object, object, None]) -> None:
        """Awaits the write for at most write_timeout; a late write is left to finish alone.

        Cancelling a database call midway is worse than waiting: a cancelled SQLAlchemy
        transaction rolls back before it lets go (so asyncio.timeout is no bound), and an
        aiosqlite statement that completes after its cancellation can leave its connection
        holding the SQLite write lock. So a late write keeps running as its own task, bounded
        by the driver's timeouts (SQLite busy timeout, asyncpg command_timeout), and may still
        commit; the unique key makes the retry that follows harmless.
        """
        task = asyncio.create_task(write, name="history-write")
        self._writes.add(task)
        task.add_done_callback(self._reap)
        done, _ = await asyncio.wait({task}, timeout=self._write_timeout)
        if task in done:
            return task.result()
        raise TimeoutError(f"history write took longer than {self._write_timeout:.1f} s")

    def _reap(self, task: asyncio.Task[None]) -> None:
        self._writes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.debug("history write ended with %r", task.exception())

    async def _spill(self) -> bool:
        """Moves the whole buffer to the spool file; False (buffer kept) if that fails."""
        batch = list(self._buffer)
        try:
            await asyncio.to_thread(spool_file.append, self._spool, batch)
        except OSError:
            logger.exception("could not spool %d history records to %s", len(batch), self._spool)
            return False
        del self._buffer[: len(batch)]
        self.spooled += len(batch)
        self._spool_records += len(batch)
        self._spool_open = True
        return True

    async def _replay(self) -> None:
        while True:
            try:
                chunk = await asyncio.to_thread(
                    spool_file.read, self._spool, self._spool_offset, self._max_batch
                )
            except OSError:
                logger.exception("could not read the history spool %s", self._spool)
                return
            if chunk.lines == 0:
                await self._empty_spool()
                return
            if chunk.records and not await self._write(chunk.records):
                return
            self._spool_offset = chunk.end
            self._spool_records -= chunk.lines
            self.pending -= chunk.lines

    async def _empty_spool(self) -> None:
        try:
            await asyncio.to_thread(spool_file.truncate, self._spool)
        except OSError:
            logger.exception("could not truncate the history spool %s", self._spool)
            return
        logger.info("history spool %s replayed", self._spool)
        self._spool_open = False
        self._spool_offset = 0
        self._spool_records = 0

    async def load(self) -> None:
        """Counts the records of a spool left by a previous run as accepted (rule 7); once."""
        if self._loaded:
            return
        self._loaded = True
        try:
            records, size = await asyncio.to_thread(spool_file.count, self._spool)
        except OSError:
            logger.exception("could not read the history spool %s", self._spool)
            records, size = 0, 1  # try again through replay, with backoff
        if size:
            logger.info("replaying %d history records from %s", records, self._spool)
            self._spool_open = True
            self._spool_records += records
            self.pending += records
            self.accepted += records

    def _due(self) -> bool:
        return asyncio.get_running_loop().time() >= self._retry_at

    def _failed(self, exc: Exception) -> None:
        if self._healthy:
            logger.warning("history database write failed, spooling: %r", exc)
        else:
            logger.debug("history database write failed again: %r", exc)
        self._healthy = False
        self._retry_at = asyncio.get_running_loop().time() + self._backoff
        self._backoff = min(self._backoff * 2, self._backoff_max)

    def _succeeded(self) -> None:
        if not self._healthy:
            logger.info("history database writes succeed again")
        self._healthy = True
        self._backoff = self._backoff_initial
        self._retry_at = 0.0
