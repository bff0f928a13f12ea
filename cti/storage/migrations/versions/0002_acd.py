"""ACD history (offers, calls and their segments, agent states, logins, findings) and
configuration (queues, agents with skills and queues, not-ready reasons, API tokens).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# Self-contained on purpose: later model changes must not rewrite what 0002 created.
# Timestamps are timezone-aware (SQLite keeps naive UTC text; see models.UtcDateTime).

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _serial() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def _at(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _float(name: str, *, nullable: bool = False) -> sa.Column[float]:
    return sa.Column(name, sa.Double(), nullable=nullable)


def _int(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _bool(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def upgrade() -> None:
    _history()
    _configuration()


def _history() -> None:
    op.create_table(
        "offers",
        _serial(),
        _str("call_id"),
        _str("queue"),
        _str("agent_id"),
        _str("device"),
        _at("offered_at"),
        _at("ring_started_at", nullable=True),
        _at("ended_at"),
        _int("rings"),
        _str("outcome"),
        _at("recorded_at"),
        sa.PrimaryKeyConstraint("id", name="pk_offers"),
        sa.UniqueConstraint(
            "call_id", "agent_id", "offered_at", name="uq_offers_call_id_agent_id_offered_at"
        ),
    )
    op.create_index("ix_offers_agent_id_offered_at", "offers", ["agent_id", "offered_at"])

    op.create_table(
        "call_records",
        _serial(),
        _str("call_id"),
        _str("caller"),
        _str("queue"),
        _at("entered_at"),
        _at("ended_at"),
        _int("offers"),
        _bool("answered"),
        _bool("abandoned"),
        _float("abandon_wait", nullable=True),
        _str("released_by", nullable=True),
        _int("survey_score", nullable=True),
        _str("disposition", nullable=True),
        _at("recorded_at"),
        sa.PrimaryKeyConstraint("id", name="pk_call_records"),
        sa.UniqueConstraint("call_id", name="uq_call_records_call_id"),
    )
    op.create_index("ix_call_records_caller_entered_at", "call_records", ["caller", "entered_at"])
    op.create_index("ix_call_records_queue_entered_at", "call_records", ["queue", "entered_at"])
    op.create_index("ix_call_records_entered_at", "call_records", ["entered_at"])

    op.create_table(
        "call_segments",
        _str("call_id"),
        _int("ordinal"),
        _str("kind"),
        _at("started_at"),
        _at("ended_at"),
        _float("seconds"),
        _str("queue", nullable=True),
        _str("agent_id", nullable=True),
        _str("outcome"),
        _str("disposition", nullable=True),
        sa.PrimaryKeyConstraint("call_id", "ordinal", name="pk_call_segments"),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call_records.call_id"],
            name="fk_call_segments_call_id_call_records",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_call_segments_agent_id_started_at", "call_segments", ["agent_id", "started_at"]
    )

    op.create_table(
        "agent_state_intervals",
        _serial(),
        _str("agent_id"),
        _str("state"),
        _str("reason", nullable=True),
        _at("started_at"),
        _at("ended_at"),
        _float("seconds"),
        _str("call_id", nullable=True),
        _at("recorded_at"),
        sa.PrimaryKeyConstraint("id", name="pk_agent_state_intervals"),
        sa.UniqueConstraint(
            "agent_id", "started_at", name="uq_agent_state_intervals_agent_id_started_at"
        ),
    )
    op.create_index("ix_agent_state_intervals_started_at", "agent_state_intervals", ["started_at"])

    op.create_table(
        "login_sessions",
        _serial(),
        _str("agent_id"),
        _str("device"),
        _str("address"),
        _at("started_at"),
        _at("ended_at"),
        _float("seconds"),
        _str("ended"),
        _str("ended_by"),
        _at("recorded_at"),
        sa.PrimaryKeyConstraint("id", name="pk_login_sessions"),
        sa.UniqueConstraint("agent_id", "started_at", name="uq_login_sessions_agent_id_started_at"),
    )
    op.create_index("ix_login_sessions_started_at", "login_sessions", ["started_at"])

    op.create_table(
        "findings",
        _serial(),
        _str("rule"),
        _str("agent_id"),
        _at("at"),
        _float("measured"),
        _float("limit_value"),
        _str("call_id", nullable=True),
        _str("detail"),
        _at("recorded_at"),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
        sa.UniqueConstraint("rule", "agent_id", "at", name="uq_findings_rule_agent_id_at"),
    )
    op.create_index("ix_findings_agent_id_at", "findings", ["agent_id", "at"])
    op.create_index("ix_findings_at", "findings", ["at"])


def _configuration() -> None:
    op.create_table(
        "queues",
        _str("id"),
        _str("name"),
        _str("strategy"),
        _int("ring_limit"),
        _float("ring_cadence"),
        _int("misses_before_not_ready"),
        _float("max_wrap_up"),
        sa.Column("dispositions", sa.JSON(), nullable=False),
        _bool("disposition_required"),
        _str("skill", nullable=True),
        _int("min_skill_level"),
        _float("widen_after", nullable=True),
        _float("overflow_after", nullable=True),
        _str("overflow_queue", nullable=True),
        _float("max_wait", nullable=True),
        _str("max_wait_action"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_queues"),
    )
    op.create_table(
        "agents",
        _str("id"),
        _str("name"),
        _str("pin_hash", nullable=True),
        _bool("active"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
    )
    op.create_table(
        "agent_skills",
        _str("agent_id"),
        _str("skill"),
        _int("level"),
        sa.PrimaryKeyConstraint("agent_id", "skill", name="pk_agent_skills"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_agent_skills_agent_id_agents", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "agent_queues",
        _str("agent_id"),
        _str("queue_id"),
        _int("penalty"),
        sa.PrimaryKeyConstraint("agent_id", "queue_id", name="pk_agent_queues"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_agent_queues_agent_id_agents", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name="fk_agent_queues_queue_id_queues", ondelete="RESTRICT"
        ),
    )
    op.create_index("ix_agent_queues_queue_id", "agent_queues", ["queue_id"])
    op.create_table(
        "not_ready_reasons",
        _str("code"),
        _str("label"),
        _float("max_seconds", nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_not_ready_reasons"),
    )
    op.create_table(
        "api_tokens",
        _serial(),
        _str("name"),
        _str("role"),
        _str("agent_id", nullable=True),
        _str("token_hash"),
        _at("created_at"),
        _at("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name="fk_api_tokens_agent_id_agents"),
    )
    revisions = op.create_table(
        "config_revision",
        _int("id"),
        _int("revision"),
        _at("changed_at"),
        sa.PrimaryKeyConstraint("id", name="pk_config_revision"),
    )
    op.bulk_insert(revisions, [{"id": 1, "revision": 0, "changed_at": datetime.now(UTC)}])


def downgrade() -> None:
    for table in (
        "config_revision",
        "api_tokens",
        "not_ready_reasons",
        "agent_queues",
        "agent_skills",
        "agents",
        "queues",
        "findings",
        "login_sessions",
        "agent_state_intervals",
        "call_segments",
        "call_records",
        "offers",
    ):
        op.drop_table(table)  # dropping a table drops its indexes
