"""Tables for history, as SQLAlchemy 2 typed declarative models.

Rule 1: every timestamp is timezone-aware UTC with microseconds, on every dialect; SQLite
stores naive UTC text, so UtcDateTime converts at the boundary and rejects naive values.
Rule 2: a queue visit is identified by (channel_id, queue, entered_at): recording it again
is a no-op, which is what makes retries and spool replays safe.
Rule 3: the schema is owned by the Alembic migrations; these models must match them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Double,
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
    "pk": "pk_%(table_name)s",
}


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


class QueueVisitRow(Base):
    """One caller's stay in one queue (cti.domain.records.QueueVisit), final when written."""

    __tablename__ = "queue_visits"
    __table_args__ = (
        UniqueConstraint("channel_id", "queue", "entered_at"),
        Index(None, "queue", "entered_at"),
    )

    # SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT is PostgreSQL's alone.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # Unbounded strings: a value the database refuses would be retried from the spool forever.
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
