"""ConfigStore against real SQLite and PostgreSQL: the configuration the ACD routes by
(C2 queues and skills, C3 ring limits, C4 wrap-up, P5 reasons) and the credentials the
API checks (P22: hashed PINs and tokens, never stored in clear)."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from types import MappingProxyType

import pytest
from sqlalchemy import select, text

from cti.domain.config import (
    AcdConfig,
    AgentProfile,
    ConfigError,
    MaxWaitAction,
    NotReadyReason,
    QueueConfig,
    Strategy,
)
from cti.domain.ids import AgentId, QueueId
from cti.storage.config_store import ConfigChange, ConfigStore, Counts
from cti.storage.database import Database
from cti.storage.errors import ConfigConflict, ConfigNotFound, InvalidPin
from cti.storage.models import AgentRow, ApiTokenRow
from cti.storage.token_cache import TTL_S, TokenCache
from cti.storage.tokens import Role, TokenIdentity

SUPPORT = QueueConfig(id=QueueId("support"))
SALES = QueueConfig(
    id=QueueId("sales"), name="Sales", strategy=Strategy.SKILLS, ring_limit=4, ring_cadence=5.0,
    misses_before_not_ready=2, max_wrap_up=45.5, dispositions=("sale", "no sale"),
    disposition_required=True, skill="french", min_skill_level=3, widen_after=30.0,
    overflow_after=120.0, overflow_queue=QueueId("support"), max_wait=600.0,
    max_wait_action=MaxWaitAction.CALLBACK,
)  # fmt: skip
ALICE = AgentProfile(
    id=AgentId("1001"), name="Alice", skills=MappingProxyType({"french": 5, "billing": 2}),
    queues=MappingProxyType({QueueId("sales"): 0, QueueId("support"): 2}),
)  # fmt: skip
LUNCH = NotReadyReason(code="lunch", label="Lunch", max_seconds=3600.0)


@pytest.fixture
def store(database: Database) -> ConfigStore:
    return ConfigStore(database)


async def test_an_empty_database_holds_an_empty_configuration(store: ConfigStore) -> None:
    snapshot = await store.snapshot()

    assert snapshot.config == AcdConfig()
    assert snapshot.revision == 0


async def test_queues_agents_and_reasons_round_trip_with_every_field(store: ConfigStore) -> None:
    await store.put_queue(SUPPORT)
    await store.put_queue(SALES)
    await store.put_agent(ALICE, pin="0042")
    await store.put_reason(LUNCH)

    config = await store.load()

    assert config.queues == {"sales": SALES, "support": SUPPORT}
    assert config.agents == {"1001": ALICE}
    assert config.reasons == {"lunch": LUNCH}
    assert (await store.snapshot()).revision == 4


async def test_an_update_replaces_the_value_and_an_agents_skills_and_queues(
    store: ConfigStore,
) -> None:
    await store.apply(ConfigChange(queues=(SUPPORT, SALES), agents=(ALICE,), reasons=(LUNCH,)))
    moved = AgentProfile(id=ALICE.id, name="Alice B", skills=MappingProxyType({"german": 1}),
                         queues=MappingProxyType({QueueId("support"): 0}))  # fmt: skip

    summary = await store.apply(
        ConfigChange(agents=(moved, AgentProfile(id=AgentId("1002"))), reasons=(LUNCH,))
    )

    assert (summary.agents, summary.reasons, summary.queues) == (
        Counts(created=1, updated=1), Counts(updated=1), Counts()
    )  # fmt: skip
    assert (await store.load()).agents == {"1001": moved, "1002": AgentProfile(id=AgentId("1002"))}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (ConfigChange(queues=(QueueConfig(id=QueueId("q1"), ring_limit=0),)),
         "queue q1: ring_limit must be 1-50"),
        (ConfigChange(agents=(AgentProfile(id=AgentId("9"), queues=MappingProxyType(
            {QueueId("nowhere"): 0})),)), "agent 9: queue nowhere is not configured"),
        (ConfigChange(queues=(QueueConfig(id=QueueId("q1"), overflow_after=1.0,
                                          overflow_queue=QueueId("gone")),)),
         "queue q1: overflow queue gone is not configured"),
        (ConfigChange(queues=(SUPPORT, SUPPORT)), "queue support given more than once"),
        (ConfigChange(reasons=(NotReadyReason(code="x", max_seconds=0),)),
         "reason x: max_seconds must be in (0, 86400] s"),
    ],
)  # fmt: skip
async def test_an_invalid_change_is_refused_whole_and_changes_nothing(
    store: ConfigStore, change: ConfigChange, message: str
) -> None:
    await store.put_queue(SUPPORT)
    before = await store.snapshot()
    mixed = ConfigChange(
        queues=(*change.queues, QueueConfig(id=QueueId("fine"))),
        agents=change.agents, reasons=(*change.reasons, NotReadyReason(code="fine")),
    )  # fmt: skip

    with pytest.raises(ConfigError) as refused:
        await store.apply(mixed)

    assert str(refused.value) == message
    assert await store.snapshot() == before


async def test_a_queue_with_members_or_feeding_overflow_cannot_be_deleted(
    store: ConfigStore,
) -> None:
    await store.apply(ConfigChange(queues=(SUPPORT, SALES), agents=(ALICE,)))

    with pytest.raises(ConfigConflict, match=r"queue support still has members \(1001\)"):
        await store.delete_queue(QueueId("support"))
    await store.put_agent(AgentProfile(id=ALICE.id, queues=MappingProxyType({SALES.id: 0})))
    with pytest.raises(ConfigConflict, match="queue support is the overflow of sales"):
        await store.delete_queue(QueueId("support"))
    with pytest.raises(ConfigNotFound, match="queue nowhere does not exist"):
        await store.delete_queue(QueueId("nowhere"))
    await store.delete_agent(ALICE.id)
    await store.delete_queue(SALES.id)
    await store.delete_queue(SUPPORT.id)

    assert await store.load() == AcdConfig()


async def test_a_deleted_agent_leaves_no_pin_no_membership_and_no_live_token(
    store: ConfigStore, database: Database
) -> None:
    await store.apply(ConfigChange(queues=(SUPPORT, SALES), agents=(ALICE,)))
    await store.put_agent(ALICE, pin="123456")
    secret = await store.create_token("alice desk", Role.AGENT, ALICE.id)
    assert await store.token_identity(secret) is not None  # remembered (rule 5)

    await store.delete_agent(ALICE.id)

    assert (await store.load()).agents == {}
    assert not await store.verify_pin(ALICE.id, "123456")
    assert await store.token_identity(secret) is None
    async with database.engine.connect() as connection:
        row = (await connection.execute(select(AgentRow.settings, AgentRow.active))).one()
    kept = {"name": "Alice", "skills": {}, "queues": {}, "line": None, "team": ""}  # history
    assert tuple(row) == (kept, False)
    with pytest.raises(ConfigNotFound):
        await store.delete_agent(ALICE.id)
    await store.put_agent(ALICE)
    assert not await store.verify_pin(ALICE.id, "123456")  # back, but without the old PIN


async def test_pins_are_checked_against_a_salted_scrypt_hash(
    store: ConfigStore, database: Database
) -> None:
    await store.put_agent(AgentProfile(id=AgentId("1")), pin="0042")
    await store.put_agent(AgentProfile(id=AgentId("2")), pin="0042")
    await store.put_agent(AgentProfile(id=AgentId("1"), name="renamed"))  # keeps the PIN

    assert await store.verify_pin(AgentId("1"), "0042")
    assert not await store.verify_pin(AgentId("1"), "0043")
    assert not await store.verify_pin(AgentId("1"), "42")
    assert not await store.verify_pin(AgentId("nobody"), "0042")
    async with database.engine.connect() as connection:
        hashes = (await connection.execute(select(AgentRow.pin_hash).order_by(AgentRow.id))).all()
    first, second = (h for (h,) in hashes)
    assert first.startswith("scrypt$n=16384,r=8,p=1$") and "0042" not in first
    assert first != second  # a salt per agent


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", "١٢٣٤", "", " 1234"])
async def test_a_pin_must_be_4_to_12_digits(store: ConfigStore, pin: str) -> None:
    with pytest.raises(InvalidPin, match="a PIN is 4 to 12 digits"):
        await store.put_agent(AgentProfile(id=AgentId("1")), pin=pin)

    assert (await store.load()).agents == {}


async def test_pin_hashing_leaves_the_event_loop_free(store: ConfigStore) -> None:
    await store.put_agent(AgentProfile(id=AgentId("1")), pin="0042")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.002)
            ticks += 1

    ticker = asyncio.create_task(tick())
    verified = await asyncio.gather(*(store.verify_pin(AgentId("1"), "0042") for _ in range(4)))
    ticker.cancel()

    assert verified == [True] * 4
    assert ticks >= 5


async def test_tokens_identify_their_holder_until_revoked_and_only_a_hash_is_kept(
    store: ConfigStore, database: Database
) -> None:
    await store.put_agent(AgentProfile(id=AgentId("1001")))
    issued = await store.issue_token("wallboard", "supervisor")
    agent_secret = await store.create_token("alice", Role.AGENT, AgentId("1001"))

    assert issued.secret.startswith("cti_") and len(issued.secret) > 40
    assert await store.token_identity(issued.secret) == TokenIdentity(
        Role.SUPERVISOR, "wallboard", None
    )
    assert await store.token_identity(agent_secret) == TokenIdentity(
        Role.AGENT, "alice", AgentId("1001")
    )
    assert await store.token_identity(issued.secret + "x") is None
    async with database.engine.connect() as connection:
        stored = (await connection.execute(select(ApiTokenRow.token_hash))).scalars().all()
        dump = str((await connection.execute(text("SELECT * FROM api_tokens"))).all())
    assert hashlib.sha256(issued.secret.encode()).hexdigest() in stored
    assert issued.secret not in dump and agent_secret not in dump

    await store.revoke_token(issued.id)
    await store.revoke_token(issued.id)

    assert await store.token_identity(issued.secret) is None
    assert [(t.name, t.revoked_at is not None) for t in await store.list_tokens()] == [
        ("wallboard", True), ("alice", False)
    ]  # fmt: skip


async def test_each_change_answers_the_configuration_load_reads_next(store: ConfigStore) -> None:
    """Rule 6: what a change answers is what load() reads back, in the same order (the
    API hands it to the engine without reading it again)."""
    bob = AgentProfile(
        id=AgentId("1000"), skills=MappingProxyType({"zulu": 1, "billing": 3}),
        queues=MappingProxyType({QueueId("support"): 1, QueueId("sales"): 0}),
    )  # fmt: skip
    changes = (
        lambda: store.put_queue(SUPPORT),
        lambda: store.put_queue(SALES),
        lambda: store.put_agent(ALICE, pin="123456"),
        lambda: store.put_agent(bob),
        lambda: store.put_reason(LUNCH),
        lambda: store.put_reason(NotReadyReason(code="break", max_seconds=600.0)),
        lambda: store.delete_reason("lunch"),
        lambda: store.delete_agent(ALICE.id),
        lambda: store.put_agent(replace(bob, queues=MappingProxyType({QueueId("support"): 2}))),
        lambda: store.delete_queue(QueueId("sales")),
    )
    for change in changes:
        answered = await change()
        loaded = await store.load()
        assert answered == loaded
        for kind in ("queues", "agents", "reasons"):
            assert list(getattr(answered, kind)) == list(getattr(loaded, kind))
        for agent_id, agent in answered.agents.items():
            assert list(agent.queues) == list(loaded.agents[agent_id].queues)
            assert list(agent.skills) == list(loaded.agents[agent_id].skills)


async def test_a_change_sees_what_another_process_committed_since_this_one_read(
    database: Database,
) -> None:
    """Rule 7: the configuration kept from the last change is used only while no other
    commit came between; here another store (another process) made the queue non-empty."""
    store, other = ConfigStore(database), ConfigStore(database)
    await store.put_queue(SUPPORT)  # this store now keeps the configuration it wrote
    await other.put_agent(
        AgentProfile(id=AgentId("1001"), queues=MappingProxyType({SUPPORT.id: 0}))
    )

    with pytest.raises(ConfigConflict, match="still has members"):
        await store.delete_queue(SUPPORT.id)
    assert SUPPORT.id in (await store.put_reason(LUNCH)).queues
    assert (await store.put_reason(LUNCH)).agents.keys() == {"1001"}


async def test_a_token_revoked_by_another_process_stops_working_within_the_cache_time(
    database: Database,
) -> None:
    """Rule 5: this store remembers a live token for TTL_S; another store on the same
    database (`cti admin token revoke`, another process) revokes it meanwhile."""
    now = [100.0]
    store = ConfigStore(database, identities=TokenCache(clock=lambda: now[0]))
    other = ConfigStore(database)
    issued = await store.issue_token("wallboard", "supervisor")
    assert await store.token_identity(issued.secret) is not None

    await other.revoke_token(issued.id)

    assert await other.token_identity(issued.secret) is None
    now[0] += TTL_S - 0.01
    assert await store.token_identity(issued.secret) is not None  # the documented moment
    now[0] += 0.01
    assert await store.token_identity(issued.secret) is None


@pytest.mark.parametrize(
    ("name", "role", "agent", "error", "message"),
    [
        ("x", "root", None, ConfigError,
         "unknown role 'root' (choose agent, supervisor, admin, viewer)"),
        ("x", "agent", None, ConfigError, "an agent token needs --agent"),
        ("x", "admin", "404", ConfigNotFound, "agent 404 does not exist"),
        (" ", "admin", None, ConfigError, "a token needs a name"),
    ],
)  # fmt: skip
async def test_a_token_that_cannot_be_issued_is_refused_with_the_reason(
    store: ConfigStore, name: str, role: str, agent: str | None, error: type, message: str
) -> None:
    with pytest.raises(error) as refused:
        await store.create_token(name, role, None if agent is None else AgentId(agent))

    assert str(refused.value) == message
    assert await store.list_tokens() == []
    with pytest.raises(ConfigNotFound, match="token 7 does not exist"):
        await store.revoke_token(7)


async def test_concurrent_changes_are_serialised_and_the_result_stays_valid(
    store: ConfigStore,
) -> None:
    await store.apply(ConfigChange(queues=(SUPPORT, QueueConfig(id=QueueId("spare")))))
    overflow = QueueConfig(id=QueueId("sales"), overflow_after=5.0, overflow_queue=QueueId("spare"))
    many = [QueueConfig(id=QueueId(f"q{n}")) for n in range(8)]

    results = await asyncio.gather(
        store.delete_queue(QueueId("spare")),
        store.put_queue(overflow),
        *(store.put_queue(queue) for queue in many),
        return_exceptions=True,
    )

    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], ConfigError)  # one or the other
    snapshot = await store.snapshot()  # validated: never both "sales -> spare" and no spare
    assert snapshot.revision == 1 + len(results) - len(failures)
    assert set(snapshot.config.queues) >= {f"q{n}" for n in range(8)}
