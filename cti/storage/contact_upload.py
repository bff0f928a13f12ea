"""A CSV upload of contacts into a stored campaign: read, then store what is new (C5).

Rule 1: rows are read against the numbers the campaign has (read_contacts' rule 3), and
the good ones are stored with add_contacts, which skips what a concurrent upload stored
meanwhile: those count as already there, so `imported` is what this upload added.
Rule 2: bad rows do not fail the upload (each is an error line); a file without a usable
header is refused whole and stores nothing.
Rule 3: a finished campaign takes no contacts (CampaignRefused), an unknown one is
CampaignNotFound; both from the store.
Rule 4: the file is read in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from cti.domain.outbound.campaign import CampaignId
from cti.domain.outbound.contact import Contact
from cti.domain.outbound.contact_rows import read_contacts
from cti.storage.campaign_store import StoredCampaign


class ContactStore(Protocol):
    async def get(self, campaign: CampaignId) -> StoredCampaign: ...

    async def numbers(self, campaign: CampaignId) -> set[str]: ...

    async def add_contacts(self, campaign: CampaignId, contacts: Iterable[Contact]) -> int: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    imported: int  # contacts this upload added
    already: int  # rows whose number the campaign had already
    errors: tuple[str, ...]  # "line <n>: <reason>", in file order
    refused: bool  # the file was refused whole (rule 2)


async def upload_contacts(store: ContactStore, campaign: CampaignId, text: str) -> Upload:
    """Stores the CSV's good rows in the campaign; what came of each (rules 1-3)."""
    stored = await store.get(campaign)
    known = await store.numbers(campaign)
    # A 10 MB file is seconds of parsing: off the event loop (nothing blocks it).
    batch = await asyncio.to_thread(read_contacts, text, stored.config, known)
    if batch.refused:
        return Upload(imported=0, already=0, errors=batch.errors, refused=True)
    added = await store.add_contacts(campaign, batch.contacts)
    already = batch.already + len(batch.contacts) - added
    return Upload(imported=added, already=already, errors=batch.errors, refused=False)
