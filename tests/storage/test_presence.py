"""Agent presence (C1), against real SQLite and PostgreSQL: an agent's latest Presence stands
in agent_presence, a logout removes it, and an older one (a spool replay) never overwrites a
newer one."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from cti.domain.ids import DeviceId, Instant
from cti.domain.records import Presence
from cti.storage import record_json
from cti.storage.database import Database, open_database
from cti.storage.history import SqlHistory
from cti.storage.models import AgentPresenceRow
from tests.storage.samples import at, make_logout, make_presence


def _sequence(agent: str = "1001") -> tuple[Presence, Presence, Presence]:
    """Login, then a not-ready status chosen by a supervisor, then a logout."""
    login = make_presence(1, agent=agent)
    lunch = replace(login, at=at(2), ready=False, reason="lunch", reason_by="supervisor-1")
    return login, lunch, make_logout(3, agent=agent)


async def _stored(database: Database) -> list[Presence]:
    return await database.queries().presence()


def test_presence_round_trips_through_json_exactly() -> None:
    login, lunch, logout = _sequence()
    odd = replace(login, at=Instant(1_700_000_000.123456789), logged_in_at=None, address="")
    records = [login, lunch, logout, odd]

    lines = [record_json.encode(record) for record in records]

    assert [record_json.decode(line) for line in lines] == records
    assert json.loads(lines[2]) == {
        "type": "presence", "agent": "1001", "at": at(3, 0.5), "device": None, "address": "",
        "logged_in_at": None, "ready": True, "reason": None, "reason_by": "",
    }  # fmt: skip


async def test_a_logged_in_agent_is_stored_with_every_field_exact(database_url: str) -> None:
    database = await open_database(database_url)
    away = make_presence(7, agent="1002", ready=False, reason="µ-break")
    unknown_start = replace(make_presence(8, agent="1003"), logged_in_at=None, address="")

    await database.history().record([unknown_start, away])

    assert await _stored(database) == [away, unknown_start]
    await database.close()


async def test_login_status_change_and_logout_in_one_batch_leave_the_last(
    database_url: str,
) -> None:
    database = await open_database(database_url)
    login, lunch, logout = _sequence("1001")
    other_login, other_lunch, _ = _sequence("1002")

    await database.history().record([login, other_login, lunch, other_lunch, logout])

    assert await _stored(database) == [other_lunch]
    await database.close()


async def test_login_status_change_and_logout_across_batches(database_url: str) -> None:
    database = await open_database(database_url)
    history = database.history()
    login, lunch, logout = _sequence()

    await history.record([login])
    after_login = await _stored(database)
    await history.record([lunch])
    after_lunch = await _stored(database)
    await history.record([logout])
    after_logout = await _stored(database)
    await history.record([replace(login, at=at(4), logged_in_at=at(4))])

    assert (after_login, after_lunch, after_logout) == ([login], [lunch], [])
    assert await _stored(database) == [replace(login, at=at(4), logged_in_at=at(4))]
    await database.close()


async def test_an_older_presence_replayed_after_a_newer_one_changes_nothing(
    database_url: str,
) -> None:
    database = await open_database(database_url)
    history = database.history()
    login, lunch, _ = _sequence()
    other = make_presence(5, agent="1002")
    await history.record([login, lunch])

    await history.record([login])  # the first batch again, as a spool replay brings it
    await history.record([replace(make_logout(0), at=at(1)), other])  # an old logout

    assert await _stored(database) == [lunch, other]
    await database.close()


async def test_an_older_login_written_after_the_logout_does_not_bring_the_agent_back(
    database_url: str,
) -> None:
    # A spooled or timed-out batch with the login may land after the batch with the logout.
    database = await open_database(database_url)
    history = database.history()
    login, lunch, logout = _sequence()
    await history.record([login])
    await history.record([logout])

    await history.record([lunch])  # older than the logout, written after it

    assert await _stored(database) == []
    await history.record([replace(login, at=at(9), logged_in_at=at(9))])  # a new login
    assert await _stored(database) == [replace(login, at=at(9), logged_in_at=at(9))]
    await database.close()


async def test_within_a_batch_an_older_presence_after_a_newer_one_changes_nothing(
    database_url: str,
) -> None:
    database = await open_database(database_url)
    login, lunch, logout = _sequence()
    again = replace(lunch, address="198.51.100.9")  # as old as lunch, and after it

    await database.history().record([lunch, login, again, make_logout(0)])
    kept = await _stored(database)
    await database.history().record([logout, lunch])

    assert kept == [again]
    assert await _stored(database) == []
    await database.close()


async def test_a_presence_as_old_as_the_stored_one_replaces_it(database_url: str) -> None:
    database = await open_database(database_url)
    history = database.history()
    login, lunch, _ = _sequence()
    elsewhere = replace(lunch, device=DeviceId("PJSIP/1009"), address="198.51.100.9")
    await history.record([login, lunch])

    await history.record([elsewhere])
    replaced = await _stored(database)
    await history.record([replace(make_logout(0), at=lunch.at)])

    assert replaced == [elsewhere]
    assert await _stored(database) == []  # a logout at the very same instant removes it
    await database.close()


async def test_presence_lists_only_logged_in_agents_by_agent_id(database_url: str) -> None:
    database = await open_database(database_url)
    agents = ("1003", "1001", "1002", "1010")
    await database.history().record([make_presence(n, agent=a) for n, a in enumerate(agents)])

    await database.history().record([make_logout(9, agent="1002")])

    assert await _stored(database) == [
        make_presence(1, agent="1001"),
        make_presence(0, agent="1003"),
        make_presence(3, agent="1010"),
    ]
    await database.close()


async def test_a_replaced_row_carries_the_new_instants(database_url: str) -> None:
    database = await open_database(database_url)
    login, lunch, _ = _sequence()
    first, second = datetime(2024, 5, 1, 8, 0, tzinfo=UTC), datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    await SqlHistory(database, now=lambda: first).record([login])

    await SqlHistory(database, now=lambda: second).record([lunch])

    async with database.engine.connect() as connection:
        row = (await connection.execute(AgentPresenceRow.__table__.select())).mappings().one()
    assert (row["at"].timestamp(), row["recorded_at"]) == (lunch.at, second)
    assert (row["logged_in_at"].timestamp(), row["reason_by"]) == (
        login.logged_in_at,
        "supervisor-1",
    )
    await database.close()
