"""ConfigStore: queues, agents, not-ready reasons and API tokens, kept in the database.

Rule 1: every configuration change is one transaction that first bumps config_revision
(serialising changes on every dialect: a row lock on PostgreSQL, the write lock on SQLite),
then builds the whole resulting AcdConfig and validates it (config.validate()) before it
writes anything; a ConfigError rolls the transaction back, so nothing is half-applied.
Rule 2: PINs are stored as scrypt hashes and tokens as SHA-256 digests (cti.storage.
credentials); hashing runs in a pool of its own (PIN_POOL, two threads), never on the loop
and never queued behind other work in the default pool (an upload's parse, a file read).
Rule 3: a deleted agent stays as an inactive row (history names it) without PIN, skills,
queues or live tokens; load() returns active agents only.
Rule 4: every await on the database is bounded by a timeout.
Errors a user can fix are ConfigError subclasses whose message says what to do.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Final, ParamSpec, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cti.domain.config import AcdConfig, AgentProfile, ConfigError, NotReadyReason, QueueConfig
from cti.domain.ids import AgentId, QueueId
from cti.storage import config_rows, credentials, tokens
from cti.storage.client import StoreClient
from cti.storage.errors import ConfigConflict, ConfigNotFound
from cti.storage.models import AgentRow, ApiTokenRow, ConfigRevisionRow, NotReadyReasonRow, QueueRow
from cti.storage.tokens import IssuedToken, Role, TokenIdentity, TokenInfo

SNAPSHOT_ATTEMPTS: Final = 5


def _no_pins() -> Mapping[AgentId, str]:
    return MappingProxyType({})


PIN_POOL: Final = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cti-pin")
P = ParamSpec("P")
R = TypeVar("R")


async def _hashing(work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """scrypt in PIN_POOL: logins wait only for other logins."""
    return await asyncio.get_running_loop().run_in_executor(
        PIN_POOL, functools.partial(work, *args, **kwargs)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigChange:
    """Values to upsert together; pins are new PINs in clear, by agent (others keep theirs)."""

    queues: tuple[QueueConfig, ...] = ()
    agents: tuple[AgentProfile, ...] = ()
    reasons: tuple[NotReadyReason, ...] = ()
    pins: Mapping[AgentId, str] = field(default_factory=_no_pins)


@dataclass(frozen=True, slots=True, kw_only=True)
class Counts:
    created: int = 0
    updated: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeSummary:
    queues: Counts = Counts()
    agents: Counts = Counts()
    reasons: Counts = Counts()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigSnapshot:
    revision: int  # changes committed so far; it grows with every change
    config: AcdConfig


class ConfigStore(StoreClient):
    """The configuration and API tokens in the database; see the module rules."""

    async def load(self) -> AcdConfig:
        """The current configuration, validated."""
        return (await self.snapshot()).config

    async def snapshot(self) -> ConfigSnapshot:
        """The current configuration with its revision, read consistently.

        Each statement may see a different commit (PostgreSQL read committed, SQLite
        autocommit reads), so the revision is read before and after; a change in between
        means reading again."""
        async with self._reading() as connection:
            for _ in range(SNAPSHOT_ATTEMPTS):
                before = await _revision(connection)
                config = await config_rows.read_config(connection)
                if await _revision(connection) == before:
                    return ConfigSnapshot(revision=before, config=config.validate())
                await connection.rollback()
        raise ConfigConflict("the configuration kept changing while it was read; try again")

    async def apply(self, change: ConfigChange) -> ChangeSummary:
        """Upserts every value of the change in one transaction, or none of them."""
        _refuse_duplicates(change)
        hashes = {
            agent: await _hashing(credentials.hash_pin, pin) for agent, pin in change.pins.items()
        }
        async with self._change() as (connection, current, now):
            summary = _summary(current, change)
            _merged(current, change).validate()
            for queue in change.queues:
                await config_rows.write_queue(connection, queue, now)
            for agent in change.agents:
                await config_rows.write_agent(connection, agent, hashes.get(agent.id), now)
            for reason in change.reasons:
                await config_rows.write_reason(connection, reason)
        return summary

    async def put_queue(self, queue: QueueConfig) -> None:
        await self.apply(ConfigChange(queues=(queue,)))

    async def put_agent(self, agent: AgentProfile, pin: str | None = None) -> None:
        """Creates or updates the agent; a None pin keeps the agent's PIN (if any)."""
        pins = {} if pin is None else {agent.id: credentials.check_pin(pin)}
        await self.apply(ConfigChange(agents=(agent,), pins=MappingProxyType(pins)))

    async def put_reason(self, reason: NotReadyReason) -> None:
        await self.apply(ConfigChange(reasons=(reason,)))

    async def delete_queue(self, queue: QueueId) -> None:
        """Deletes the queue; refused while agents are members or queues overflow to it."""
        async with self._change() as (connection, current, _now):
            if queue not in current.queues:
                raise ConfigNotFound(f"queue {queue} does not exist")
            _refuse_if_referenced(current, queue)
            await connection.execute(delete(QueueRow).where(QueueRow.id == queue))

    async def delete_agent(self, agent: AgentId) -> None:
        """Deactivates the agent: no PIN, skills, queues or live tokens remain."""
        async with self._change() as (connection, current, now):
            if agent not in current.agents:
                raise ConfigNotFound(f"agent {agent} does not exist")
            await config_rows.retire_agent(connection, current.agents[agent], now)
            await connection.execute(
                update(ApiTokenRow).where(
                    ApiTokenRow.agent_id == agent, ApiTokenRow.revoked_at.is_(None)
                ),
                {"revoked_at": now},
            )

    async def delete_reason(self, code: str) -> None:
        async with self._change() as (connection, current, _now):
            if code not in current.reasons:
                raise ConfigNotFound(f"not-ready reason {code} does not exist")
            await connection.execute(
                delete(NotReadyReasonRow).where(NotReadyReasonRow.code == code)
            )

    async def create_token(self, name: str, role: Role | str, agent: AgentId | None = None) -> str:
        """A new token's secret, shown only now (only its SHA-256 is stored)."""
        return (await self.issue_token(name, role, agent)).secret

    async def issue_token(
        self, name: str, role: Role | str, agent: AgentId | None = None
    ) -> IssuedToken:
        """Like create_token, with the id that revoke_token takes."""
        async with self._writing() as connection:
            return await tokens.issue(connection, name, role, agent, self._now())

    async def token_identity(self, secret: str) -> TokenIdentity | None:
        """Who the token speaks for; None when it is unknown, revoked or its agent deleted."""
        async with self._reading() as connection:
            return await tokens.identity(connection, secret)

    async def revoke_token(self, token_id: int) -> None:
        """Revokes the token (again is a no-op); ConfigNotFound when there is none."""
        async with self._writing() as connection:
            await tokens.revoke(connection, token_id, self._now())

    async def list_tokens(self) -> list[TokenInfo]:
        """Every token, revoked ones included, by id."""
        async with self._reading() as connection:
            return await tokens.listed(connection)

    async def verify_pin(self, agent: AgentId, pin: str) -> bool:
        """True when the agent is active and the PIN is theirs (scrypt in a worker thread)."""
        query = select(AgentRow.pin_hash).where(AgentRow.id == agent, AgentRow.active.is_(True))
        async with self._reading() as connection:
            stored = (await connection.execute(query)).scalar()
        return await _hashing(credentials.pin_matches, pin, stored)

    @asynccontextmanager
    async def _change(self) -> AsyncIterator[tuple[AsyncConnection, AcdConfig, datetime]]:
        now = self._now()
        async with self._writing() as connection:
            bump = update(ConfigRevisionRow).where(ConfigRevisionRow.id == 1)
            await connection.execute(
                bump.values(revision=ConfigRevisionRow.revision + 1, changed_at=now)
            )
            yield connection, await config_rows.read_config(connection), now


async def _revision(connection: AsyncConnection) -> int:
    query = select(ConfigRevisionRow.revision).where(ConfigRevisionRow.id == 1)
    return (await connection.execute(query)).scalar_one()


def _refuse_duplicates(change: ConfigChange) -> None:
    named: tuple[tuple[str, list[str]], ...] = (
        ("queue", [queue.id for queue in change.queues]),
        ("agent", [agent.id for agent in change.agents]),
        ("not-ready reason", [reason.code for reason in change.reasons]),
    )
    for kind, ids in named:
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ConfigError(f"{kind} {', '.join(twice)} given more than once")
    strays = sorted(set(change.pins) - {agent.id for agent in change.agents})
    if strays:
        raise ConfigError(f"PIN for agent {', '.join(strays)}, who is not in the change")


def _merged(current: AcdConfig, change: ConfigChange) -> AcdConfig:
    return AcdConfig(
        queues=MappingProxyType({**current.queues, **{q.id: q for q in change.queues}}),
        agents=MappingProxyType({**current.agents, **{a.id: a for a in change.agents}}),
        reasons=MappingProxyType({**current.reasons, **{r.code: r for r in change.reasons}}),
    )


def _summary(current: AcdConfig, change: ConfigChange) -> ChangeSummary:
    def counts(ids: list[str], existing: Collection[str]) -> Counts:
        updated = sum(1 for i in ids if i in existing)
        return Counts(created=len(ids) - updated, updated=updated)

    return ChangeSummary(
        queues=counts([q.id for q in change.queues], current.queues),
        agents=counts([a.id for a in change.agents], current.agents),
        reasons=counts([r.code for r in change.reasons], current.reasons),
    )


def _refuse_if_referenced(current: AcdConfig, queue: QueueId) -> None:
    members = sorted(a.id for a in current.agents.values() if queue in a.queues)
    if members:
        raise ConfigConflict(
            f"queue {queue} still has members ({', '.join(members)}); remove them first"
        )
    feeders = sorted(q.id for q in current.queues.values() if q.overflow_queue == queue)
    if feeders:
        raise ConfigConflict(
            f"queue {queue} is the overflow of {', '.join(feeders)}; change those first"
        )
