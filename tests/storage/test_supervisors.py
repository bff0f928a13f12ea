"""Supervisors and their sessions in the store (cti/storage/supervisors.py, issue 14; P3,
P22), on SQLite and PostgreSQL: passwords hashed, sessions that expire and end with the
supervisor, a new password ending every session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from cti.domain.config import ConfigError
from cti.storage.config_store import ConfigStore
from cti.storage.database import Database
from cti.storage.errors import ConfigNotFound, InvalidPassword
from cti.storage.supervisors import SupervisorInfo
from cti.storage.tokens import Role

PASSWORD = "correct horse battery"
START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


class Moved:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Moved:
    return Moved()


@pytest.fixture
def store(database: Database, clock: Moved) -> ConfigStore:
    return ConfigStore(database, now=clock)


async def test_a_supervisor_signs_in_with_the_password_and_only_its_hash_is_kept(
    store: ConfigStore, database: Database
) -> None:
    await store.put_supervisor("ann", "supervisor", PASSWORD)
    await store.put_supervisor("root", "admin", PASSWORD + "!")

    assert await store.verify_password("ann", PASSWORD) is Role.SUPERVISOR
    assert await store.verify_password("root", PASSWORD + "!") is Role.ADMIN
    assert await store.verify_password("ann", PASSWORD + "!") is None
    assert await store.verify_password("nobody", PASSWORD) is None
    assert await store.verify_password("ann", "\ud800" * 12) is None  # never a 500
    async with database.engine.connect() as connection:
        dump = str((await connection.execute(text("SELECT * FROM supervisors"))).all())
    assert PASSWORD not in dump and "scrypt$" in dump
    assert await store.list_supervisors() == [
        SupervisorInfo(name="ann", role=Role.SUPERVISOR, active=True),
        SupervisorInfo(name="root", role=Role.ADMIN, active=True),
    ]


@pytest.mark.parametrize(
    ("name", "role", "password", "error", "says"),
    [
        ("ann", "supervisor", "short", InvalidPassword, "10 to 200 characters"),
        ("ann", "supervisor", "x" * 201, InvalidPassword, "10 to 200 characters"),
        ("ann", "supervisor", "tab\there is long", InvalidPassword, "control characters"),
        (" ann", "supervisor", PASSWORD, ConfigError, "supervisor: name"),
        ("ann", "agent", PASSWORD, ConfigError, "supervisor, admin or viewer"),
    ],
)
async def test_a_supervisor_that_cannot_be_set_is_refused_with_the_reason(
    store: ConfigStore, name: str, role: str, password: str, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        await store.put_supervisor(name, role, password)
    assert await store.list_supervisors() == []


async def test_a_session_speaks_for_its_supervisor_until_it_expires(
    store: ConfigStore, database: Database, clock: Moved
) -> None:
    await store.put_supervisor("ann", "supervisor", PASSWORD)
    issued = await store.open_session("ann", Role.SUPERVISOR, 3600)

    found = await store.token_identity(issued.secret)
    assert found is not None
    assert (found.role, found.supervisor) == (Role.SUPERVISOR, "ann")
    assert found.expires_at == (START + timedelta(hours=1)).timestamp()

    clock.at = START + timedelta(seconds=3600)
    fresh = ConfigStore(database, now=clock)  # nothing remembered (config_store rule 5)
    assert await fresh.token_identity(issued.secret) is None


async def test_signing_out_removing_or_a_new_password_ends_the_sessions(
    store: ConfigStore,
) -> None:
    await store.put_supervisor("ann", "supervisor", PASSWORD)
    await store.put_supervisor("bob", "supervisor", PASSWORD)
    first, second = [await store.open_session("ann", Role.SUPERVISOR, 3600) for _ in range(2)]
    bobs = await store.open_session("bob", Role.SUPERVISOR, 3600)
    admin = await store.issue_token("ops", "admin")
    for token in (first, second, bobs):
        assert await store.token_identity(token.secret) is not None

    assert await store.end_session(first.secret)
    assert not await store.end_session(first.secret)  # again: nothing to end
    assert not await store.end_session(admin.secret)  # an API token is no session
    assert await store.token_identity(first.secret) is None
    assert await store.token_identity(second.secret) is not None

    await store.put_supervisor("ann", "admin", PASSWORD + "?")  # a new password
    assert await store.token_identity(second.secret) is None
    assert await store.verify_password("ann", PASSWORD) is None

    await store.remove_supervisor("bob")
    assert await store.token_identity(bobs.secret) is None
    assert await store.verify_password("bob", PASSWORD) is None
    with pytest.raises(ConfigNotFound, match="supervisor bob does not exist"):
        await store.remove_supervisor("bob")
    assert await store.token_identity(admin.secret) is not None
    assert [(p.name, p.active) for p in await store.list_supervisors()] == [
        ("ann", True), ("bob", False)
    ]  # fmt: skip
