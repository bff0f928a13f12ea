"""Alembic environment for cti.storage, driven from code (there is no alembic.ini).

Rule 1: online migrations run on the connection handed in as config.attributes["connection"]
(cti.storage.database runs them inside AsyncConnection.run_sync, so the loop never blocks).
Rule 2: offline mode (SQL scripts) needs the "sqlalchemy.url" main option.
Rule 3: this file never configures logging; the application owns logging.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from cti.storage.models import Base

config = context.config


def run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("offline migrations need the sqlalchemy.url option")
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite can alter little in place; batch mode copies the table when it must.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    handed_in = config.attributes.get("connection")
    if not isinstance(handed_in, Connection):
        raise RuntimeError("run migrations through cti.storage.database.migrate()")
    run_online(handed_in)
