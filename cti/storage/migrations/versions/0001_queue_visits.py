"""Queue visits: one row per caller's stay in one queue.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0001 created.
# Timestamps are timezone-aware (SQLite keeps naive UTC text; see models.UtcDateTime).

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "queue_visits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("caller", sa.String(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wait_seconds", sa.Double(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_queue_visits"),
        sa.UniqueConstraint(
            "channel_id", "queue", "entered_at", name="uq_queue_visits_channel_id_queue_entered_at"
        ),
    )
    op.create_index("ix_queue_visits_queue_entered_at", "queue_visits", ["queue", "entered_at"])


def downgrade() -> None:
    op.drop_index("ix_queue_visits_queue_entered_at", table_name="queue_visits")
    op.drop_table("queue_visits")
