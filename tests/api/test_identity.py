"""Agent tokens bound to a login (P3), and that login taken back after a restart (C1)."""

from __future__ import annotations

from datetime import UTC, datetime

from cti.api.identity import Identity, login_current, login_of, login_token_name
from cti.domain.commands import RestoreLogins
from cti.domain.ids import AgentId, Instant
from cti.domain.records import Presence
from cti.storage.tokens import Role
from tests.unit.acd_kit import Acd, agent, config, device, queue

A1 = AgentId("1001")
LOGIN = Instant(1_795_470_123.4567896)  # finer than a microsecond, as clocks give it


def restored(at: Instant) -> Acd:
    acd = Acd()
    acd.load(config([queue()], [agent("1001")]))
    login = Presence(agent=A1, at=at, device=device("1001"), logged_in_at=at)
    acd.feed(RestoreLogins(at=acd.now, logins=(login,)))
    return acd


def test_a_token_speaks_for_its_login_after_the_login_went_through_the_database() -> None:
    identity = Identity(role=Role.AGENT, name=login_token_name(A1, LOGIN), agent=A1)
    identity = Identity(
        role=identity.role, name=identity.name, agent=A1, login=login_of(identity.name)
    )
    # The database keeps microseconds: the login comes back rounded.
    stored = datetime.fromtimestamp(LOGIN, UTC).replace(tzinfo=None)
    back = Instant(stored.replace(tzinfo=UTC).timestamp())
    assert back != LOGIN

    assert login_current(identity, restored(back).state)
    assert not login_current(identity, restored(Instant(LOGIN + 0.001)).state)  # another login
