"""Callbacks and follow-ups (P9, P18): what kind a contact is, the agent it was promised
to, the place in line a waiting caller keeps, and an index for the overdue search.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0005 created.
# Existing contacts are campaign contacts of priority 0: the server defaults fill them in.

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as contacts:
        contacts.add_column(
            sa.Column("kind", sa.String(), nullable=False, server_default="contact")
        )
        contacts.add_column(sa.Column("agent_id", sa.String(), nullable=True))
        contacts.add_column(sa.Column("place", sa.DateTime(timezone=True), nullable=True))
        contacts.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_contacts_due", "contacts", ["due"])


def downgrade() -> None:
    op.drop_index("ix_contacts_due", "contacts")
    with op.batch_alter_table("contacts") as contacts:
        for column in ("priority", "place", "agent_id", "kind"):
            contacts.drop_column(column)
