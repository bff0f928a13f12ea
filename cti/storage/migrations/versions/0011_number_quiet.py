"""Quiet periods per number (issue 18): the dialer reads a number's last abandoned call
and last machine across every campaign from the attempts, by number.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0011 created.

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_dial_attempts_number_ended_at", "dial_attempts", ["number", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_dial_attempts_number_ended_at", "dial_attempts")
