"""Claims of a contact (issue 12, item 2): each claim for a dial counts, so that a write
the core asks for (an attempt's contact, a hand-back) applies to the claim it was made
under and never to a later one, even when the spool replays it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0007 created.
# Existing contacts have been claimed an unknown number of times: 0 stands for "before".

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as contacts:
        contacts.add_column(sa.Column("claims", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as contacts:
        contacts.drop_column("claims")
