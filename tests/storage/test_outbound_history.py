"""The dialer's records through the history writer (issue 12, item 2), against real SQLite
and PostgreSQL: an attempt with its contact, contacts handed back and a campaign finished,
each idempotent on replay, and each through the spool's codec unchanged."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from cti.domain.ids import Instant
from cti.domain.outbound.campaign import AttemptResult, CampaignStatus
from cti.domain.outbound.contact import ContactStatus, after_attempt
from cti.domain.outbound.outbound_records import CampaignFinish, ContactsRelease, EndedAttempt
from cti.storage import record_json
from cti.storage.campaign_store import CampaignStore
from cti.storage.database import Database
from tests.storage.campaign_samples import CAMPAIGN, T0, attempt, contact, started


@pytest.fixture
def store(database: Database) -> CampaignStore:
    return CampaignStore(database)


async def test_an_attempt_record_stores_attempt_and_contact_once(
    database: Database, store: CampaignStore
) -> None:
    (first, *_) = await started(store)
    dialling = await store.claim(first.id)
    assert dialling is not None
    dial = attempt(1, first, result=AttemptResult.BUSY)
    left = after_attempt(dialling, CAMPAIGN, dial.result, dial.ended_at)
    record = EndedAttempt(attempt=dial, contact=left)

    await database.history().record([record])
    await store.claim(first.id)  # dialled again meanwhile
    await database.history().record([record])  # a replay

    assert await store.attempts_of(first.id) == [dial]
    assert left.status is ContactStatus.PENDING
    assert await store.contact(first.id) == replace(left, status=ContactStatus.DIALLING, claim=2)


async def test_a_release_makes_dialling_contacts_pending_and_a_replay_changes_nothing(
    database: Database, store: CampaignStore
) -> None:
    (first, second, _) = await started(store)
    claimed = [await store.claim(c.id) for c in (first, second)]
    assert None not in claimed
    release = ContactsRelease(
        campaign=CAMPAIGN.id, contacts=(claimed[0], claimed[1]), why="campaign halted"
    )

    await database.history().record([release])
    again = await store.claim(first.id)
    await database.history().record([release])

    assert again is not None
    assert (await store.contact(first.id)) == again  # dialling again: the replay left it
    assert (await store.contact(second.id)).status is ContactStatus.PENDING  # type: ignore[union-attr]


async def test_a_campaign_finishes_once_after_the_attempts_before_it(
    database: Database, store: CampaignStore
) -> None:
    (first, *_) = await started(store)
    dialling = await store.claim(first.id)
    assert dialling is not None
    dial = attempt(1, first)
    done = replace(
        after_attempt(dialling, CAMPAIGN, dial.result, dial.ended_at), status=ContactStatus.CLOSED
    )
    records = [
        EndedAttempt(attempt=dial, contact=done),
        CampaignFinish(campaign=CAMPAIGN.id, at=Instant(T0)),
    ]

    await database.history().record(records)
    await database.history().record(records)

    assert (await store.get(CAMPAIGN.id)).status is CampaignStatus.FINISHED
    assert (await store.contact(first.id)) == done


def test_the_dialers_records_come_back_from_the_spool_codec_unchanged() -> None:
    made = contact(7)
    made = replace(made, fields=MappingProxyType({**made.fields, "name": "Ann", "µ": "é"}))
    records = [
        EndedAttempt(attempt=attempt(1, made), contact=made),
        ContactsRelease(campaign=CAMPAIGN.id, contacts=(made, made), why="do not call"),
        CampaignFinish(campaign=CAMPAIGN.id, at=Instant(T0 + 0.1)),
    ]

    assert [record_json.decode(record_json.encode(r)) for r in records] == records


async def test_a_readopted_calls_attempt_settles_the_stored_contact_once(
    database: Database, store: CampaignStore
) -> None:
    (first, *_) = await started(store)  # a restart left it pending
    dial = attempt(1, first, result=AttemptResult.CONNECTED, person=True,
                   answered_at=Instant(T0 + 65), connected_at=Instant(T0 + 66))  # fmt: skip
    record = EndedAttempt(attempt=dial, contact=None)

    await database.history().record([record])
    await database.history().record([record])

    settled = await store.contact(first.id)
    assert settled is not None
    assert (settled.status, settled.attempts) == (ContactStatus.DONE, 1)
    assert await store.attempts_of(first.id) == [dial]
