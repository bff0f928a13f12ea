"""CampaignStore: outbound campaigns, their contacts, dial attempts and do-not-call (C5).

Rule 1: a campaign's status moves only along TRANSITIONS; a finished campaign is never
started, paused or changed again, and a campaign without contacts is not started. Every
write to one campaign (save, status, contacts upload) first locks its row with an UPDATE,
so those writes are serialised per campaign on every dialect (a row lock on PostgreSQL,
the write lock on SQLite) and every check reads what the write will change.
Rule 2: contacts are inserted once: an id (or a number of the campaign) already stored is
skipped with INSERT ... ON CONFLICT DO NOTHING, so a second or concurrent upload of the
same rows adds nothing.
Rule 3: a contact changes by compare-and-set on its status: `claim` moves it from pending
to dialling in one UPDATE ... WHERE status = 'pending', so of two claims only one wins,
and counts the claim; `update_contact` writes only when the stored status is the one
expected and the claim the one the value was made under (outbound_writes rule 1).
Rule 4: dial attempts are history (final): recording one again is a no-op, and the
contact it left behind is written in the same transaction only when the attempt was new.
Rule 5: every database await is bounded by the timeout (a contacts upload: each chunk).
Rule 6: the queue a campaign names is stored as given; the API checks it is configured.
Rule 7: a campaign whose pending contacts are all put off (a quiet period, a retry's
delay, the calling window) is still owed them: `due` says how many may be dialled now and
when the next one may, so a campaign that dials nothing says why (README, "Outbound
campaigns").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final, NamedTuple

from sqlalchemy import RowMapping, case, delete, exists, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import DeclarativeBase

from cti.domain.config import AcdConfig, ConfigError
from cti.domain.ids import Instant
from cti.domain.outbound.abandon_window import AbandonWindow, Attempt, tally
from cti.domain.outbound.attempt import DialAttempt
from cti.domain.outbound.campaign import (
    AttemptResult,
    CampaignConfig,
    CampaignId,
    CampaignStatus,
)
from cti.domain.outbound.campaign_status import Refusal, start_refusal, transition_refusal
from cti.domain.outbound.contact import Contact, ContactId, ContactStatus, normalize_number
from cti.domain.outbound.quiet import QUIETENING, NumberQuiet, noted
from cti.domain.outbound.seats import (
    SeatCount as SeatCount,  # seat_counts' values, moved to the core
)
from cti.storage import campaign_rows, outbound_writes
from cti.storage.campaign_models import CampaignRow, ContactRow, DialAttemptRow, DoNotCallRow
from cti.storage.campaign_stats import CampaignFigures
from cti.storage.dialect import dialect_insert
from cti.storage.errors import CampaignNotFound, CampaignRefused
from cti.storage.rows import Row, instant, opt_instant, utc, value

logger = logging.getLogger(__name__)

CAMPAIGNS = CampaignRow.__table__
CONTACTS = ContactRow.__table__
ATTEMPTS = DialAttemptRow.__table__
DO_NOT_CALL = DoNotCallRow.__table__
CHUNK: Final = 1000  # rows per INSERT of an upload, each bounded by the timeout

S = CampaignStatus


class StoredCampaign(NamedTuple):
    config: CampaignConfig
    status: CampaignStatus


class Due(NamedTuple):
    """A campaign's pending contacts against an instant (rule 7)."""

    due_now: int  # pending contacts due by then (next_at at or before it)
    next_due: Instant | None  # the earliest next_at of its pending contacts; None: none


class CampaignStore(CampaignFigures):
    """Campaigns, contacts, attempts and do-not-call numbers; see the module rules. Its
    figures (attempts by result, the abandon window, seats' days) are CampaignFigures'."""

    # Campaigns ---------------------------------------------------------------------------

    async def save(self, config: CampaignConfig) -> bool:
        """Creates the campaign as a draft (True) or updates its settings (False).

        ConfigError when the config is invalid; CampaignRefused when it is finished. The
        queue is not checked here (rule 6)."""
        config.validate()
        document = campaign_rows.campaign_document(config)
        now = self._now()
        values = {"name": config.name, "queue": config.queue, "config": document}
        created = {"id": config.id, "status": S.DRAFT.value, "created_at": now, "updated_at": now}
        async with self._writing() as connection:
            if await _insert_new(connection, CampaignRow, [{**created, **values}]):
                return True
            if await _lock(connection, config.id, now) is S.FINISHED:
                raise CampaignRefused(f"campaign {config.id} is finished: it cannot be changed")
            await connection.execute(update(CampaignRow).where(CampaignRow.id == config.id), values)
        return False

    async def get(self, campaign: CampaignId) -> StoredCampaign:
        """The campaign's settings and status; CampaignNotFound when there is none."""
        async with self._reading() as connection:
            query = CAMPAIGNS.select().where(CAMPAIGNS.c.id == campaign)
            row = (await connection.execute(query)).mappings().first()
        if row is None:
            raise CampaignNotFound(f"campaign {campaign} does not exist")
        return _stored(row)

    async def list_campaigns(self) -> list[StoredCampaign]:
        """Every campaign, by id."""
        async with self._reading() as connection:
            query = CAMPAIGNS.select().order_by(CAMPAIGNS.c.id)
            return [_stored(row) for row in (await connection.execute(query)).mappings()]

    async def set_status(
        self, campaign: CampaignId, status: CampaignStatus, *, acd: AcdConfig | None = None
    ) -> None:
        """Moves the campaign to `status` (rule 1); already there is a no-op, except that a
        finished campaign refuses everything (CampaignRefused). Starting one needs contacts,
        and, given the ACD's configuration, an agent serving its queue (ConfigError): the
        core's rules (cti/domain/outbound/campaign_status.py), as every door applies them."""
        now = self._now()
        async with self._writing() as connection:
            current = await _lock(connection, campaign, now)
            if current is status and status is not S.FINISHED:
                return
            refused = transition_refusal(campaign, current, status)
            if refused is None and status is S.RUNNING:
                refused = await _start_refusal(connection, campaign, current, acd)
            if refused is not None:
                raise (
                    CampaignRefused(refused.reason)
                    if refused.conflict
                    else ConfigError(refused.reason)
                )
            await connection.execute(
                update(CampaignRow).where(CampaignRow.id == campaign), {"status": status.value}
            )

    # Contacts ----------------------------------------------------------------------------

    async def add_contacts(self, campaign: CampaignId, contacts: Iterable[Contact]) -> int:
        """Stores the contacts not stored yet (rule 2); how many were new."""
        new: dict[ContactId, Contact] = {}
        for contact in contacts:
            if contact.campaign != campaign:
                raise ConfigError(f"contact {contact.id} is of campaign {contact.campaign}")
            new.setdefault(contact.id, contact)
        now = self._now()
        async with asyncio.timeout(self._timeout) as bound, self._source.engine.begin() as c:
            if await _lock(c, campaign, now) is S.FINISHED:
                raise CampaignRefused(f"campaign {campaign} is finished: it takes no contacts")
            added, pending = 0, list(new.values())
            for start in range(0, len(pending), CHUNK):  # rows made a chunk at a time, so
                # the loop runs other work while each chunk is written
                bound.reschedule(asyncio.get_running_loop().time() + self._timeout)
                chunk = pending[start : start + CHUNK]
                rows = [campaign_rows.contact_row(contact, now) for contact in chunk]
                added += await _insert_new(c, ContactRow, rows)
            return added

    async def numbers(self, campaign: CampaignId) -> set[str]:
        """The numbers the campaign has (read_contacts' `known`); none for an unknown one."""
        query = select(CONTACTS.c.number).where(CONTACTS.c.campaign_id == campaign)
        async with self._reading() as connection:
            return set((await connection.execute(query)).scalars())

    async def contact(self, contact: ContactId) -> Contact | None:
        query = CONTACTS.select().where(CONTACTS.c.id == contact)
        async with self._reading() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else campaign_rows.contact_from(row)

    async def progress(self, campaign: CampaignId) -> dict[ContactStatus, int]:
        """The campaign's contacts by status (statuses without any are left out)."""
        status = CONTACTS.c.status
        query = select(status, func.count()).where(CONTACTS.c.campaign_id == campaign)
        async with self._reading() as connection:
            found = (await connection.execute(query.group_by(status))).all()
        return {ContactStatus(name): count for name, count in found}

    async def due(self, campaign: CampaignId, now: Instant) -> Due:
        """How many pending contacts are due by `now`, and the earliest instant one is
        (rule 7); (0, None) when none is pending, or the campaign is unknown."""
        next_at = CONTACTS.c.next_at
        query = select(
            func.count(case((next_at <= utc(now), 1))).label("due_now"),
            func.min(next_at, type_=next_at.type).label("next_due"),
        ).where(
            CONTACTS.c.campaign_id == campaign,
            CONTACTS.c.status == ContactStatus.PENDING.value,
        )
        async with self._reading() as connection:
            row = (await connection.execute(query)).mappings().one()
        return Due(value(row, "due_now", int), opt_instant(row, "next_due"))

    async def due_contacts(self, campaign: CampaignId, now: Instant, limit: int) -> list[Contact]:
        """Up to `limit` pending contacts due by `now`: the longest due first, then by id."""
        if limit < 1:
            return []
        query = (
            CONTACTS.select()
            .where(
                CONTACTS.c.campaign_id == campaign,
                CONTACTS.c.status == ContactStatus.PENDING.value,
                CONTACTS.c.next_at <= utc(now),
            )
            .order_by(CONTACTS.c.next_at, CONTACTS.c.id)
            .limit(limit)
        )
        async with self._reading() as connection:
            found = (await connection.execute(query)).mappings()
            return [campaign_rows.contact_from(row) for row in found]

    async def claim(self, contact: ContactId) -> Contact | None:
        """The contact moved from pending to dialling, or None if it was not pending (rule 3)."""
        query = (
            update(ContactRow)
            .where(ContactRow.id == contact, ContactRow.status == ContactStatus.PENDING.value)
            .values(
                status=ContactStatus.DIALLING.value,
                claims=ContactRow.claims + 1,
                updated_at=self._now(),
            )
            .returning(*CONTACTS.c)
        )
        async with self._writing() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else campaign_rows.contact_from(row)

    async def update_contact(self, contact: Contact, *, expected: ContactStatus) -> bool:
        """Writes the contact if its stored status is `expected` (rule 3); whether it did."""
        async with self._writing() as connection:
            return await self._write_contact(connection, contact, expected)

    async def release_dialling(
        self, campaign: CampaignId, *, not_before: Instant | None = None
    ) -> int:
        """After a restart: contacts left dialling are pending again, not before
        `not_before` when given (one may have been dialled as the server stopped); how
        many there were."""
        values: dict[str, object] = {
            "status": ContactStatus.PENDING.value,
            "updated_at": self._now(),
        }
        if not_before is not None:
            values["next_at"] = utc(not_before)
        query = (
            update(ContactRow)
            .where(
                ContactRow.campaign_id == campaign,
                ContactRow.status == ContactStatus.DIALLING.value,
            )
            .values(**values)
        )
        async with self._writing() as connection:
            return (await connection.execute(query)).rowcount

    # Attempts ----------------------------------------------------------------------------

    async def record_attempt(self, attempt: DialAttempt, contact: Contact | None = None) -> bool:
        """Stores the attempt, and the contact as it left it (rule 4); whether it was new.
        The dialer's attempts come through the history instead (outbound_writes); this is
        the same write, for imports and tests."""
        async with self._writing() as connection:
            return await outbound_writes.store_attempt(connection, attempt, contact, self._now())

    async def attempts_of(self, contact: ContactId) -> list[DialAttempt]:
        """The contact's attempts, in the order they started."""
        query = (
            ATTEMPTS.select()
            .where(ATTEMPTS.c.contact_id == contact)
            .order_by(ATTEMPTS.c.started_at, ATTEMPTS.c.id)
        )
        async with self._reading() as connection:
            found = (await connection.execute(query)).mappings()
            return [campaign_rows.attempt_from(row) for row in found]

    async def pacing_window(self, config: CampaignConfig, now: Instant) -> AbandonWindow:
        """The campaign's abandon window at `now` as the pacer keeps it, rebuilt from the
        stored attempts (cti/domain/outbound/abandon_window.py rule 3)."""
        length = config.pacing.window
        return tally(await self.attempts_since(config.id, Instant(now - length)), now, length)

    async def attempts_since(self, campaign: CampaignId, since: Instant) -> list[Attempt]:
        """The campaign's attempts a person answered that ended at or after `since`, for
        abandon_window.tally after a restart (the others do not count in the abandon rate)."""
        query = (
            ATTEMPTS.select()
            .where(
                ATTEMPTS.c.campaign_id == campaign,
                ATTEMPTS.c.ended_at >= utc(since),
                ATTEMPTS.c.person.is_(True),
            )
            .order_by(ATTEMPTS.c.ended_at, ATTEMPTS.c.id)
        )
        async with self._reading() as connection:
            found = (await connection.execute(query)).mappings()
            return [campaign_rows.pacing_attempt(row) for row in found]

    async def quiet_numbers(
        self, since: Instant, numbers: Iterable[str] | None = None
    ) -> dict[str, NumberQuiet]:
        """The last abandoned call and the last machine of each number (of `numbers`, or
        all) that ended at or after `since`, over every campaign (cti/domain/outbound/quiet.py
        rule 4)."""
        ended = func.max(ATTEMPTS.c.ended_at, type_=ATTEMPTS.c.ended_at.type).label("ended")
        query = select(ATTEMPTS.c.number, ATTEMPTS.c.result, ended).where(
            ATTEMPTS.c.result.in_([r.value for r in QUIETENING]),
            ATTEMPTS.c.ended_at >= utc(since),
        )
        if numbers is not None:
            wanted = sorted(set(numbers))
            if not wanted:
                return {}
            query = query.where(ATTEMPTS.c.number.in_(wanted))
        found: dict[str, NumberQuiet] = {}
        async with self._reading() as connection:
            grouped = query.group_by(ATTEMPTS.c.number, ATTEMPTS.c.result)
            for row in (await connection.execute(grouped)).mappings():
                result, at = AttemptResult(row["result"]), instant(row, "ended")
                entry = noted(found.get(row["number"]), result, at)
                if entry is not None:
                    found[row["number"]] = entry
        return found

    # Do not call -------------------------------------------------------------------------
    # Numbers are normalised as contacts' are (ContactError when one is not a phone number).

    async def dnc_add(self, numbers: Iterable[str], note: str = "") -> int:
        """Adds the numbers not listed yet (a listed one keeps its note); how many were new."""
        now = self._now()
        normal = dict.fromkeys(normalize_number(number) for number in numbers)
        rows: list[Row] = [{"number": n, "note": note, "added_at": now} for n in normal]
        async with self._writing() as connection:
            return await _insert_new(connection, DoNotCallRow, rows)

    async def dnc_remove(self, number: str) -> bool:
        """Takes the number off the list; whether it was on it."""
        query = delete(DoNotCallRow).where(DoNotCallRow.number == normalize_number(number))
        async with self._writing() as connection:
            return (await connection.execute(query)).rowcount == 1

    async def dnc_numbers(self) -> frozenset[str]:
        async with self._reading() as connection:
            return frozenset((await connection.execute(select(DO_NOT_CALL.c.number))).scalars())

    async def dnc_contains(self, number: str) -> bool:
        query = select(exists().where(DO_NOT_CALL.c.number == normalize_number(number)))
        async with self._reading() as connection:
            return bool((await connection.execute(query)).scalar())

    # Helpers -----------------------------------------------------------------------------

    async def _write_contact(
        self, connection: AsyncConnection, contact: Contact, expected: ContactStatus
    ) -> bool:
        return await outbound_writes.write_contact(connection, contact, expected, self._now())


async def _lock(connection: AsyncConnection, campaign: CampaignId, now: datetime) -> S:
    """The campaign's status, its row locked until the transaction ends (rule 1)."""
    query = (
        update(CampaignRow)
        .where(CampaignRow.id == campaign)
        .values(updated_at=now)
        .returning(CampaignRow.status)
    )
    status = (await connection.execute(query)).scalar()
    if status is None:
        raise CampaignNotFound(f"campaign {campaign} does not exist")
    return S(status)


async def _start_refusal(
    connection: AsyncConnection, campaign: CampaignId, current: S, acd: AcdConfig | None
) -> Refusal | None:
    query = select(exists().where(CONTACTS.c.campaign_id == campaign))
    contacts = int(bool((await connection.execute(query)).scalar()))
    row = (
        (await connection.execute(CAMPAIGNS.select().where(CAMPAIGNS.c.id == campaign)))
        .mappings()
        .one()
    )
    return start_refusal(_stored(row).config, current, contacts=contacts, acd=acd)


async def _insert_new(
    connection: AsyncConnection, model: type[DeclarativeBase], rows: Sequence[Row]
) -> int:
    """Inserts the rows that conflict with no stored key (any unique one); how many."""
    if not rows:
        return 0
    statement = dialect_insert(model, connection.dialect.name).on_conflict_do_nothing()
    keys = statement.returning(*inspect(model).primary_key)
    return len((await connection.execute(keys, rows)).all())


def _stored(row: RowMapping) -> StoredCampaign:
    return StoredCampaign(campaign_rows.campaign_from(row), S(value(row, "status", str)))
