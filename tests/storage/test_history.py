"""SqlHistory with every record type, against real SQLite and PostgreSQL (C1, C3, C4, C6, P2,
P3, P5, P7: what the core records must come back exactly, once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, select, text

from cti.domain.effects import Record
from cti.domain.ids import AgentId, CallId
from cti.domain.records import Segment, SegmentKind
from cti.storage.database import Database, open_database
from cti.storage.models import Base, CallSegmentRow
from tests.storage.samples import (
    at,
    make_call,
    make_finding,
    make_interval,
    make_logout,
    make_offer,
    make_presence,
    make_recording,
    make_session,
    make_visit,
    one_of_each,
)

Reader = Callable[[Database, Record], Awaitable[list[Record]]]


async def _visits(database: Database, _record: Record) -> list[Record]:
    return list(await database.queue_visits())


async def _offers(database: Database, record: Record) -> list[Record]:
    assert hasattr(record, "call")
    return list(await database.queries().offers(record.call))


async def _call(database: Database, record: Record) -> list[Record]:
    assert hasattr(record, "call")
    detail = await database.queries().call(record.call)
    return [] if detail is None else [detail.record]


async def _intervals(database: Database, record: Record) -> list[Record]:
    assert hasattr(record, "agent")
    return list(await database.queries().state_intervals(record.agent))


async def _sessions(database: Database, record: Record) -> list[Record]:
    assert hasattr(record, "agent")
    return list(await database.queries().login_sessions(record.agent))


async def _findings(database: Database, _record: Record) -> list[Record]:
    return (await database.queries().findings()).items


async def _presence(database: Database, _record: Record) -> list[Record]:
    return list(await database.queries().presence())


async def _recordings(database: Database, record: Record) -> list[Record]:
    assert hasattr(record, "call")
    page = await database.recordings().entries(call=record.call)
    return [entry.recording for entry in page.items]


KINDS: list[tuple[Callable[[int], Record], Reader]] = [
    (make_visit, _visits),
    (make_offer, _offers),
    (make_call, _call),
    (make_interval, _intervals),
    (make_session, _sessions),
    (make_finding, _findings),
    (make_presence, _presence),
    (make_recording, _recordings),
]


@pytest.mark.parametrize(("make", "read"), KINDS, ids=lambda k: getattr(k, "__name__", ""))
async def test_each_record_type_round_trips_exactly(
    database_url: str, make: Callable[[int], Record], read: Reader
) -> None:
    database = await open_database(database_url)
    record = make(7)

    await database.history().record([record])

    assert await read(database, record) == [record]
    await database.close()


async def test_a_mixed_batch_recorded_twice_is_stored_once(database_url: str) -> None:
    database = await open_database(database_url)
    history = database.history()
    batch = one_of_each(1) + one_of_each(2)

    await history.record([*batch, *one_of_each(1)])
    await history.record(batch)

    counts = {}
    async with database.engine.connect() as connection:
        for table in (
            "queue_visits",
            "offers",
            "call_records",
            "call_segments",
            "agent_state_intervals",
            "login_sessions",
            "findings",
            "agent_presence",
        ):
            counts[table] = (
                await connection.execute(text(f"SELECT count(*) FROM {table}"))
            ).scalar()
    assert counts == {
        "queue_visits": 2,
        "offers": 2,
        "call_records": 2,
        "call_segments": 6,
        "agent_state_intervals": 2,
        "login_sessions": 2,
        "findings": 2,
        "agent_presence": 1,
    }
    await database.close()


async def test_a_call_stored_once_keeps_the_segments_it_was_stored_with(database_url: str) -> None:
    database = await open_database(database_url)
    call = make_call(3)
    longer = replace(
        call,
        segments=(*call.segments, Segment(kind=SegmentKind.HOLD, start=at(3, 90), end=at(3, 95))),
    )

    await database.history().record([call])
    await database.history().record([longer])

    detail = await database.queries().call(call.call)
    assert detail is not None and detail.record == call
    await database.close()


@pytest.mark.postgres
async def test_a_batch_the_database_refuses_stores_nothing(fresh_postgres_url: str) -> None:
    database = await open_database(fresh_postgres_url)
    await database.history().record([make_presence(0)])
    poisoned = replace(make_finding(2), detail="nul\x00byte")  # PostgreSQL text refuses NUL

    with pytest.raises(Exception, match="0x00"):
        await database.history().record([*one_of_each(1), make_logout(3), poisoned])

    assert await database.queue_visits() == []
    assert await database.queries().call(CallId("call-1")) is None
    assert await database.queries().presence() == [make_presence(0)]  # the logout rolled back
    await database.close()


async def test_segments_keep_their_order_and_seconds(database_url: str) -> None:
    database = await open_database(database_url)
    call = make_call(4, agents=("1001", "1002"))

    await database.history().record([call])

    async with database.engine.connect() as connection:
        query = select(CallSegmentRow.ordinal, CallSegmentRow.kind, CallSegmentRow.seconds)
        stored = (await connection.execute(query.order_by(CallSegmentRow.ordinal))).all()
    assert [tuple(row) for row in stored] == [
        (i, s.kind.value, s.seconds) for i, s in enumerate(call.segments)
    ]
    await database.close()


async def test_the_schema_the_migrations_build_matches_the_models(database_url: str) -> None:
    database = await open_database(database_url)

    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []
        max_id = await connection.execute(select(func.count()).select_from(text("config_revision")))
        assert max_id.scalar() == 1
    await database.close()


async def test_instants_keep_microseconds_on_every_table(database_url: str) -> None:
    database = await open_database(database_url)
    offer = replace(make_offer(5), offered_at=at(5, 0.000001), agent=AgentId("µ-agent"))

    await database.history().record([offer])

    assert await database.queries().offers(offer.call) == [offer]
    await database.close()
