"""Handover notes (issue 16, P12): written by the outgoing agent of a handover for its
successor on a position, acknowledged by the successor; and QA evaluations of agents'
calls with a score (P11).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0014 created.

revision = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "handover_notes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("successor", sa.String(), nullable=False),
        sa.Column("handover_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_handover_notes"),
    )
    op.create_index("ix_handover_notes_written_at", "handover_notes", ["written_at"])
    op.create_table(
        "qa_evaluations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("evaluator", sa.String(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_qa_evaluations"),
    )
    op.create_index(
        "ix_qa_evaluations_agent_id_evaluated_at", "qa_evaluations", ["agent_id", "evaluated_at"]
    )
    op.create_index("ix_qa_evaluations_evaluated_at", "qa_evaluations", ["evaluated_at"])


def downgrade() -> None:
    op.drop_index("ix_qa_evaluations_evaluated_at", "qa_evaluations")
    op.drop_index("ix_qa_evaluations_agent_id_evaluated_at", "qa_evaluations")
    op.drop_table("qa_evaluations")
    op.drop_index("ix_handover_notes_written_at", "handover_notes")
    op.drop_table("handover_notes")
