"""Migration 0006 on SQLite and PostgreSQL: queues, agents and reasons stored column by
column (and in the agent_skills and agent_queues tables) become settings documents with
nothing lost, and the downgrade gives the columns back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import MappingProxyType

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from cti.domain.config import AcdConfig, AgentProfile, MaxWaitAction, NotReadyReason, QueueConfig
from cti.domain.config import Strategy as S
from cti.domain.ids import AgentId, QueueId
from cti.storage import credentials
from cti.storage.config_store import ConfigStore
from cti.storage.database import MIGRATIONS, open_database
from tests.storage.conftest import history_at, tables

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
OLD_ROWS = [
    "INSERT INTO queues VALUES ('sales', 'Sales', 'skills', 4, 5.0, 2, 30.0, "
    "'[\"sale\", \"no sale\"]', true, 'french', 2, 20.0, 90.0, 'support', 600.0, 'callback', :now)",
    "INSERT INTO queues VALUES ('support', '', 'longest_idle', 3, 6.0, 1, 60.0, '[]', false, "
    "NULL, 1, NULL, NULL, NULL, NULL, 'none', :now)",
    "INSERT INTO agents VALUES ('1001', 'Alice', :pin, true, :now)",
    "INSERT INTO agents VALUES ('1002', 'Bob', NULL, false, :now)",  # deleted: kept for history
    "INSERT INTO agent_skills VALUES ('1001', 'french', 5)",
    "INSERT INTO agent_skills VALUES ('1001', 'billing', 3)",
    "INSERT INTO agent_queues VALUES ('1001', 'support', 0)",
    "INSERT INTO agent_queues VALUES ('1001', 'sales', 1)",
    "INSERT INTO not_ready_reasons VALUES ('lunch', 'Lunch', 3600.0)",
    "INSERT INTO not_ready_reasons VALUES ('training', '', NULL)",
]
SALES = QueueConfig(
    id=QueueId("sales"),
    name="Sales",
    strategy=S.SKILLS,
    ring_limit=4,
    ring_cadence=5.0,
    misses_before_not_ready=2,
    max_wrap_up=30.0,
    dispositions=("sale", "no sale"),
    disposition_required=True,
    skill="french",
    min_skill_level=2,
    widen_after=20.0,
    overflow_after=90.0,
    overflow_queue=QueueId("support"),
    max_wait=600.0,
    max_wait_action=MaxWaitAction.CALLBACK,
)
EXPECTED = AcdConfig(
    queues=MappingProxyType(
        {
            QueueId("sales"): SALES,
            QueueId("support"): QueueConfig(id=QueueId("support")),
        }
    ),
    agents=MappingProxyType(
        {
            AgentId("1001"): AgentProfile(
                id=AgentId("1001"),
                name="Alice",
                skills=MappingProxyType({"billing": 3, "french": 5}),
                queues=MappingProxyType({QueueId("sales"): 1, QueueId("support"): 0}),
            )
        }
    ),
    reasons=MappingProxyType(
        {
            "lunch": NotReadyReason(code="lunch", label="Lunch", max_seconds=3600.0),
            "training": NotReadyReason(code="training"),
        }
    ),
)


async def configured_at_0005(url: str) -> None:
    await history_at(url, "0005", [])
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            values = {"now": NOW, "pin": credentials.hash_pin("0042")}
            for statement in OLD_ROWS:
                await connection.execute(text(statement), values)
    finally:
        await engine.dispose()


def downgrade(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_stored_settings_become_documents_with_nothing_lost(database_url: str) -> None:
    await configured_at_0005(database_url)

    database = await open_database(database_url)

    store = ConfigStore(database)
    assert await store.load() == EXPECTED
    assert await store.verify_pin(AgentId("1001"), "0042")
    async with database.engine.connect() as connection:
        gone = {"agent_skills", "agent_queues"} & await connection.run_sync(tables)
        retired = await connection.execute(text("SELECT settings FROM agents WHERE id = '1002'"))
        kept = retired.scalar()
    assert gone == set()
    assert (kept if isinstance(kept, dict) else json.loads(kept))["name"] == "Bob"
    await database.close()


async def test_the_downgrade_gives_the_columns_and_tables_back(database_url: str) -> None:
    await configured_at_0005(database_url)
    database = await open_database(database_url)
    await database.close()
    engine = create_async_engine(database_url)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(downgrade, "0005")
        async with engine.connect() as connection:
            skills = await connection.execute(
                text("SELECT skill, level FROM agent_skills ORDER BY skill")
            )
            queue = await connection.execute(
                text("SELECT strategy, dispositions, max_wait FROM queues WHERE id = 'sales'")
            )
            found = (skills.all(), queue.one())
    finally:
        await engine.dispose()

    assert [tuple(row) for row in found[0]] == [("billing", 3), ("french", 5)]
    assert (found[1][0], found[1][2]) == ("skills", 600.0)
