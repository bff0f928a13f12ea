"""CampaignStore against real SQLite and PostgreSQL: campaigns and their status (C5), and
contacts stored once and claimed by one dialer at a time. (Attempts, per-seat counts and
do-not-call: test_dial_attempts.py; the models matching the migrations: test_history.py.)"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import replace
from types import MappingProxyType

import pytest
from sqlalchemy import func, select, text

from cti.domain.config import ConfigError
from cti.domain.ids import Instant, QueueId
from cti.domain.outbound.campaign import AttemptResult, CampaignConfig, CampaignId
from cti.domain.outbound.contact import ContactId, ContactStatus, after_attempt
from cti.storage.campaign_models import ContactRow
from cti.storage.campaign_rows import COLUMNS, campaign_document
from cti.storage.campaign_store import CampaignStore, StoredCampaign
from cti.storage.database import Database, open_database
from cti.storage.errors import CampaignNotFound, CampaignRefused, ConfigNotFound
from tests.storage.campaign_samples import (
    CAMPAIGN,
    EVERY_SETTING,
    T0,
    S,
    contact,
    contacts,
    started,
)
from tests.storage.conftest import history_at, tables
from tests.storage.samples import HEAD, at, make_presence


@pytest.fixture
def store(database: Database) -> CampaignStore:
    return CampaignStore(database)


# --- campaigns ------------------------------------------------------------------------------


async def test_a_campaign_round_trips_with_every_setting(store: CampaignStore) -> None:
    created = [await store.save(EVERY_SETTING), await store.save(CAMPAIGN)]

    assert created == [True, True]
    assert await store.get(EVERY_SETTING.id) == (EVERY_SETTING, S.DRAFT)
    assert await store.list_campaigns() == [
        StoredCampaign(CAMPAIGN, S.DRAFT), StoredCampaign(EVERY_SETTING, S.DRAFT)
    ]  # fmt: skip


def test_the_stored_document_holds_every_setting_but_the_columns() -> None:
    document = campaign_document(EVERY_SETTING)

    assert set(document) | COLUMNS == {f.name for f in dataclasses.fields(CampaignConfig)}
    assert not set(document) & COLUMNS
    assert document["pacing"] == {
        "mode": "predictive", "abandon_cap_pct": 2.5, "window": 2_592_000.0, "hold": 1.5,
        "max_lines_per_agent": 2.5, "max_risk": 0.1, "careful_from": 0.4, "full_room": 5.0,
    }  # fmt: skip


async def test_saving_again_changes_the_settings_and_keeps_the_status(
    store: CampaignStore,
) -> None:
    await started(store)
    changed = replace(CAMPAIGN, name="Renewals 2", queue=QueueId("retention"), script="Hi")

    created = await store.save(changed)

    assert created is False
    assert await store.get(CAMPAIGN.id) == (changed, S.RUNNING)


async def test_an_invalid_campaign_is_refused_and_nothing_is_stored(store: CampaignStore) -> None:
    await store.save(CAMPAIGN)

    with pytest.raises(ConfigError, match="campaign renewals: ring_timeout must be 15-300 s"):
        await store.save(replace(CAMPAIGN, name="changed", ring_timeout=10.0))
    with pytest.raises(ConfigError, match="campaign x: queue must name"):
        await store.save(CampaignConfig(id=CampaignId("x"), queue=QueueId("")))

    assert await store.list_campaigns() == [(CAMPAIGN, S.DRAFT)]


async def test_an_unknown_campaign_is_not_found(store: CampaignStore) -> None:
    calls = [
        store.get(CampaignId("nope")),
        store.set_status(CampaignId("nope"), S.RUNNING),
        store.add_contacts(CampaignId("nope"), []),
    ]

    for call in calls:
        with pytest.raises(CampaignNotFound, match="campaign nope does not exist") as refused:
            await call
        assert isinstance(refused.value, ConfigNotFound)  # the API answers 404
    assert await store.numbers(CampaignId("nope")) == set()


# Every (from, to): None where the move is made (or already made), else the refusal.
MOVES = {
    (S.DRAFT, S.DRAFT): None,
    (S.DRAFT, S.RUNNING): None,
    (S.DRAFT, S.PAUSED): "is a draft: it cannot be paused",
    (S.DRAFT, S.FINISHED): None,
    (S.RUNNING, S.DRAFT): "is running: it cannot be made a draft again",
    (S.RUNNING, S.RUNNING): None,
    (S.RUNNING, S.PAUSED): None,
    (S.RUNNING, S.FINISHED): None,
    (S.PAUSED, S.DRAFT): "is paused: it cannot be made a draft again",
    (S.PAUSED, S.RUNNING): None,
    (S.PAUSED, S.PAUSED): None,
    (S.PAUSED, S.FINISHED): None,
    (S.FINISHED, S.DRAFT): "is finished: it cannot be made a draft again",
    (S.FINISHED, S.RUNNING): "is finished: it cannot be started again",
    (S.FINISHED, S.PAUSED): "is finished: it cannot be paused",
    (S.FINISHED, S.FINISHED): "is finished: it cannot be finished again",
}
PATHS = {S.DRAFT: (), S.RUNNING: (S.RUNNING,), S.PAUSED: (S.RUNNING, S.PAUSED),
         S.FINISHED: (S.FINISHED,)}  # fmt: skip


async def test_the_status_moves_only_along_the_transitions(store: CampaignStore) -> None:
    outcomes = {}
    for n, (before, after) in enumerate(MOVES):
        config = replace(CAMPAIGN, id=CampaignId(f"c{n}"))
        await store.save(config)
        await store.add_contacts(config.id, [contact(1, config)])
        for step in PATHS[before]:
            await store.set_status(config.id, step)
        try:
            await store.set_status(config.id, after)
            outcomes[before, after] = None
        except CampaignRefused as exc:
            outcomes[before, after] = str(exc).removeprefix(f"campaign c{n} ")
        expected = after if MOVES[before, after] is None else before
        assert (await store.get(config.id)).status is expected

    assert outcomes == MOVES


async def test_a_finished_campaign_is_never_started_changed_or_given_contacts(
    store: CampaignStore,
) -> None:
    await started(store)
    await store.set_status(CAMPAIGN.id, S.FINISHED)

    with pytest.raises(CampaignRefused) as restart:
        await store.set_status(CAMPAIGN.id, S.RUNNING)
    with pytest.raises(CampaignRefused, match="renewals is finished: it cannot be changed"):
        await store.save(replace(CAMPAIGN, name="again"))
    with pytest.raises(CampaignRefused, match="renewals is finished: it takes no contacts"):
        await store.add_contacts(CAMPAIGN.id, [contact(9)])

    assert str(restart.value) == "campaign renewals is finished: it cannot be started again"
    assert await store.get(CAMPAIGN.id) == (CAMPAIGN, S.FINISHED)
    assert len(await store.numbers(CAMPAIGN.id)) == 3


async def test_a_campaign_without_contacts_is_not_started(store: CampaignStore) -> None:
    await store.save(CAMPAIGN)
    await store.save(EVERY_SETTING)
    await store.add_contacts(EVERY_SETTING.id, [contact(1, EVERY_SETTING)])  # not renewals'

    with pytest.raises(CampaignRefused, match="campaign renewals has no contacts"):
        await store.set_status(CAMPAIGN.id, S.RUNNING)
    assert (await store.get(CAMPAIGN.id)).status is S.DRAFT
    await store.add_contacts(CAMPAIGN.id, [contact(1)])
    await store.set_status(CAMPAIGN.id, S.RUNNING)
    assert (await store.get(CAMPAIGN.id)).status is S.RUNNING


# --- contacts -------------------------------------------------------------------------------


async def test_contacts_round_trip_with_every_field(store: CampaignStore) -> None:
    await store.save(CAMPAIGN)
    full = contact(
        7, due=at(3), next_at=at(2), attempts=2, abandoned_at=at(1),
        last_result=AttemptResult.ABANDONED, fields=MappingProxyType({"µ": "é", "": "x"}),
    )  # fmt: skip
    plain = contact(8)

    await store.add_contacts(CAMPAIGN.id, [full, plain])

    assert await store.contact(full.id) == full
    assert await store.contact(plain.id) == plain
    assert await store.contact(ContactId("renewals:+0")) is None
    assert await store.numbers(CAMPAIGN.id) == {full.number, plain.number}


async def test_contacts_already_stored_are_not_inserted_again(
    store: CampaignStore, database: Database
) -> None:
    await store.save(CAMPAIGN)
    same_number = replace(contact(2), id=ContactId("other-id"))
    repeated = replace(contact(4), fields=MappingProxyType({"name": "the second"}))

    first = await store.add_contacts(CAMPAIGN.id, contacts(range(3)))
    again = await store.add_contacts(CAMPAIGN.id, contacts(range(3)))
    overlapping = await store.add_contacts(CAMPAIGN.id, [*contacts(range(2, 5)), repeated])
    by_number = await store.add_contacts(CAMPAIGN.id, [same_number])

    assert (first, again, overlapping, by_number) == (3, 0, 2, 0)
    assert await _contact_rows(database) == 5
    assert await store.contact(repeated.id) == contact(4)  # the first of a batch is kept
    assert await store.progress(CAMPAIGN.id) == {ContactStatus.PENDING: 5}


async def test_concurrent_uploads_of_overlapping_batches_store_each_contact_once(
    store: CampaignStore, database: Database
) -> None:
    await store.save(CAMPAIGN)

    added = await asyncio.gather(
        store.add_contacts(CAMPAIGN.id, contacts(range(0, 1500))),
        store.add_contacts(CAMPAIGN.id, contacts(range(1000, 2500))),
        store.add_contacts(CAMPAIGN.id, contacts(range(500, 2000))),
    )

    assert sum(added) == 2500
    assert await _contact_rows(database) == 2500


async def test_a_contact_of_another_campaign_is_refused(store: CampaignStore) -> None:
    await store.save(CAMPAIGN)

    with pytest.raises(ConfigError, match=r"contact winback:\+441632960002 is of campaign winback"):
        await store.add_contacts(CAMPAIGN.id, [contact(1), contact(2, EVERY_SETTING)])

    assert await store.numbers(CAMPAIGN.id) == set()


async def test_due_contacts_are_pending_ones_longest_due_first_then_by_id(
    store: CampaignStore,
) -> None:
    await store.save(CAMPAIGN)
    await store.save(EVERY_SETTING)
    now = at(10)
    tie_b, tie_a = contact(2, next_at=at(3)), contact(1, next_at=at(3))
    oldest, on_time = contact(3, next_at=at(1)), contact(4, next_at=now)
    later, claimed = contact(5, next_at=at(11)), contact(6, next_at=at(0))
    done = contact(7, status=ContactStatus.DONE)
    await store.add_contacts(CAMPAIGN.id, [tie_b, later, on_time, tie_a, oldest, claimed, done])
    await store.add_contacts(EVERY_SETTING.id, [contact(8, EVERY_SETTING)])
    await store.claim(claimed.id)

    due = await store.due_contacts(CAMPAIGN.id, now, limit=10)
    first_two = await store.due_contacts(CAMPAIGN.id, now, limit=2)

    assert due == [oldest, tie_a, tie_b, on_time]
    assert first_two == [oldest, tie_a]
    assert await store.due_contacts(CAMPAIGN.id, now, limit=0) == []


async def test_due_counts_pending_contacts_due_now_and_the_earliest_put_off_one(
    store: CampaignStore,
) -> None:
    await store.save(CAMPAIGN)
    await store.save(EVERY_SETTING)
    now = at(10)
    overdue, on_time = contact(1, next_at=at(2)), contact(2, next_at=now)
    quiet, retry = contact(3, next_at=at(500)), contact(4, next_at=at(40))
    claimed, done = contact(5, next_at=at(0)), contact(6, status=ContactStatus.DONE)
    closed = contact(7, status=ContactStatus.CLOSED, next_at=at(20))
    await store.add_contacts(CAMPAIGN.id, [quiet, overdue, retry, on_time, claimed, done, closed])
    await store.add_contacts(EVERY_SETTING.id, [contact(8, EVERY_SETTING, next_at=at(30))])
    await store.claim(claimed.id)

    due = await store.due(CAMPAIGN.id, now)
    put_off = await store.due(CAMPAIGN.id, at(5))
    before_all = await store.due(CAMPAIGN.id, at(1))

    assert due == (2, at(2))
    assert put_off == (1, at(2))
    assert before_all == (0, at(2))
    assert await store.due(EVERY_SETTING.id, now) == (0, at(30))


async def test_due_with_none_pending_is_nothing_and_no_instant(store: CampaignStore) -> None:
    await store.save(CAMPAIGN)
    await store.add_contacts(CAMPAIGN.id, [contact(1, status=ContactStatus.DONE)])
    await store.add_contacts(CAMPAIGN.id, [contact(2)])
    await store.claim(contact(2).id)

    assert await store.due(CAMPAIGN.id, at(10)) == (0, None)
    assert await store.due(CampaignId("nowhere"), at(10)) == (0, None)


async def test_a_campaign_whose_pending_contacts_are_all_put_off_says_when_the_next_is(
    store: CampaignStore,
) -> None:
    (first, second, third) = await started(store)
    later = {first.id: at(900), second.id: at(300), third.id: at(600)}
    for made in (first, second, third):
        moved = replace(made, next_at=later[made.id])
        assert await store.update_contact(moved, expected=ContactStatus.PENDING)

    due = await store.due(CAMPAIGN.id, at(10))

    assert due == (0, at(300))
    assert await store.due_contacts(CAMPAIGN.id, at(10), limit=10) == []
    assert await store.get(CAMPAIGN.id) == (CAMPAIGN, S.RUNNING)


async def test_a_claim_moves_a_pending_contact_to_dialling_once(store: CampaignStore) -> None:
    (first, *_) = await started(store)

    claimed = await store.claim(first.id)
    again = await store.claim(first.id)

    assert claimed == replace(first, status=ContactStatus.DIALLING, claim=1)
    assert again is None
    assert await store.claim(ContactId("renewals:+0")) is None
    assert await store.contact(first.id) == claimed


async def test_of_two_concurrent_claims_of_one_contact_only_one_wins(
    store: CampaignStore,
) -> None:
    await store.save(CAMPAIGN)
    batch = contacts(range(20))
    await store.add_contacts(CAMPAIGN.id, batch)

    claims = await asyncio.gather(*(store.claim(c.id) for c in batch for _ in range(2)))

    winners = [c.id for c in claims if c is not None]
    assert sorted(winners) == sorted(c.id for c in batch)
    assert await store.progress(CAMPAIGN.id) == {ContactStatus.DIALLING: 20}


async def test_a_contact_is_updated_only_from_the_status_expected(store: CampaignStore) -> None:
    (first, second, _) = await started(store)
    dialling = await store.claim(first.id)
    assert dialling is not None
    retry = after_attempt(dialling, CAMPAIGN, AttemptResult.BUSY, Instant(T0 + 30))

    written = await store.update_contact(retry, expected=ContactStatus.DIALLING)
    stale = await store.update_contact(replace(retry, attempts=9), expected=ContactStatus.DIALLING)
    pending = await store.update_contact(
        replace(second, status=ContactStatus.CLOSED), expected=ContactStatus.DIALLING
    )

    assert (written, stale, pending) == (True, False, False)
    assert retry.status is ContactStatus.PENDING and retry.attempts == 1
    assert await store.contact(first.id) == retry
    assert await store.contact(second.id) == second


async def test_contacts_left_dialling_are_released_after_a_restart(store: CampaignStore) -> None:
    batch = await started(store)
    await store.claim(batch[0].id)
    await store.claim(batch[1].id)

    released = await store.release_dialling(CAMPAIGN.id)

    assert released == 2
    assert await store.progress(CAMPAIGN.id) == {ContactStatus.PENDING: 3}


# --- schema ---------------------------------------------------------------------------------


async def test_a_database_at_revision_0003_gains_the_campaign_tables(database_url: str) -> None:
    before = await history_at(database_url, "0003", [make_presence(1)])

    database = await open_database(database_url)

    async with database.engine.connect() as connection:
        added = await connection.run_sync(tables) - before
        revision = await connection.execute(text("SELECT version_num FROM alembic_version"))
    assert added == {
        "campaigns",
        "contacts",
        "dial_attempts",
        "do_not_call",
        "database_identity",
        "supervisors",
        "monitoring_sessions",
        "queue_notices",
        "schedule_activities",
        "rule_overrides",
        "finding_acks",
        "handover_notes",
        "qa_evaluations",
        "recordings",
    }
    assert revision.scalar() == HEAD
    assert await database.queries().presence() == [make_presence(1)]
    await database.close()


async def _contact_rows(database: Database) -> int:
    async with database.engine.connect() as connection:
        count = await connection.execute(select(func.count()).select_from(ContactRow))
    return int(count.scalar_one())
