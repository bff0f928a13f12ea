"""Monitoring sessions (C8, P11): a supervisor listening to, whispering to or barging in
on an agent's call, one row per stretch in one mode; the device a supervisor's
monitoring calls by default; and the queues' outage notices (P20).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0010 created.

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("supervisor", sa.String(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_sessions"),
        sa.UniqueConstraint(
            "supervisor", "started_at", name="uq_monitoring_sessions_supervisor_started_at"
        ),
    )
    op.create_index(
        "ix_monitoring_sessions_agent_id_started_at",
        "monitoring_sessions",
        ["agent_id", "started_at"],
    )
    op.create_index("ix_monitoring_sessions_started_at", "monitoring_sessions", ["started_at"])
    with op.batch_alter_table("supervisors") as supervisors:
        supervisors.add_column(sa.Column("device", sa.String(), nullable=True))
    op.create_table(
        "queue_notices",
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("prompt", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("set_by", sa.String(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("queue", name="pk_queue_notices"),
    )


def downgrade() -> None:
    op.drop_table("queue_notices")
    with op.batch_alter_table("supervisors") as supervisors:
        supervisors.drop_column("device")
    op.drop_index("ix_monitoring_sessions_started_at", "monitoring_sessions")
    op.drop_index("ix_monitoring_sessions_agent_id_started_at", "monitoring_sessions")
    op.drop_table("monitoring_sessions")
