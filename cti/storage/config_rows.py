"""Configuration values to rows and back: queues, agents and reasons as settings documents.

Rule 1: read_config() returns what the tables hold, active agents only, unvalidated; the
store validates. Mappings in the values are read-only (MappingProxyType), sorted by key.
Rule 2: a row is its key, its settings as one JSON document (every setting of the core's
value but the key, cti/schema/model.py rule 5) and what the store keeps beside it (PIN
hash, active, updated_at): a setting added to the core is stored and read back, from
older documents as its default, with no change here.
Rule 3: the writers upsert one value each: UPDATE, then INSERT when no row was updated.
That is race-free only inside a configuration change (config_store serialises them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import Final, TypeVar

from sqlalchemy import RowMapping, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cti.domain.config import AcdConfig, AgentProfile, NotReadyReason, QueueConfig
from cti.domain.ids import AgentId, QueueId
from cti.schema.model import document, read_document
from cti.storage.models import AgentRow, NotReadyReasonRow, QueueRow
from cti.storage.rows import value

QUEUES = QueueRow.__table__
AGENTS = AgentRow.__table__
REASONS = NotReadyReasonRow.__table__
ID: Final = ("id",)
CODE: Final = ("code",)
K = TypeVar("K", bound=str)


async def read_config(connection: AsyncConnection) -> AcdConfig:
    """The configuration the tables hold (not validated)."""
    rows = await connection.execute(QUEUES.select().order_by(QUEUES.c.id))
    queues = [_queue(row) for row in rows.mappings()]
    active = AGENTS.select().where(AGENTS.c.active.is_(True)).order_by(AGENTS.c.id)
    agents = [_agent(row) for row in (await connection.execute(active)).mappings()]
    rows = await connection.execute(REASONS.select().order_by(REASONS.c.code))
    reasons = [_reason(row) for row in rows.mappings()]
    return AcdConfig(
        queues=MappingProxyType({queue.id: queue for queue in queues}),
        agents=MappingProxyType({agent.id: agent for agent in agents}),
        reasons=MappingProxyType({reason.code: reason for reason in reasons}),
    )


async def write_queue(connection: AsyncConnection, queue: QueueConfig, now: datetime) -> None:
    values = {"settings": document(queue, ID), "updated_at": now}
    updated = await connection.execute(update(QueueRow).where(QueueRow.id == queue.id), values)
    if updated.rowcount == 0:
        await connection.execute(insert(QueueRow), {"id": queue.id, **values})


async def write_agent(
    connection: AsyncConnection, agent: AgentProfile, pin_hash: str | None, now: datetime
) -> None:
    """Upserts the agent (active again if it was deleted); a None pin_hash keeps the PIN."""
    values: dict[str, object] = {
        "settings": document(agent, ID),
        "active": True,
        "updated_at": now,
    }
    if pin_hash is not None:
        values["pin_hash"] = pin_hash
    updated = await connection.execute(update(AgentRow).where(AgentRow.id == agent.id), values)
    if updated.rowcount == 0:
        await connection.execute(insert(AgentRow), {"id": agent.id, **values})


async def retire_agent(connection: AsyncConnection, agent: AgentProfile, now: datetime) -> None:
    """The agent kept for history, inactive: its name, no PIN, skills or queues."""
    settings = document(AgentProfile(id=agent.id, name=agent.name), ID)
    await connection.execute(
        update(AgentRow).where(AgentRow.id == agent.id),
        {"settings": settings, "active": False, "pin_hash": None, "updated_at": now},
    )


async def write_reason(connection: AsyncConnection, reason: NotReadyReason) -> None:
    values = {"settings": document(reason, CODE)}
    query = update(NotReadyReasonRow).where(NotReadyReasonRow.code == reason.code)
    if (await connection.execute(query, values)).rowcount == 0:
        await connection.execute(insert(NotReadyReasonRow), {"code": reason.code, **values})


def _queue(row: RowMapping) -> QueueConfig:
    queue = QueueId(value(row, "id", str))
    return read_document(QueueConfig(id=queue), row["settings"], ID, f"queue {queue}")


def _agent(row: RowMapping) -> AgentProfile:
    agent = AgentId(value(row, "id", str))
    return as_read(read_document(AgentProfile(id=agent), row["settings"], ID, f"agent {agent}"))


def as_read(agent: AgentProfile) -> AgentProfile:
    """The agent as read_config reads it back: skills and queues by key."""
    return replace(agent, skills=_by_key(agent.skills), queues=_by_key(agent.queues))


def _reason(row: RowMapping) -> NotReadyReason:
    code = value(row, "code", str)
    return read_document(NotReadyReason(code=code), row["settings"], CODE, f"reason {code}")


def _by_key(mapping: Mapping[K, int]) -> Mapping[K, int]:
    return MappingProxyType(dict(sorted(mapping.items())))
