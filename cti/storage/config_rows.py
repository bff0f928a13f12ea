"""Configuration values to rows and back: queues, agents (with skills and queues), reasons.

Rule 1: read_config() returns what the tables hold, active agents only, unvalidated; the
store validates. Mappings in the values are read-only (MappingProxyType), sorted by key.
Rule 2: the writers upsert one value each: UPDATE, then INSERT when no row was updated.
That is race-free only inside a configuration change (config_store serialises them).
Rule 3: an agent's skills and queues are replaced as a whole by each write.
"""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from sqlalchemy import RowMapping, delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cti.domain.config import (
    AcdConfig,
    AgentProfile,
    MaxWaitAction,
    NotReadyReason,
    QueueConfig,
    Strategy,
)
from cti.domain.ids import AgentId, QueueId
from cti.storage.models import (
    AgentQueueRow,
    AgentRow,
    AgentSkillRow,
    NotReadyReasonRow,
    QueueRow,
)
from cti.storage.rows import optional, value

QUEUES = QueueRow.__table__
AGENTS = AgentRow.__table__
SKILLS = AgentSkillRow.__table__
MEMBERS = AgentQueueRow.__table__
REASONS = NotReadyReasonRow.__table__


async def read_config(connection: AsyncConnection) -> AcdConfig:
    """The configuration the tables hold (not validated)."""
    queues = [
        _queue(row)
        for row in (await connection.execute(QUEUES.select().order_by(QUEUES.c.id))).mappings()
    ]
    active = AGENTS.select().where(AGENTS.c.active.is_(True)).order_by(AGENTS.c.id)
    names = {
        AgentId(value(row, "id", str)): value(row, "name", str)
        for row in (await connection.execute(active)).mappings()
    }
    skills: dict[AgentId, dict[str, int]] = {agent: {} for agent in names}
    for row in (await connection.execute(SKILLS.select().order_by(SKILLS.c.skill))).mappings():
        if (agent := AgentId(value(row, "agent_id", str))) in skills:
            skills[agent][value(row, "skill", str)] = value(row, "level", int)
    members: dict[AgentId, dict[QueueId, int]] = {agent: {} for agent in names}
    query = MEMBERS.select().order_by(MEMBERS.c.queue_id)
    for row in (await connection.execute(query)).mappings():
        if (agent := AgentId(value(row, "agent_id", str))) in members:
            members[agent][QueueId(value(row, "queue_id", str))] = value(row, "penalty", int)
    reasons = [
        _reason(row)
        for row in (await connection.execute(REASONS.select().order_by(REASONS.c.code))).mappings()
    ]
    agents = [
        AgentProfile(
            id=agent,
            name=name,
            skills=MappingProxyType(skills[agent]),
            queues=MappingProxyType(members[agent]),
        )
        for agent, name in names.items()
    ]
    return AcdConfig(
        queues=MappingProxyType({queue.id: queue for queue in queues}),
        agents=MappingProxyType({agent.id: agent for agent in agents}),
        reasons=MappingProxyType({reason.code: reason for reason in reasons}),
    )


async def write_queue(connection: AsyncConnection, queue: QueueConfig, now: datetime) -> None:
    values = {
        "name": queue.name,
        "strategy": queue.strategy.value,
        "ring_limit": queue.ring_limit,
        "ring_cadence": queue.ring_cadence,
        "misses_before_not_ready": queue.misses_before_not_ready,
        "max_wrap_up": queue.max_wrap_up,
        "dispositions": list(queue.dispositions),
        "disposition_required": queue.disposition_required,
        "skill": queue.skill,
        "min_skill_level": queue.min_skill_level,
        "widen_after": queue.widen_after,
        "overflow_after": queue.overflow_after,
        "overflow_queue": queue.overflow_queue,
        "max_wait": queue.max_wait,
        "max_wait_action": queue.max_wait_action.value,
        "updated_at": now,
    }
    updated = await connection.execute(update(QueueRow).where(QueueRow.id == queue.id), values)
    if updated.rowcount == 0:
        await connection.execute(insert(QueueRow), {"id": queue.id, **values})


async def write_agent(
    connection: AsyncConnection, agent: AgentProfile, pin_hash: str | None, now: datetime
) -> None:
    """Upserts the agent (active again if it was deleted); a None pin_hash keeps the PIN."""
    values: dict[str, object] = {"name": agent.name, "active": True, "updated_at": now}
    if pin_hash is not None:
        values["pin_hash"] = pin_hash
    updated = await connection.execute(update(AgentRow).where(AgentRow.id == agent.id), values)
    if updated.rowcount == 0:
        await connection.execute(insert(AgentRow), {"id": agent.id, **values})
    await clear_agent_links(connection, agent.id)
    skills = [{"agent_id": agent.id, "skill": s, "level": n} for s, n in agent.skills.items()]
    if skills:
        await connection.execute(insert(AgentSkillRow), skills)
    queues = [{"agent_id": agent.id, "queue_id": q, "penalty": n} for q, n in agent.queues.items()]
    if queues:
        await connection.execute(insert(AgentQueueRow), queues)


async def clear_agent_links(connection: AsyncConnection, agent: AgentId) -> None:
    """Removes the agent's skills and queue memberships."""
    await connection.execute(delete(AgentSkillRow).where(AgentSkillRow.agent_id == agent))
    await connection.execute(delete(AgentQueueRow).where(AgentQueueRow.agent_id == agent))


async def write_reason(connection: AsyncConnection, reason: NotReadyReason) -> None:
    values = {"label": reason.label, "max_seconds": reason.max_seconds}
    query = update(NotReadyReasonRow).where(NotReadyReasonRow.code == reason.code)
    if (await connection.execute(query, values)).rowcount == 0:
        await connection.execute(insert(NotReadyReasonRow), {"code": reason.code, **values})


def _queue(row: RowMapping) -> QueueConfig:
    dispositions = value(row, "dispositions", list)
    overflow = optional(row, "overflow_queue", str)
    return QueueConfig(
        id=QueueId(value(row, "id", str)),
        name=value(row, "name", str),
        strategy=Strategy(value(row, "strategy", str)),
        ring_limit=value(row, "ring_limit", int),
        ring_cadence=value(row, "ring_cadence", float),
        misses_before_not_ready=value(row, "misses_before_not_ready", int),
        max_wrap_up=value(row, "max_wrap_up", float),
        dispositions=tuple(str(code) for code in dispositions),
        disposition_required=value(row, "disposition_required", bool),
        skill=optional(row, "skill", str),
        min_skill_level=value(row, "min_skill_level", int),
        widen_after=optional(row, "widen_after", float),
        overflow_after=optional(row, "overflow_after", float),
        overflow_queue=None if overflow is None else QueueId(overflow),
        max_wait=optional(row, "max_wait", float),
        max_wait_action=MaxWaitAction(value(row, "max_wait_action", str)),
    )


def _reason(row: RowMapping) -> NotReadyReason:
    return NotReadyReason(
        code=value(row, "code", str),
        label=value(row, "label", str),
        max_seconds=optional(row, "max_seconds", float),
    )
