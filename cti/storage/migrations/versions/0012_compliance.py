"""Compliance (issue 16): agents' schedules, rule parameters set per centre, team or agent,
supervisors' acknowledgements of findings, and who approved a not-ready spell as a longer
break (P5).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0012 created.

revision = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "schedule_activities",
        sa.Column("id", SERIAL, nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activity", sa.String(), nullable=False),
        sa.Column("set_by", sa.String(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_activities"),
        sa.UniqueConstraint(
            "agent_id", "start_at", name="uq_schedule_activities_agent_id_start_at"
        ),
    )
    op.create_index("ix_schedule_activities_start_at", "schedule_activities", ["start_at"])
    op.create_table(
        "rule_overrides",
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("param", sa.String(), nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("set_by", sa.String(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rule", "param", "scope", "target", name="pk_rule_overrides"),
    )
    op.create_table(
        "finding_acks",
        sa.Column("finding_id", SERIAL, nullable=False),
        sa.Column("acknowledged_by", sa.String(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name="fk_finding_acks_finding_id_findings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("finding_id", name="pk_finding_acks"),
    )

    with op.batch_alter_table("agent_state_intervals") as intervals:
        intervals.add_column(sa.Column("approved_by", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agent_state_intervals") as intervals:
        intervals.drop_column("approved_by")
    op.drop_table("finding_acks")
    op.drop_table("rule_overrides")
    op.drop_index("ix_schedule_activities_start_at", "schedule_activities")
    op.drop_table("schedule_activities")
