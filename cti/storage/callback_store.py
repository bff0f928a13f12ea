"""CallbackStore: callbacks and follow-ups, kept as contacts of each queue's standing
callbacks campaign (P9, P18; cti/domain/outbound/campaign.py rule 5).

Rule 1: the campaign is made on first use, as `callbacks_campaign(queue)` says, and started;
one that exists keeps its settings (an admin may have tuned them) and its status (a paused
one stays paused: nothing is dialled until it runs again). A finished one takes no more
callbacks (CampaignRefused).
Rule 2: a number is stored once per campaign (cti.storage.campaign_models rule 2): a new
callback to a number that has one already replaces it (the customer's latest wish), unless
that one is being dialled right now (CallbackRefused: try again in a moment).
Rule 3: overdue means what cti/domain/outbound/contact.py rule 5 says, in SQL: due passed, still
open, and for a callback no dial placed yet.
Rule 4: callbacks are listed soonest due first, then by id, those without a due time last,
as keyset pages (cti.storage.page). They are state, not history: one whose due time
changes between two pages (replaced, rule 2) may be on both or on neither.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cti.domain.ids import AgentId, Instant, QueueId
from cti.domain.outbound.campaign import (
    CALLBACKS_PREFIX,
    CampaignConfig,
    CampaignStatus,
    callbacks_campaign,
)
from cti.domain.outbound.contact import (
    OPEN,
    Contact,
    ContactEvent,
    ContactId,
    ContactKind,
    ContactStatus,
    moved,
)
from cti.storage import campaign_rows
from cti.storage.campaign_models import ContactRow
from cti.storage.campaign_store import CampaignStore
from cti.storage.client import EngineSource, StoreClient
from cti.storage.dialect import dialect_insert
from cti.storage.errors import CampaignNotFound, CampaignRefused
from cti.storage.page import Order, Page, Position, page_of, paged
from cti.storage.rows import utc

CONTACTS = ContactRow.__table__
OPEN_VALUES = tuple(sorted(status.value for status in OPEN))
CALLBACK_KINDS = (ContactKind.CALLBACK.value, ContactKind.FOLLOW_UP.value)
BY_DUE = Order(time=CONTACTS.c.due, id=CONTACTS.c.id, nullable=True)  # rule 4


class CallbackRefused(CampaignRefused):
    """The callback cannot be stored now (its number is being dialled)."""


class CallbackStore(StoreClient):
    """Callbacks and follow-ups (see the module rules)."""

    def __init__(self, source: EngineSource, *, timeout: float = 10.0) -> None:
        super().__init__(source, timeout=timeout)
        self._campaigns = CampaignStore(source, timeout=timeout)

    async def campaign(self, queue: QueueId) -> CampaignConfig:
        """The queue's callbacks campaign, made and started if there is none (rule 1).
        A callback's due times come from it, so callers read it before building one."""
        wanted = callbacks_campaign(queue)
        try:
            return (await self._campaigns.get(wanted.id)).config
        except CampaignNotFound:
            await self._campaigns.save(wanted)
            return wanted

    async def add(self, contact: Contact) -> Contact:
        """Stores the callback (rule 2) and starts a draft campaign (rule 1); the contact."""
        stored = await self._campaigns.get(contact.campaign)
        if stored.status is CampaignStatus.FINISHED:
            raise CampaignRefused(f"campaign {contact.campaign} is finished: no more callbacks")
        now = self._now()
        row = campaign_rows.contact_row(contact, now)
        async with self._writing() as connection:
            if not await _insert(connection, row):
                await _replace(connection, contact, now)
        if stored.status is CampaignStatus.DRAFT:
            await self._campaigns.set_status(contact.campaign, CampaignStatus.RUNNING)
        return contact

    async def overdue(self, now: Instant, limit: int = 100) -> list[Contact]:
        """Open callbacks and follow-ups past due (rule 3), the longest overdue first."""
        c = CONTACTS.c
        query = (
            CONTACTS.select()
            .where(
                c.due < utc(now),
                c.status.in_(OPEN_VALUES),
                or_(c.kind != ContactKind.CALLBACK.value, c.attempts == 0),
            )
            .order_by(c.due, c.id)
            .limit(limit)
        )
        async with self._reading() as connection:
            found = (await connection.execute(query)).mappings()
            return [campaign_rows.contact_from(row) for row in found]

    async def listed(
        self,
        *,
        queue: QueueId | None = None,
        agent: AgentId | None = None,
        open_only: bool = True,
        limit: int = 500,
        after: Position | None = None,
    ) -> Page[Contact]:
        """Callbacks and follow-ups by due time (rule 4), optionally of one queue or one
        agent, open ones only unless asked; one page resumed after `after`."""
        c = CONTACTS.c
        query = CONTACTS.select().where(c.kind.in_(CALLBACK_KINDS))
        if queue is not None:
            query = query.where(c.campaign_id == f"{CALLBACKS_PREFIX}{queue}")
        if agent is not None:
            query = query.where(c.agent_id == agent)
        if open_only:
            query = query.where(c.status.in_(OPEN_VALUES))
        async with self._reading() as connection:
            found = await connection.execute(paged(query, BY_DUE, after, limit))
            rows = found.mappings().all()
        return page_of(rows, BY_DUE, limit, campaign_rows.contact_from)

    async def cancel(self, contact: ContactId) -> Contact | None:
        """Closes a pending callback or follow-up; None when there is no such open one.
        One being dialled is refused (CallbackRefused)."""
        found = await self._campaigns.contact(contact)
        if found is None or found.kind is ContactKind.CONTACT or found.status not in OPEN:
            return None
        if found.status is ContactStatus.DIALLING:
            raise CallbackRefused(f"{contact} is being dialled: it can no longer be cancelled")
        closed = moved(found, ContactEvent.CANCEL)
        if not await self._campaigns.update_contact(closed, expected=ContactStatus.PENDING):
            raise CallbackRefused(f"{contact} is being dialled: it can no longer be cancelled")
        return closed


async def _insert(connection: AsyncConnection, row: dict[str, object]) -> bool:
    statement = dialect_insert(ContactRow, connection.dialect.name).on_conflict_do_nothing()
    return bool((await connection.execute(statement.returning(CONTACTS.c.id), [row])).all())


async def _replace(connection: AsyncConnection, contact: Contact, now: datetime) -> None:
    """Rule 2: the stored contact of this number takes the new callback, unless dialling."""
    c = CONTACTS.c
    where = and_(c.campaign_id == contact.campaign, c.number == contact.number)
    status = (await connection.execute(select(c.status).where(where))).scalar()
    if status == ContactStatus.DIALLING.value:
        raise CallbackRefused(
            f"{contact.number} is being dialled by {contact.campaign}: try again in a moment"
        )
    state = campaign_rows.contact_state(contact)
    state["abandoned_at"] = c.abandoned_at  # the law's quiet period outlives a new wish
    changed = await connection.execute(
        update(ContactRow)
        .where(where, c.status != ContactStatus.DIALLING.value)
        .values(**state, updated_at=now)
    )
    if changed.rowcount != 1:
        raise CallbackRefused(f"{contact.number} is being dialled: try again in a moment")
