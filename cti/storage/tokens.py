"""API tokens: issue, identify, revoke, list (the SQL behind ConfigStore's token methods).

Rule 1: only the SHA-256 of a secret is stored; the secret exists once, in issue()'s answer.
Rule 2: a token speaks for its role, name and agent until revoked; a token of an agent who
was deleted speaks for no one (deleting an agent also revokes its tokens).
Rule 3: an agent token names an agent; any token's agent must exist and be active.
Rule 4: a session of the pages is a token of its supervisor (who must be active) with an
expiry; past it, or once the supervisor is removed, it speaks for no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cti.domain.config import ConfigError
from cti.domain.ids import AgentId, Instant
from cti.storage import credentials
from cti.storage.errors import ConfigNotFound
from cti.storage.models import AgentRow, ApiTokenRow, SupervisorRow


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    VIEWER = "viewer"  # a display: the wallboard with numbers masked, nothing else (P22)


class TokenIdentity(NamedTuple):
    """Who a live token speaks for."""

    role: Role
    name: str
    agent: AgentId | None
    supervisor: str | None = None  # a session's (rule 4)
    expires_at: Instant | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenInfo:
    """A token as listed: everything but its secret."""

    id: int
    name: str
    role: Role
    agent: AgentId | None
    created_at: Instant
    revoked_at: Instant | None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedToken:
    id: int
    secret: str  # shown once; only its SHA-256 is stored


def role_of(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ConfigError(f"unknown role {role!r} (choose {choices})") from None


async def issue(
    connection: AsyncConnection,
    name: str,
    role: Role | str,
    agent: AgentId | None,
    now: datetime,
    *,
    supervisor: str | None = None,
    expires_at: datetime | None = None,
) -> IssuedToken:
    checked = role_of(role)
    if not name.strip():
        raise ConfigError("a token needs a name")
    if checked is Role.AGENT and agent is None:
        raise ConfigError("an agent token needs --agent")
    if agent is not None:
        query = select(AgentRow.id).where(AgentRow.id == agent, AgentRow.active.is_(True))
        if (await connection.execute(query)).first() is None:
            raise ConfigNotFound(f"agent {agent} does not exist")
    secret = credentials.new_token()
    row = {
        "name": name,
        "role": checked.value,
        "agent_id": agent,
        "token_hash": credentials.token_hash(secret),
        "created_at": now,
        "supervisor": supervisor,
        "expires_at": expires_at,
    }
    result = await connection.execute(insert(ApiTokenRow).returning(ApiTokenRow.id), [row])
    return IssuedToken(id=result.scalar_one(), secret=secret)


async def identity(connection: AsyncConnection, digest: str, now: datetime) -> TokenIdentity | None:
    """Who the token whose SHA-256 digest this is speaks for (credentials.token_hash)."""
    t = ApiTokenRow
    query = (
        select(t.role, t.name, t.agent_id, t.supervisor, t.expires_at)
        .outerjoin(AgentRow, AgentRow.id == t.agent_id)
        .outerjoin(SupervisorRow, SupervisorRow.name == t.supervisor)
        .where(
            t.token_hash == digest,
            t.revoked_at.is_(None),
            or_(t.agent_id.is_(None), AgentRow.active.is_(True)),
            or_(t.supervisor.is_(None), SupervisorRow.active.is_(True)),  # rule 4
            or_(t.expires_at.is_(None), t.expires_at > now),
        )
    )
    row = (await connection.execute(query)).first()
    if row is None:
        return None
    role, name, agent, supervisor, expires = row
    return TokenIdentity(
        Role(role),
        name,
        None if agent is None else AgentId(agent),
        supervisor,
        None if expires is None else Instant(expires.timestamp()),
    )


async def revoke(connection: AsyncConnection, token_id: int, now: datetime) -> None:
    found = await connection.execute(select(ApiTokenRow.id).where(ApiTokenRow.id == token_id))
    if found.first() is None:
        raise ConfigNotFound(f"token {token_id} does not exist")
    live = update(ApiTokenRow).where(ApiTokenRow.id == token_id, ApiTokenRow.revoked_at.is_(None))
    await connection.execute(live.values(revoked_at=now))


async def listed(connection: AsyncConnection) -> list[TokenInfo]:
    query = select(
        ApiTokenRow.id,
        ApiTokenRow.name,
        ApiTokenRow.role,
        ApiTokenRow.agent_id,
        ApiTokenRow.created_at,
        ApiTokenRow.revoked_at,
    ).order_by(ApiTokenRow.id)
    return [
        TokenInfo(
            id=token_id,
            name=name,
            role=Role(role),
            agent=None if agent is None else AgentId(agent),
            created_at=Instant(created.timestamp()),
            revoked_at=None if revoked is None else Instant(revoked.timestamp()),
        )
        for token_id, name, role, agent, created, revoked in await connection.execute(query)
    ]
