"""Supervisors who sign in to the pages, and their sessions (issue 14; P3, P22): the SQL
behind ConfigStore's supervisor methods.

Rule 1: a supervisor has a name (cti.domain.ids PLAIN_RULE: what `by` records, e.g.
"supervisor:ann"), a role (supervisor, admin or viewer: what its sessions may do, as a
token of that role; a viewer only watches the wallboard, numbers masked: P22) and a
password, stored only as a scrypt hash (cti/storage/credentials.py).
Rule 2: removing a supervisor keeps the row (the audit trail names them), inactive and
without a password, and revokes its live sessions in the same transaction; adding the
name again makes it active with the new password.
Rule 3: a session is a token named `session:<name>` of the supervisor's role that names
the supervisor and expires (tokens rule 4): signing in issues one, signing out revokes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cti.domain.config import ConfigError
from cti.domain.ids import PLAIN_NAME
from cti.domain.setting import named
from cti.storage import tokens
from cti.storage.errors import ConfigNotFound
from cti.storage.models import ApiTokenRow, SupervisorRow
from cti.storage.tokens import IssuedToken, Role

SESSION_PREFIX: Final = "session:"
PAGE_ROLES: Final = (Role.SUPERVISOR, Role.ADMIN, Role.VIEWER)


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisorInfo:
    name: str
    role: Role
    active: bool
    device: str | None = None  # the phone monitoring calls (C8)


def checked_name(name: str) -> str:
    """Rule 1's name, or a SettingError (a ConfigError) saying what a name may be."""
    named("supervisor", name, PLAIN_NAME, "name")
    return name


def page_role(role: Role | str) -> Role:
    checked = tokens.role_of(role)
    if checked not in PAGE_ROLES:
        raise ConfigError("a supervisor's role is supervisor, admin or viewer")
    return checked


async def put(
    connection: AsyncConnection, name: str, role: Role, password_hash: str, now: datetime
) -> None:
    """Creates the supervisor, or replaces its role and password (rule 2)."""
    values = {"role": role.value, "password_hash": password_hash, "active": True, "updated_at": now}
    query = update(SupervisorRow).where(SupervisorRow.name == name)
    if (await connection.execute(query, values)).rowcount == 0:
        await connection.execute(insert(SupervisorRow), {"name": name, **values})


async def remove(connection: AsyncConnection, name: str, now: datetime) -> None:
    """Rule 2; ConfigNotFound when there is no such active supervisor."""
    live = update(SupervisorRow).where(SupervisorRow.name == name, SupervisorRow.active.is_(True))
    gone = {"active": False, "password_hash": None, "updated_at": now}
    if (await connection.execute(live, gone)).rowcount == 0:
        raise ConfigNotFound(f"supervisor {name} does not exist")
    await end_sessions(connection, name, now)


async def end_sessions(connection: AsyncConnection, name: str, now: datetime) -> None:
    """Revokes the supervisor's live sessions."""
    live = update(ApiTokenRow).where(
        ApiTokenRow.supervisor == name, ApiTokenRow.revoked_at.is_(None)
    )
    await connection.execute(live, {"revoked_at": now})


async def credentials_of(connection: AsyncConnection, name: str) -> tuple[Role, str | None] | None:
    """The active supervisor's role and password hash; None for an unknown name."""
    query = select(SupervisorRow.role, SupervisorRow.password_hash).where(
        SupervisorRow.name == name, SupervisorRow.active.is_(True)
    )
    row = (await connection.execute(query)).first()
    return None if row is None else (Role(row[0]), row[1])


async def open_session(
    connection: AsyncConnection, name: str, role: Role, now: datetime, expires_at: datetime
) -> IssuedToken:
    """Rule 3."""
    return await tokens.issue(
        connection, SESSION_PREFIX + name, role, None, now, supervisor=name, expires_at=expires_at
    )


async def listed(connection: AsyncConnection) -> list[SupervisorInfo]:
    query = select(
        SupervisorRow.name, SupervisorRow.role, SupervisorRow.active, SupervisorRow.device
    )
    return [
        SupervisorInfo(name=name, role=Role(role), active=active, device=device)
        for name, role, active, device in await connection.execute(
            query.order_by(SupervisorRow.name)
        )
    ]


async def set_device(
    connection: AsyncConnection, name: str, device: str | None, now: datetime
) -> None:
    """The phone the supervisor's monitoring calls; ConfigNotFound for no such supervisor."""
    live = update(SupervisorRow).where(SupervisorRow.name == name, SupervisorRow.active.is_(True))
    if (await connection.execute(live, {"device": device, "updated_at": now})).rowcount == 0:
        raise ConfigNotFound(f"supervisor {name} does not exist")


async def device_of(connection: AsyncConnection, name: str) -> str | None:
    query = select(SupervisorRow.device).where(
        SupervisorRow.name == name, SupervisorRow.active.is_(True)
    )
    return (await connection.execute(query)).scalar()
