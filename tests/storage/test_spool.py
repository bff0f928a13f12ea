"""BatchingHistory against real databases: batching, outages, spool replay, exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from cti.domain.effects import Record
from cti.domain.ids import AgentId
from cti.engine.ports import HistorySink
from cti.storage import spool_file
from cti.storage.database import open_database
from cti.storage.spool import BatchingHistory, settled
from tests.storage.conftest import PostgresServer
from tests.storage.samples import (
    make_call,
    make_finding,
    make_interval,
    make_offer,
    make_presence,
    make_recording,
    make_session,
    make_visit,
    make_visits,
    one_of_each,
)
from tests.waiting import eventually

FAST = {"interval": 0.05, "write_timeout": 0.5, "backoff_initial": 0.05, "backoff_max": 0.4}

Outage = Callable[[], AbstractAsyncContextManager[None]]


class CountingSink:
    """Passes batches through to a real sink and remembers their sizes."""

    def __init__(self, inner: HistorySink) -> None:
        self.inner = inner
        self.batches: list[int] = []

    async def record(self, records: Sequence[Record]) -> None:
        await self.inner.record(records)
        self.batches.append(len(records))

    async def is_reachable(self) -> bool:
        return await self.inner.is_reachable()


@asynccontextmanager
async def running(history: BatchingHistory) -> AsyncIterator[BatchingHistory]:
    task = asyncio.create_task(history.run())
    try:
        yield history
    finally:
        await history.close()
        await task


@pytest.fixture
def outage(backend: str, database_url: str, request: pytest.FixtureRequest) -> Outage:
    """Takes the database down for the duration of a `with` block, for real."""

    @asynccontextmanager
    async def postgres_stopped() -> AsyncIterator[None]:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        await asyncio.to_thread(server.stop)
        try:
            yield
        finally:
            await asyncio.to_thread(server.start)

    @asynccontextmanager
    async def sqlite_locked() -> AsyncIterator[None]:
        # Another process holding the write lock: writes wait out the busy timeout.
        path = make_url(database_url).database
        assert path is not None
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()

    return postgres_stopped if backend == "postgres" else sqlite_locked


async def test_visits_are_written_in_batches_of_at_most_max_batch(
    database_url: str, tmp_path: Path
) -> None:
    database = await open_database(database_url)
    sink = CountingSink(database.history())
    history = BatchingHistory(sink, tmp_path / "spool.jsonl", max_batch=500)
    visits = make_visits(1200)

    async with running(history):
        for visit in visits:
            history.put(visit)
        await eventually(lambda: history.pending == 0, within=20.0)

    assert sink.batches == [500, 500, 200]
    assert (history.written, history.spooled, history.pending) == (1200, 0, 0)
    assert await database.queue_visits() == visits
    await database.close()


async def test_a_single_visit_is_written_within_the_interval(
    database_url: str, tmp_path: Path
) -> None:
    database = await open_database(database_url)
    history = BatchingHistory(database.history(), tmp_path / "spool.jsonl", interval=0.2)

    async with running(history):
        await asyncio.sleep(0.05)
        history.put(make_visit(1))
        await eventually(lambda: history.written == 1, within=1.0)

    assert await database.queue_visits() == [make_visit(1)]
    await database.close()


async def test_while_the_database_is_down_visits_are_spooled_then_stored_exactly_once(
    backend: str, database_url: str, outage: Outage, tmp_path: Path
) -> None:
    database = await open_database(database_url)
    spool = tmp_path / "spool.jsonl"
    history = BatchingHistory(database.history(), spool, **FAST)
    async with running(history):
        await history.record(make_visits(10))
        await eventually(lambda: history.written == 10, within=20.0)

        async with outage():
            for visit in [*make_visits(50, start=10), make_visit(5)]:
                history.put(visit)
            await eventually(lambda: history.spooled == 51 and history.pending == 51, within=20.0)
            assert spool_file.count(spool)[0] == 51
            if backend == "postgres":
                assert not await history.is_reachable()

        await eventually(lambda: history.pending == 0, within=20.0)
        assert await history.is_reachable()

    assert await database.queue_visits() == make_visits(60)
    assert spool.stat().st_size == 0
    await database.close()


async def test_visits_spooled_when_the_database_closed_arrive_after_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    database = await open_database(database_url)
    await database.close()
    first = BatchingHistory(database.history(), spool, **FAST)
    async with running(first):
        await first.record(make_visits(30))
        await eventually(lambda: first.spooled == 30, within=20.0)
        assert not await first.is_reachable()

    reopened = await open_database(database_url)
    second = BatchingHistory(reopened.history(), spool, **FAST)
    async with running(second):
        await eventually(lambda: second.pending == 0, within=20.0)

    assert second.written == 30
    assert await reopened.queue_visits() == make_visits(30)
    assert spool.stat().st_size == 0
    await reopened.close()


async def test_a_spool_left_by_a_crashed_run_is_replayed_first_and_only_once(
    database_url: str, tmp_path: Path
) -> None:
    database = await open_database(database_url)
    await database.history().record(make_visits(5))
    spool = tmp_path / "spool.jsonl"
    spool_file.append(spool, make_visits(7, start=3))  # 3 and 4 were committed before the crash
    with spool.open("ab") as torn:
        torn.write(b'{"call":"call-99","chan')  # the crash cut this append short
    sink = CountingSink(database.history())
    history = BatchingHistory(sink, spool, **FAST)

    async with running(history):
        history.put(make_visit(10))
        await eventually(lambda: history.pending == 0, within=20.0)

    assert sink.batches[0] == 7  # the spool, before the visit put after start
    assert await database.queue_visits() == make_visits(11)
    assert spool.stat().st_size == 0
    await database.close()


async def test_a_settle_marked_after_load_waits_for_the_previous_runs_spool(
    database_url: str, tmp_path: Path
) -> None:
    """Rule 7: from load() on the spool counts as accepted, so a start that marks what to
    wait for before the writer has run (cti/wiring.py rule 4) waits for it; it read the
    database without it when the count was the writer task's first step."""
    database = await open_database(database_url)
    spool = tmp_path / "spool.jsonl"
    spool_file.append(spool, make_visits(40))
    history = BatchingHistory(database.history(), spool, **FAST)
    await history.load()
    assert (history.accepted, history.pending) == (40, 40)
    waiting = asyncio.create_task(settled(history, 20.0))
    async with running(history):
        assert await waiting
        assert await database.queue_visits() == make_visits(40)
    await history.load()  # once only: the spool is not counted again
    assert (history.accepted, history.pending) == (40, 0)
    await database.close()


async def test_close_flushes_visits_even_if_run_never_started(
    database_url: str, tmp_path: Path
) -> None:
    database = await open_database(database_url)
    history = BatchingHistory(database.history(), tmp_path / "spool.jsonl")
    for visit in make_visits(3):
        history.put(visit)

    await history.close()

    assert history.pending == 0
    assert await database.queue_visits() == make_visits(3)
    await database.close()


async def test_close_with_the_database_down_keeps_everything_in_the_spool(
    database_url: str, tmp_path: Path
) -> None:
    database = await open_database(database_url)
    await database.close()
    spool = tmp_path / "spool.jsonl"
    history = BatchingHistory(database.history(), spool, **FAST)
    task = asyncio.create_task(history.run())
    await asyncio.sleep(0.1)
    history.put(make_visit(1))
    history.put(make_visit(2))

    await history.close()
    await task

    assert spool_file.read(spool, 0, 100).records == make_visits(2, start=1)


async def test_a_mixed_batch_spooled_during_an_outage_arrives_exactly_once(
    database_url: str, outage: Outage, tmp_path: Path
) -> None:
    database = await open_database(database_url)
    spool = tmp_path / "spool.jsonl"
    history = BatchingHistory(database.history(), spool, **FAST)
    async with running(history):
        await history.record(one_of_each(0))
        await eventually(lambda: history.written == 8, within=20.0)

        async with outage():
            batch = [*one_of_each(1), *one_of_each(2), *one_of_each(0)]  # 0 is already stored
            for record in batch:
                history.put(record)
            await eventually(lambda: history.spooled == 24 and history.pending == 24, within=20.0)
            assert spool_file.read(spool, 0, 100).records == batch

        await eventually(lambda: history.pending == 0, within=20.0)

    queries = database.queries()
    assert await database.queue_visits() == [make_visit(n) for n in range(3)]
    assert (await queries.findings()).items == [make_finding(n) for n in range(3)]
    assert await queries.state_intervals(AgentId("1001")) == [make_interval(n) for n in range(3)]
    assert await queries.login_sessions(AgentId("1001")) == [make_session(n) for n in range(3)]
    assert await queries.presence() == [make_presence(2)]  # 0, replayed last, is older
    listed = (await database.recordings().entries()).items
    assert [e.recording for e in listed] == [make_recording(n) for n in range(3)]
    for n in range(3):
        detail = await queries.call(make_call(n).call)
        assert detail is not None
        assert (detail.record, detail.offers) == (make_call(n), (make_offer(n),))
    assert spool.stat().st_size == 0
    await database.close()
