"""A CSV upload of contacts into a stored campaign: read, then store what is new (C5).

Rule 1: rows are read against the numbers the campaign has (read_contacts' rule 3), and
the good ones are stored with add_contacts, which skips what a concurrent upload stored
meanwhile: those count as already there, so `imported` is what this upload added.
Rule 2: bad rows do not fail the upload (each is an error line); a file without a usable
header is refused whole and stores nothing.
Rule 3: a finished campaign takes no contacts (CampaignRefused), an unknown one is
CampaignNotFound; both from the store.
Rule 4: the file is read on the event loop in slices of at most SLICE seconds, yielding
between them, so nothing an upload does delays another request by more than a slice, and
cancelling the upload (its client gone, the server stopping) stops the reading at the next
slice. Why not a worker thread, as before: a thread cannot be cancelled (a stop waited for
a 100,000-column header for over a minute), it holds the GIL in the same slices anyway,
and its pool was shared with every other blocking call. Each row's work is bounded by the
reader (contact_rows rule 6), so a slice is never one huge step.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

from cti.domain.outbound.campaign import CampaignId
from cti.domain.outbound.contact import Contact
from cti.domain.outbound.contact_rows import ContactBatch, Reading, reading
from cti.storage.campaign_store import StoredCampaign


class ContactStore(Protocol):
    async def get(self, campaign: CampaignId) -> StoredCampaign: ...

    async def numbers(self, campaign: CampaignId) -> set[str]: ...

    async def add_contacts(self, campaign: CampaignId, contacts: Iterable[Contact]) -> int: ...


SLICE: Final = 0.01  # seconds of reading before the loop runs other work (rule 4)


async def read_in_slices(steps: Reading, slice_seconds: float = SLICE) -> ContactBatch:
    """Rule 4: step the reader, yielding to the loop every `slice_seconds`."""
    while True:
        until = time.monotonic() + slice_seconds
        try:
            while time.monotonic() < until:
                next(steps)
        except StopIteration as done:
            batch: ContactBatch = done.value
            return batch
        await asyncio.sleep(0)


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
    batch = await read_in_slices(reading(text, stored.config, known))
    if batch.refused:
        return Upload(imported=0, already=0, errors=batch.errors, refused=True)
    added = await store.add_contacts(campaign, batch.contacts)
    already = batch.already + len(batch.contacts) - added
    return Upload(imported=added, already=already, errors=batch.errors, refused=False)
