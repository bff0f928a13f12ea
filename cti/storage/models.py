"""Tables for history and configuration, as SQLAlchemy 2 typed declarative models.

Rule 1: every timestamp is timezone-aware UTC with microseconds, on every dialect; SQLite
stores naive UTC text, so UtcDateTime converts at the boundary and rejects naive values.
Rule 2: every history table has a unique natural key (the record's, see
cti.domain.records): recording a row again is a no-op, which makes retries and spool
replays safe. History rows are final; nothing updates them. The one exception is
agent_presence, which holds the latest login or logout of each agent (not history but
what a restart takes back, C1): its rows are replaced, newest `at` first, and a logout
stays as a row without a device so that an older login replayed later cannot win.
Rule 3: durations are stored next to the instants they derive from (`seconds`), so reports
sum a column instead of doing date arithmetic that differs per dialect.
Rule 4: the schema is owned by the Alembic migrations; these models must match them.
Rule 5: configuration tables hold what AcdConfig holds, plus secrets (PIN and token hashes)
that never leave cti.storage; config_revision counts committed configuration changes. A
queue's, agent's or reason's settings are one JSON document (`settings`, written and read
by cti.storage.config_rows from the core's declaration), so a new setting needs no
migration; only keys and what queries filter on are columns.
Rule 6: foreign keys are enforced by PostgreSQL only (SQLite's are off: Alembic's batch
mode recreates tables, which would cascade); cti.storage.config_store keeps them by hand,
and keeps an agent's queues, which are in its document, configured.
Rule 7: the campaign tables are in cti.storage.campaign_models, imported at the end.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit constraint names, so migrations on every dialect name things the same way.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT is PostgreSQL's alone.
SERIAL = BigInteger().with_variant(Integer, "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in and out, whatever the dialect keeps on disk."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: history timestamps must be aware")
        value = value.astimezone(UTC)
        # SQLite has no time zone type; storing naive UTC text keeps the unique key comparable.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# History -------------------------------------------------------------------------------
# Unbounded strings: a value the database refuses would be retried from the spool forever.


class QueueVisitRow(Base):
    """One caller's stay in one queue (cti.domain.records.QueueVisit)."""

    __tablename__ = "queue_visits"
    __table_args__ = (
        UniqueConstraint("channel_id", "queue", "entered_at"),
        Index(None, "queue", "entered_at"),
    )

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    call_id: Mapped[str] = mapped_column(String)
    channel_id: Mapped[str] = mapped_column(String)
    queue: Mapped[str] = mapped_column(String)
    caller: Mapped[str] = mapped_column(String)
    priority: Mapped[int] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    left_at: Mapped[datetime] = mapped_column(UtcDateTime)
    wait_seconds: Mapped[float] = mapped_column(Double)
    outcome: Mapped[str] = mapped_column(String)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OfferRow(Base):
    """One offer of one call to one agent (OfferRecord). Key: (call_id, agent_id, offered_at)."""

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("call_id", "agent_id", "offered_at"),
        Index(None, "agent_id", "offered_at"),
    )

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    call_id: Mapped[str] = mapped_column(String)
    queue: Mapped[str] = mapped_column(String)
    agent_id: Mapped[str] = mapped_column(String)
    device: Mapped[str] = mapped_column(String)
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ring_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    rings: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CallRecordRow(Base):
    """One call (CallRecord); its segments are CallSegmentRow. Key: call_id."""

    __tablename__ = "call_records"
    __table_args__ = (
        UniqueConstraint("call_id"),
        Index(None, "caller", "entered_at"),
        Index(None, "queue", "entered_at"),
        Index(None, "entered_at"),
    )

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    call_id: Mapped[str] = mapped_column(String)
    caller: Mapped[str] = mapped_column(String)
    queue: Mapped[str] = mapped_column(String)
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    offers: Mapped[int] = mapped_column(Integer)
    answered: Mapped[bool] = mapped_column(Boolean)
    abandoned: Mapped[bool] = mapped_column(Boolean)
    abandon_wait: Mapped[float | None] = mapped_column(Double)
    released_by: Mapped[str | None] = mapped_column(String)
    survey_score: Mapped[int | None] = mapped_column(Integer)
    disposition: Mapped[str | None] = mapped_column(String)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CallSegmentRow(Base):
    """One part of a call (Segment), in the call's order. Key: (call_id, ordinal)."""

    __tablename__ = "call_segments"
    __table_args__ = (Index(None, "agent_id", "started_at"),)

    call_id: Mapped[str] = mapped_column(
        String, ForeignKey("call_records.call_id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seconds: Mapped[float] = mapped_column(Double)
    queue: Mapped[str | None] = mapped_column(String)
    agent_id: Mapped[str | None] = mapped_column(String)
    outcome: Mapped[str] = mapped_column(String)
    disposition: Mapped[str | None] = mapped_column(String)


class StateIntervalRow(Base):
    """A span of one agent in one state (StateInterval). Key: (agent_id, started_at)."""

    __tablename__ = "agent_state_intervals"
    __table_args__ = (UniqueConstraint("agent_id", "started_at"), Index(None, "started_at"))

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String)
    state: Mapped[str] = mapped_column(String)
    reason: Mapped[str | None] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seconds: Mapped[float] = mapped_column(Double)
    call_id: Mapped[str | None] = mapped_column(String)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approved_by: Mapped[str | None] = mapped_column(String)  # an approved break (P5)


class LoginSessionRow(Base):
    """An agent's login on a device (LoginSession). Key: (agent_id, started_at)."""

    __tablename__ = "login_sessions"
    __table_args__ = (UniqueConstraint("agent_id", "started_at"), Index(None, "started_at"))

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String)
    device: Mapped[str] = mapped_column(String)
    address: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seconds: Mapped[float] = mapped_column(Double)
    ended: Mapped[str] = mapped_column(String)
    ended_by: Mapped[str] = mapped_column(String)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FindingRow(Base):
    """One breach with its evidence (Finding). Key: (rule, agent_id, at)."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("rule", "agent_id", "at"),
        Index(None, "agent_id", "at"),
        Index(None, "at"),
    )

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    rule: Mapped[str] = mapped_column(String)
    agent_id: Mapped[str] = mapped_column(String)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    measured: Mapped[float] = mapped_column(Double)
    limit_value: Mapped[float] = mapped_column(Double)  # LIMIT is an SQL keyword
    call_id: Mapped[str | None] = mapped_column(String)
    detail: Mapped[str] = mapped_column(String)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MonitoringSessionRow(Base):
    """A supervisor spying on an agent's call in one mode (MonitoringSession, C8, P11).
    Key: (supervisor, started_at)."""

    __tablename__ = "monitoring_sessions"
    __table_args__ = (
        UniqueConstraint("supervisor", "started_at"),
        Index(None, "agent_id", "started_at"),
        Index(None, "started_at"),
    )

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    supervisor: Mapped[str] = mapped_column(String)
    device: Mapped[str] = mapped_column(String)
    agent_id: Mapped[str] = mapped_column(String)
    call_id: Mapped[str] = mapped_column(String)
    mode: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RecordingRow(Base):
    """An agent's recorded part of a call (cti/domain/recording.py, P11). Key: file;
    `deleted_at` once retention removed the file (cti/recordings/keeper.py)."""

    __tablename__ = "recordings"
    __table_args__ = (
        UniqueConstraint("file"),
        Index(None, "started_at"),
        Index(None, "call_id"),
        Index(None, "agent_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    file: Mapped[str] = mapped_column(String)
    call_id: Mapped[str] = mapped_column(String)
    agent_id: Mapped[str] = mapped_column(String)
    queue: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class QueueNoticeRow(Base):
    """A queue's outage notice while it is set (P20): cleared, the row is deleted."""

    __tablename__ = "queue_notices"

    queue: Mapped[str] = mapped_column(String, primary_key=True)
    prompt: Mapped[str] = mapped_column(String)
    text: Mapped[str] = mapped_column(String)
    set_by: Mapped[str] = mapped_column(String)
    since: Mapped[datetime] = mapped_column(UtcDateTime)


class ScheduleActivityRow(Base):
    """One activity of an agent's schedule (cti.domain.compliance.schedule, issue 16, P4,
    P13). Key: (agent_id, start_at). Replaced a period at a time, not history."""

    __tablename__ = "schedule_activities"
    __table_args__ = (UniqueConstraint("agent_id", "start_at"), Index(None, "start_at"))

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    activity: Mapped[str] = mapped_column(String)
    set_by: Mapped[str] = mapped_column(String)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)
    position: Mapped[str] = mapped_column(String, server_default="")  # handovers (P12)


class HandoverNoteRow(Base):
    """A note the outgoing agent of a handover wrote for its successor on a position, and
    when the successor acknowledged it (issue 16, P12). Key: id."""

    __tablename__ = "handover_notes"
    __table_args__ = (Index(None, "written_at"),)

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    position: Mapped[str] = mapped_column(String)
    author: Mapped[str] = mapped_column(String)
    successor: Mapped[str] = mapped_column(String)
    handover_at: Mapped[datetime] = mapped_column(UtcDateTime)
    written_at: Mapped[datetime] = mapped_column(UtcDateTime)
    text: Mapped[str] = mapped_column(String)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class QaEvaluationRow(Base):
    """A QA evaluation of an agent's call, with a score (issue 16, P11). Key: id."""

    __tablename__ = "qa_evaluations"
    __table_args__ = (Index(None, "agent_id", "evaluated_at"), Index(None, "evaluated_at"))

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    call_id: Mapped[str] = mapped_column(String)
    agent_id: Mapped[str] = mapped_column(String)
    evaluator: Mapped[str] = mapped_column(String)
    score: Mapped[float] = mapped_column(Double)
    note: Mapped[str] = mapped_column(String)
    evaluated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RuleOverrideRow(Base):
    """A compliance rule's parameter set for the centre, a team or an agent (issue 16).
    Key: (rule, param, scope, target)."""

    __tablename__ = "rule_overrides"

    rule: Mapped[str] = mapped_column(String, primary_key=True)
    param: Mapped[str] = mapped_column(String, primary_key=True)
    scope: Mapped[str] = mapped_column(String, primary_key=True)
    target: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[float] = mapped_column(Double)
    set_by: Mapped[str] = mapped_column(String)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FindingAckRow(Base):
    """A supervisor's acknowledgement of a finding, with a note (issue 16); the finding
    row itself stays as it was recorded. Key: finding_id."""

    __tablename__ = "finding_acks"

    finding_id: Mapped[int] = mapped_column(
        SERIAL, ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True
    )
    acknowledged_by: Mapped[str] = mapped_column(String)
    acknowledged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(String)


class AgentPresenceRow(Base):
    """A logged-in agent's latest Presence; logging out deletes the row. Key: agent_id.

    Rows are replaced by newer presences only (`at`); see cti.storage.history.
    """

    __tablename__ = "agent_presence"

    agent_id: Mapped[str] = mapped_column(String, primary_key=True)
    device: Mapped[str] = mapped_column(String)
    address: Mapped[str] = mapped_column(String)
    logged_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ready: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String)
    reason_by: Mapped[str] = mapped_column(String)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


# Configuration ---------------------------------------------------------------------------


class QueueRow(Base):
    """A queue (cti.domain.config.QueueConfig): its settings as one JSON document."""

    __tablename__ = "queues"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    settings: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AgentRow(Base):
    """An agent (AgentProfile: name, skills, queues in `settings`); a deleted agent stays,
    inactive, with its name only, so history keeps its name."""

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    settings: Mapped[dict[str, object]] = mapped_column(JSON)
    pin_hash: Mapped[str | None] = mapped_column(String)  # scrypt; see config_store
    active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NotReadyReasonRow(Base):
    """A not-ready reason (NotReadyReason): its settings as one JSON document."""

    __tablename__ = "not_ready_reasons"

    code: Mapped[str] = mapped_column(String, primary_key=True)
    settings: Mapped[dict[str, object]] = mapped_column(JSON)


class SupervisorRow(Base):
    """A person who signs in to the pages with a name and password (issue 14): a
    supervisor or an admin. A removed one stays, inactive and without a password."""

    __tablename__ = "supervisors"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    role: Mapped[str] = mapped_column(String)  # supervisor | admin
    password_hash: Mapped[str | None] = mapped_column(String)  # scrypt; see credentials
    active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    device: Mapped[str | None] = mapped_column(String)  # monitoring calls it (C8)


class ApiTokenRow(Base):
    """An API token: only the SHA-256 (hex) of its secret is kept. A session of the pages
    is a token too, of its supervisor, that expires."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String)  # agent | supervisor | admin
    agent_id: Mapped[str | None] = mapped_column(String, ForeignKey("agents.id"))
    token_hash: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    supervisor: Mapped[str | None] = mapped_column(String, ForeignKey("supervisors.name"))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ConfigRevisionRow(Base):
    """One row; every configuration change bumps it first, which also serialises changes."""

    __tablename__ = "config_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DatabaseIdentityRow(Base):
    """One row: the database's random id, drawn by migration 0008 and never changed
    (cti/storage/stamp.py compares it with the id remembered beside the spool)."""

    __tablename__ = "database_identity"

    id: Mapped[str] = mapped_column(String, primary_key=True)


# Campaigns ---------------------------------------------------------------------------------
# In their own module; importing it here (after Base exists) puts them on Base.metadata for
# everyone who imports this one: the migrations' environment and the schema test.
from cti.storage import campaign_models as campaign_models  # noqa: E402
