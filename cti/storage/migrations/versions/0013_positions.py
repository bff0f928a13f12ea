"""Positions (issue 16, P12): the seat or desk of a scheduled activity, from which the
handovers between shifts follow.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0013 created.

revision = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("schedule_activities") as activities:
        activities.add_column(sa.Column("position", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("schedule_activities") as activities:
        activities.drop_column("position")
