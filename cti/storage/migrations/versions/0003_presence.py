"""Agent presence: one row per logged-in agent, so a restarted server takes them back (C1).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0003 created.
# Timestamps are timezone-aware (SQLite keeps naive UTC text; see models.UtcDateTime).

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "agent_presence",
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("logged_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("reason_by", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name="pk_agent_presence"),
    )


def downgrade() -> None:
    op.drop_table("agent_presence")
