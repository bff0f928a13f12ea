"""INSERT statements with ON CONFLICT, in the dialect of the database at hand.

Rule 1: history and the stores write idempotently (ON CONFLICT DO NOTHING or a guarded
upsert), which SQLAlchemy spells per dialect; only SQLite and PostgreSQL are supported.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase


class UnsupportedDatabase(ValueError):
    """The URL names a database this module cannot write idempotently."""


def dialect_insert(model: type[DeclarativeBase], dialect: str) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into the model's table with the dialect's ON CONFLICT clauses."""
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise UnsupportedDatabase(f"history needs sqlite or postgresql, but got {dialect!r}")
