"""The dialer's writes on one connection: attempts with their contacts, contacts handed
back, campaigns finished (cti/domain/outbound/outbound_records.py rules 1-3).

Rule 1: every write here is idempotent, so the spooled history may replay it: an attempt
is inserted ON CONFLICT DO NOTHING and its contact written only when the attempt was new;
a contact is written only from the status expected and under the claim it was read with
(compare-and-set: a hand-back replayed after the contact was claimed again changes
nothing); a campaign is finished only from running, paused or draft.
Rule 2: these run inside the caller's transaction (SqlHistory's batch, or one of
CampaignStore's own), so an attempt and its contact are stored together or not at all.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from cti.domain.outbound.attempt import DialAttempt
from cti.domain.outbound.campaign import CampaignId, CampaignStatus
from cti.domain.outbound.contact import (
    OPEN,
    Contact,
    ContactEvent,
    ContactStatus,
    after_attempt,
    moved,
)
from cti.domain.outbound.outbound_records import CampaignFinish, ContactsRelease, EndedAttempt
from cti.storage import campaign_rows
from cti.storage.campaign_models import CampaignRow, ContactRow, DialAttemptRow
from cti.storage.dialect import dialect_insert

logger = logging.getLogger(__name__)

OutboundRecord = EndedAttempt | ContactsRelease | CampaignFinish


async def write_outbound(
    connection: AsyncConnection, record: OutboundRecord, now: datetime
) -> None:
    """One of the dialer's records (rule 1)."""
    match record:
        case EndedAttempt(attempt=attempt, contact=contact):
            await store_attempt(connection, attempt, contact, now, settle=contact is None)
        case ContactsRelease(contacts=contacts):
            for contact in contacts:
                pending = _pending(contact)
                await write_contact(connection, pending, ContactStatus.DIALLING, now)
        case CampaignFinish(campaign=campaign):
            await finish_campaign(connection, campaign, now)


async def store_attempt(
    connection: AsyncConnection,
    attempt: DialAttempt,
    contact: Contact | None,
    now: datetime,
    *,
    settle: bool = False,
) -> bool:
    """The attempt, and the contact as it left it (from dialling only); whether it was new.
    No contact: the stored one is left alone, or, with `settle` (a re-adopted call), given
    the attempt's result."""
    if contact is not None and contact.id != attempt.contact:
        raise ValueError(f"attempt {attempt.id} dialled {attempt.contact}, not {contact.id}")
    row = campaign_rows.attempt_row(attempt, now)
    insert = dialect_insert(DialAttemptRow, connection.dialect.name).on_conflict_do_nothing()
    stored = await connection.execute(insert.returning(DialAttemptRow.id), [row])
    if not stored.all():
        return False
    if contact is None:
        if settle:
            await _settle_stored(connection, attempt, now)
    elif not await write_contact(connection, contact, ContactStatus.DIALLING, now):
        logger.warning("attempt %s: contact %s was not dialling", attempt.id, contact.id)
    return True


async def write_contact(
    connection: AsyncConnection, contact: Contact, expected: ContactStatus, now: datetime
) -> bool:
    """The contact's state, if its stored status is `expected` and its claim the one the
    value was made under (a later claim is left alone); whether it was written."""
    query = update(ContactRow).where(
        ContactRow.id == contact.id,
        ContactRow.campaign_id == contact.campaign,
        ContactRow.status == expected.value,
        ContactRow.claims == contact.claim,
    )
    state = {**campaign_rows.contact_state(contact), "updated_at": now}
    return (await connection.execute(query, state)).rowcount == 1


async def finish_campaign(connection: AsyncConnection, campaign: CampaignId, now: datetime) -> bool:
    """The campaign finished, unless it is already; whether this finished it."""
    live = [s.value for s in CampaignStatus if s is not CampaignStatus.FINISHED]
    query = (
        update(CampaignRow)
        .where(CampaignRow.id == campaign, CampaignRow.status.in_(live))
        .values(status=CampaignStatus.FINISHED.value, updated_at=now)
    )
    return (await connection.execute(query)).rowcount == 1


async def _settle_stored(connection: AsyncConnection, attempt: DialAttempt, now: datetime) -> None:
    """A re-adopted call's attempt (rule 3 of the record): its result on the stored contact,
    if that is still open (a restart left it pending, or dialling under its last claim)."""
    found = await connection.execute(
        ContactRow.__table__.select().where(ContactRow.id == attempt.contact)
    )
    row = found.mappings().first()
    campaign = await connection.execute(
        CampaignRow.__table__.select().where(CampaignRow.id == attempt.campaign)
    )
    config_row = campaign.mappings().first()
    if row is None or config_row is None:
        return
    stored = campaign_rows.contact_from(row)
    if stored.status not in OPEN:
        return
    claimed = (
        stored if stored.status is ContactStatus.DIALLING else moved(stored, ContactEvent.CLAIM)
    )
    config = campaign_rows.campaign_from(config_row)
    after = after_attempt(claimed, config, attempt.result, attempt.ended_at)
    await write_contact(connection, after, stored.status, now)


def _pending(contact: Contact) -> Contact:
    return moved(contact, ContactEvent.RETURN)
