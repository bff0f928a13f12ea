"""Supervisors who sign in to the pages (issue 14): a name, a role and a scrypt password;
their sessions are API tokens that name them and expire.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0009 created.

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "supervisors",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_supervisors"),
    )
    with op.batch_alter_table("api_tokens") as tokens:
        tokens.add_column(sa.Column("supervisor", sa.String(), nullable=True))
        tokens.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        tokens.create_foreign_key(
            "fk_api_tokens_supervisor_supervisors", "supervisors", ["supervisor"], ["name"]
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as tokens:
        tokens.drop_constraint("fk_api_tokens_supervisor_supervisors", type_="foreignkey")
        tokens.drop_column("expires_at")
        tokens.drop_column("supervisor")
    op.drop_table("supervisors")
