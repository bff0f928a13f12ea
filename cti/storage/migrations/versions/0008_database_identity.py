"""The database's identity (issue 13, item 6): one row with a random id, drawn when this
revision is applied (when the database is created, or upgraded to it), and never changed.
A server remembers the id beside its history spool (cti/storage/stamp.py), so it can tell
that the database it opens is the one its spool and its clients' tokens belong to.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0008 created.

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    table = op.create_table(
        "database_identity",
        sa.Column("id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_database_identity"),
    )
    op.bulk_insert(table, [{"id": uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table("database_identity")
