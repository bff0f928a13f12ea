"""Settings documents: a queue's, an agent's and a not-ready reason's settings become one
JSON document each (`settings`), as a campaign's already are, so that a setting added to
the core needs no migration. The per-setting columns and the agent_skills and
agent_queues tables go; every row is converted, on SQLite and PostgreSQL alike.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0006 converts. The
# documents' keys are the settings' names, which were the columns' names.

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

Columns = tuple[tuple[str, sa.types.TypeEngine[Any], bool], ...]  # name, type, nullable
QUEUE: Columns = (
    ("name", sa.String(), False),
    ("strategy", sa.String(), False),
    ("ring_limit", sa.Integer(), False),
    ("ring_cadence", sa.Double(), False),
    ("misses_before_not_ready", sa.Integer(), False),
    ("max_wrap_up", sa.Double(), False),
    ("dispositions", sa.JSON(), False),
    ("disposition_required", sa.Boolean(), False),
    ("skill", sa.String(), True),
    ("min_skill_level", sa.Integer(), False),
    ("widen_after", sa.Double(), True),
    ("overflow_after", sa.Double(), True),
    ("overflow_queue", sa.String(), True),
    ("max_wait", sa.Double(), True),
    ("max_wait_action", sa.String(), False),
)
More = Callable[[str], dict[str, object]]  # the settings not in columns, by key
REASON: Columns = (("label", sa.String(), False), ("max_seconds", sa.Double(), True))
AGENT: Columns = (("name", sa.String(), False),)


def _table(name: str, key: str, columns: Columns) -> sa.TableClause:
    return sa.table(
        name,
        sa.column(key, sa.String()),
        sa.column("settings", sa.JSON()),
        *(sa.column(column, kind) for column, kind, _ in columns),
    )


def upgrade() -> None:
    agents = _agent_documents()
    op.drop_table("agent_queues")  # dropping a table drops its indexes
    op.drop_table("agent_skills")
    _to_documents("queues", "id", QUEUE, lambda _: {})
    _to_documents("not_ready_reasons", "code", REASON, lambda _: {})
    _to_documents("agents", "id", AGENT, lambda agent: agents[agent])


def _agent_documents() -> defaultdict[str, dict[str, object]]:
    """Each agent's skills and queues, by skill and by queue, from their tables."""
    bind = op.get_bind()
    found: defaultdict[str, dict[str, object]] = defaultdict(lambda: {"skills": {}, "queues": {}})
    pairs = (
        ("agent_skills", "skill", "level", "skills"),
        ("agent_queues", "queue_id", "penalty", "queues"),
    )
    for table, name, number, setting in pairs:
        rows = bind.execute(
            sa.text(f"SELECT agent_id, {name}, {number} FROM {table} ORDER BY {name}")
        )
        for agent, key, level in rows:
            mapping = found[agent][setting]
            assert isinstance(mapping, dict)
            mapping[key] = level
    return found


def _to_documents(name: str, key: str, columns: Columns, more: More) -> None:
    bind, table = op.get_bind(), _table(name, key, columns)
    with op.batch_alter_table(name) as batch:
        batch.add_column(sa.Column("settings", sa.JSON(), nullable=True))
    rows = bind.execute(sa.select(table)).mappings().all()
    for row in rows:
        settings = {column: row[column] for column, _, _ in columns} | more(row[key])
        bind.execute(table.update().where(table.c[key] == row[key]).values(settings=settings))
    with op.batch_alter_table(name) as batch:
        batch.alter_column("settings", existing_type=sa.JSON(), nullable=False)
        for column, _, _ in columns:
            batch.drop_column(column)


def downgrade() -> None:
    _from_documents("queues", "id", QUEUE)
    _from_documents("not_ready_reasons", "code", REASON)
    agents = _from_documents("agents", "id", AGENT)
    _agent_tables(agents)


def _from_documents(name: str, key: str, columns: Columns) -> list[dict[str, object]]:
    """The columns back from the documents; returns the documents read, with their key."""
    bind, table = op.get_bind(), _table(name, key, columns)
    with op.batch_alter_table(name) as batch:
        for column, kind, _ in columns:
            batch.add_column(sa.Column(column, kind, nullable=True))
    documents = []
    for row in bind.execute(sa.select(table.c[key], table.c.settings)).mappings().all():
        settings = dict(row["settings"])
        values = {column: settings.get(column) for column, _, _ in columns}
        bind.execute(table.update().where(table.c[key] == row[key]).values(**values))
        documents.append({key: row[key], **settings})
    with op.batch_alter_table(name) as batch:
        for column, kind, nullable in columns:
            batch.alter_column(column, existing_type=kind, nullable=nullable)
        batch.drop_column("settings")
    return documents


def _agent_tables(agents: list[dict[str, object]]) -> None:
    skills = op.create_table(
        "agent_skills",
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("skill", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "skill", name="pk_agent_skills"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_agent_skills_agent_id_agents", ondelete="CASCADE"
        ),
    )
    members = op.create_table(
        "agent_queues",
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("queue_id", sa.String(), nullable=False),
        sa.Column("penalty", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "queue_id", name="pk_agent_queues"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_agent_queues_agent_id_agents", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name="fk_agent_queues_queue_id_queues", ondelete="RESTRICT"
        ),
    )
    op.create_index("ix_agent_queues_queue_id", "agent_queues", ["queue_id"])
    rows: dict[str, list[dict[str, object]]] = {"skills": [], "queues": []}
    for agent in agents:
        levels, penalties = agent.get("skills"), agent.get("queues")
        for skill, level in levels.items() if isinstance(levels, Mapping) else ():
            rows["skills"].append({"agent_id": agent["id"], "skill": skill, "level": level})
        for queue, penalty in penalties.items() if isinstance(penalties, Mapping) else ():
            rows["queues"].append({"agent_id": agent["id"], "queue_id": queue, "penalty": penalty})
    op.bulk_insert(skills, rows["skills"])
    op.bulk_insert(members, rows["queues"])
