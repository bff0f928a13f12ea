"""ConfigStore: queues, agents, not-ready reasons, API tokens and the supervisors who sign
in to the pages (cti/storage/supervisors.py), kept in the database.

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
Rule 5: who a token speaks for is remembered for a moment (cti/storage/token_cache.py);
every change this store makes (a configuration change, a revoked token) forgets it all.
Rule 6: each change answers the configuration stored once it committed (the one load()
would read next, in the same order), so that the caller need not read it again.
Rule 7: the store keeps the configuration it last read whole or wrote, with its revision;
a change whose bump finds the revision right after that one (no other commit since, from
this process or another: every change bumps it, rule 1) changes that configuration
instead of reading it again. Anything else is read from the tables. An edit made in the
tables by hand, without a bump, is seen at the next full read (load(): ConfigWatch does
one every few seconds, POST /admin/reload at once).
Errors a user can fix are ConfigError subclasses whose message says what to do.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final, ParamSpec, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cti.domain.config import AcdConfig, AgentProfile, ConfigError, NotReadyReason, QueueConfig
from cti.domain.ids import AgentId, QueueId
from cti.domain.notice import Notice
from cti.storage import config_rows, credentials, notices, supervisors, tokens
from cti.storage.client import EngineSource, StoreClient, utc_now
from cti.storage.errors import ConfigConflict, ConfigNotFound
from cti.storage.models import AgentRow, ApiTokenRow, ConfigRevisionRow, NotReadyReasonRow, QueueRow
from cti.storage.token_cache import TokenCache
from cti.storage.tokens import IssuedToken, Role, TokenIdentity, TokenInfo

SNAPSHOT_ATTEMPTS: Final = 5


def _no_pins() -> Mapping[AgentId, str]:
    return MappingProxyType({})


PIN_POOL: Final = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cti-pin")
P = ParamSpec("P")
R = TypeVar("R")
K = TypeVar("K", bound=str)
V = TypeVar("V")


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

    def __init__(
        self,
        source: EngineSource,
        *,
        timeout: float = 10.0,
        now: Callable[[], datetime] = utc_now,
        identities: TokenCache | None = None,
    ) -> None:
        super().__init__(source, timeout=timeout, now=now)
        self._identities = identities or TokenCache()
        self._known: ConfigSnapshot | None = None  # rule 7: the last one read or written

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
                    self._known = ConfigSnapshot(revision=before, config=config.validate())
                    return self._known
                await connection.rollback()
        raise ConfigConflict("the configuration kept changing while it was read; try again")

    async def apply(self, change: ConfigChange) -> ChangeSummary:
        """Upserts every value of the change in one transaction, or none of them."""
        return (await self._applied(change))[0]

    async def put_queue(self, queue: QueueConfig) -> AcdConfig:
        """Creates or replaces the queue; the configuration now stored (rule 6)."""
        return (await self._applied(ConfigChange(queues=(queue,))))[1]

    async def put_agent(self, agent: AgentProfile, pin: str | None = None) -> AcdConfig:
        """Creates or updates the agent; a None pin keeps the agent's PIN (if any)."""
        pins = {} if pin is None else {agent.id: credentials.check_pin(pin)}
        return (await self._applied(ConfigChange(agents=(agent,), pins=MappingProxyType(pins))))[1]

    async def put_reason(self, reason: NotReadyReason) -> AcdConfig:
        return (await self._applied(ConfigChange(reasons=(reason,))))[1]

    async def delete_queue(self, queue: QueueId) -> AcdConfig:
        """Deletes the queue; refused while agents are members or queues overflow to it."""
        async with self._change() as change:
            if queue not in change.current.queues:
                raise ConfigNotFound(f"queue {queue} does not exist")
            _refuse_if_referenced(change.current, queue)
            await change.connection.execute(delete(QueueRow).where(QueueRow.id == queue))
            change.result = _without(change.current, queues=(queue,))
        return change.result

    async def delete_agent(self, agent: AgentId) -> AcdConfig:
        """Deactivates the agent: no PIN, skills, queues or live tokens remain."""
        async with self._change() as change:
            if agent not in change.current.agents:
                raise ConfigNotFound(f"agent {agent} does not exist")
            retired = change.current.agents[agent]
            await config_rows.retire_agent(change.connection, retired, change.now)
            await change.connection.execute(
                update(ApiTokenRow).where(
                    ApiTokenRow.agent_id == agent, ApiTokenRow.revoked_at.is_(None)
                ),
                {"revoked_at": change.now},
            )
            change.result = _without(change.current, agents=(agent,))
        return change.result

    async def delete_reason(self, code: str) -> AcdConfig:
        async with self._change() as change:
            if code not in change.current.reasons:
                raise ConfigNotFound(f"not-ready reason {code} does not exist")
            await change.connection.execute(
                delete(NotReadyReasonRow).where(NotReadyReasonRow.code == code)
            )
            change.result = _without(change.current, reasons=(code,))
        return change.result

    async def _applied(self, change: ConfigChange) -> tuple[ChangeSummary, AcdConfig]:
        _refuse_duplicates(change)
        hashes = {
            agent: await _hashing(credentials.hash_pin, pin) for agent, pin in change.pins.items()
        }
        async with self._change() as changing:
            connection, current, now = changing.connection, changing.current, changing.now
            summary = _summary(current, change)
            merged = _merged(current, change).validate()
            for queue in change.queues:
                await config_rows.write_queue(connection, queue, now)
            for agent in change.agents:
                await config_rows.write_agent(connection, agent, hashes.get(agent.id), now)
            for reason in change.reasons:
                await config_rows.write_reason(connection, reason)
            changing.result = merged
        return summary, merged

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
        """Who the token speaks for; None when it is unknown, revoked or its agent deleted
        (rule 5: a live one remembered for a moment)."""
        digest = credentials.token_hash(secret)
        remembered = self._identities.get(digest)
        if remembered is not None:
            return remembered
        generation = self._identities.begin()
        async with self._reading() as connection:
            found = await tokens.identity(connection, digest, self._now())
        self._identities.put(digest, found, generation)
        return found

    async def revoke_token(self, token_id: int) -> None:
        """Revokes the token (again is a no-op); ConfigNotFound when there is none."""
        try:
            async with self._writing() as connection:
                await tokens.revoke(connection, token_id, self._now())
        finally:  # rule 5, also when the commit's outcome is unknown (a timeout)
            self._identities.forget_all()

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

    async def put_supervisor(self, name: str, role: Role | str, password: str) -> None:
        """Creates the supervisor or gives it a new role and password; either way its
        sessions end (supervisors rule 2: a new password signs every session out)."""
        checked, name = supervisors.page_role(role), supervisors.checked_name(name)
        hashed = await _hashing(credentials.hash_password, credentials.check_password(password))
        try:
            async with self._writing() as connection:
                now = self._now()
                await supervisors.put(connection, name, checked, hashed, now)
                await supervisors.end_sessions(connection, name, now)
        finally:
            self._identities.forget_all()

    async def remove_supervisor(self, name: str) -> None:
        """Inactive, no password, sessions revoked (supervisors rule 2)."""
        try:
            async with self._writing() as connection:
                await supervisors.remove(connection, name, self._now())
        finally:
            self._identities.forget_all()

    async def verify_password(self, name: str, password: str) -> Role | None:
        """The active supervisor's role when the password is theirs; None otherwise, after
        the same scrypt work for an unknown name (cti/storage/credentials.py)."""
        async with self._reading() as connection:
            found = await supervisors.credentials_of(connection, name)
        role, stored = found or (None, None)
        matches = await _hashing(credentials.password_matches, password, stored)
        return role if matches else None

    async def open_session(self, name: str, role: Role, lifetime: float) -> IssuedToken:
        """A session token of the supervisor, expiring `lifetime` seconds from now."""
        async with self._writing() as connection:
            now = self._now()
            expires = now + timedelta(seconds=lifetime)
            return await supervisors.open_session(connection, name, role, now, expires)

    async def end_session(self, secret: str) -> bool:
        """Revokes the session whose secret this is; False when it is no live session."""
        live = update(ApiTokenRow).where(
            ApiTokenRow.token_hash == credentials.token_hash(secret),
            ApiTokenRow.supervisor.is_not(None),
            ApiTokenRow.revoked_at.is_(None),
        )
        try:
            async with self._writing() as connection:
                ended = await connection.execute(live, {"revoked_at": self._now()})
                return bool(ended.rowcount)
        finally:
            self._identities.forget_all()

    async def put_notice(self, notice: Notice) -> None:
        """A queue's outage notice, kept across restarts (P20)."""
        async with self._writing() as connection:
            await notices.put(connection, notice)

    async def clear_notice(self, queue: QueueId) -> None:
        async with self._writing() as connection:
            await notices.clear(connection, queue)

    async def queue_notices(self) -> list[Notice]:
        async with self._reading() as connection:
            return await notices.listed(connection)

    async def set_supervisor_device(self, name: str, device: str | None) -> None:
        """The phone the supervisor's listen, whisper and barge call (C8); None: none."""
        async with self._writing() as connection:
            await supervisors.set_device(connection, name, device, self._now())

    async def supervisor_device(self, name: str) -> str | None:
        async with self._reading() as connection:
            return await supervisors.device_of(connection, name)

    async def list_supervisors(self) -> list[supervisors.SupervisorInfo]:
        async with self._reading() as connection:
            return await supervisors.listed(connection)

    @asynccontextmanager
    async def _change(self) -> AsyncIterator[Changing]:
        """Rule 1's transaction on the configuration as it is (rule 7); the body sets
        `result`, the configuration once its writes commit."""
        known, self._known = self._known, None
        try:
            async with self._writing() as connection:
                now = self._now()
                bump = update(ConfigRevisionRow).where(ConfigRevisionRow.id == 1)
                bumped = bump.values(revision=ConfigRevisionRow.revision + 1, changed_at=now)
                revision = (
                    await connection.execute(bumped.returning(ConfigRevisionRow.revision))
                ).scalar_one()
                if known is not None and known.revision == revision - 1:
                    current = known.config  # no change committed since it was read
                else:
                    current = await config_rows.read_config(connection)
                changing = Changing(connection, current, now)
                yield changing
            if changing.result is not None:  # committed
                self._known = ConfigSnapshot(revision=revision, config=changing.result)
        finally:  # rule 5: a retired agent's tokens, a changed agent
            self._identities.forget_all()


@dataclass(slots=True)
class Changing:
    """One configuration change in its transaction (ConfigStore._change)."""

    connection: AsyncConnection
    current: AcdConfig  # as committed before this change
    now: datetime
    result: AcdConfig | None = None  # as it will be once this change commits


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
    """The configuration with the change, as load() would read it back (rule 6)."""
    agents = [config_rows.as_read(agent) for agent in change.agents]
    return AcdConfig(
        queues=_sorted({**current.queues, **{q.id: q for q in change.queues}}),
        agents=_sorted({**current.agents, **{a.id: a for a in agents}}),
        reasons=_sorted({**current.reasons, **{r.code: r for r in change.reasons}}),
    )


def _without(
    current: AcdConfig,
    *,
    queues: Collection[str] = (),
    agents: Collection[str] = (),
    reasons: Collection[str] = (),
) -> AcdConfig:
    """The configuration without the deleted values (rule 6)."""
    return AcdConfig(
        queues=_sorted({k: v for k, v in current.queues.items() if k not in queues}),
        agents=_sorted({k: v for k, v in current.agents.items() if k not in agents}),
        reasons=_sorted({k: v for k, v in current.reasons.items() if k not in reasons}),
    ).validate()


def _sorted(values: Mapping[K, V]) -> Mapping[K, V]:
    """By key, as read_config reads them (ORDER BY id)."""
    return MappingProxyType(dict(sorted(values.items())))


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
