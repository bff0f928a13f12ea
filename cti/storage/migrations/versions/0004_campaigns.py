"""Outbound campaigns (C5): campaigns, their contacts, dial attempts and do-not-call numbers.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0004 created.
# Timestamps are timezone-aware (SQLite keeps naive UTC text; see models.UtcDateTime).

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def _str(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _at(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        _str("id"),
        _str("name"),
        _str("status"),
        _str("queue"),
        sa.Column("config", sa.JSON(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
    )
    op.create_table(
        "contacts",
        _str("id"),
        _str("campaign_id"),
        _str("number"),
        _str("timezone"),
        sa.Column("fields", sa.JSON(), nullable=False),
        _at("due", nullable=True),
        _str("status"),
        _at("next_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _str("last_result", nullable=True),
        _at("abandoned_at", nullable=True),
        _at("added_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
        sa.UniqueConstraint("campaign_id", "number", name="uq_contacts_campaign_id_number"),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_contacts_campaign_id_campaigns",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_contacts_campaign_id_status_next_at", "contacts", ["campaign_id", "status", "next_at"]
    )
    op.create_table(
        "dial_attempts",
        _str("id"),
        _str("campaign_id"),
        _str("contact_id"),
        _str("number"),
        _str("agent_id", nullable=True),
        _str("mode"),
        _at("started_at"),
        _at("answered_at", nullable=True),
        _at("connected_at", nullable=True),
        _at("ended_at"),
        _str("result"),
        sa.Column("ring_seconds", sa.Double(), nullable=False),
        sa.Column("person", sa.Boolean(), nullable=False),
        _at("recorded_at"),
        sa.PrimaryKeyConstraint("id", name="pk_dial_attempts"),
    )
    op.create_index(
        "ix_dial_attempts_campaign_id_ended_at", "dial_attempts", ["campaign_id", "ended_at"]
    )
    op.create_index(
        "ix_dial_attempts_contact_id_started_at", "dial_attempts", ["contact_id", "started_at"]
    )
    op.create_index("ix_dial_attempts_started_at", "dial_attempts", ["started_at"])
    op.create_table(
        "do_not_call",
        _str("number"),
        _str("note"),
        _at("added_at"),
        sa.PrimaryKeyConstraint("number", name="pk_do_not_call"),
    )


def downgrade() -> None:
    for table in ("do_not_call", "dial_attempts", "contacts", "campaigns"):
        op.drop_table(table)  # dropping a table drops its indexes
