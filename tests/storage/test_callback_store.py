"""CallbackStore against real SQLite and PostgreSQL (P9, P18): each queue's standing
callbacks campaign, callbacks replaced per number, the overdue search, cancelling; and the
0005 migration keeping older contacts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from cti.domain.callback import promised_contact, wanted_contact
from cti.domain.effects import CallbackWanted
from cti.domain.ids import AgentId, Instant, QueueId
from cti.domain.outbound.campaign import (
    AttemptResult,
    CampaignId,
    CampaignStatus,
    callbacks_campaign,
)
from cti.domain.outbound.contact import (
    Contact,
    ContactId,
    ContactKind,
    ContactStatus,
    after_attempt,
)
from cti.storage.callback_store import CallbackRefused, CallbackStore
from cti.storage.campaign_models import CampaignRow, ContactRow
from cti.storage.campaign_store import CampaignStore
from cti.storage.database import Database, open_database
from cti.storage.errors import CampaignRefused
from tests.storage.conftest import history_at

SALES = QueueId("sales")
ANN = AgentId("1001")
NUMBER = "+441632960001"
HOUR = 3600.0
NOON = Instant(1_800_014_400.0)  # 2027-01-15 12:00 UTC: inside the calling window


@pytest.fixture
def callbacks(database: Database) -> CallbackStore:
    return CallbackStore(database)


@pytest.fixture
def campaigns(database: Database) -> CampaignStore:
    return CampaignStore(database)


async def promise(
    callbacks: CallbackStore, number: str = NUMBER, at: float = NOON, *, agent: AgentId | None
) -> Contact:
    campaign = await callbacks.campaign(SALES)
    return await callbacks.add(
        promised_contact(campaign, number=number, at=Instant(at), agent=agent)
    )


async def test_the_first_callback_makes_the_queues_campaign_and_starts_it(
    callbacks: CallbackStore, campaigns: CampaignStore
) -> None:
    stored = await promise(callbacks, agent=ANN)

    assert await campaigns.get(CampaignId("callbacks-sales")) == (
        callbacks_campaign(SALES),
        CampaignStatus.RUNNING,
    )
    assert await campaigns.contact(stored.id) == stored
    assert (stored.kind, stored.agent, stored.next_at) == (ContactKind.CALLBACK, ANN, NOON)
    assert stored.due == NOON + 300  # callback_grace


async def test_a_tuned_or_paused_campaign_keeps_its_settings_and_status(
    callbacks: CallbackStore, campaigns: CampaignStore
) -> None:
    tuned = replace(callbacks_campaign(SALES), callback_grace=60.0)
    await campaigns.save(tuned)
    await promise(callbacks, agent=None)
    await campaigns.set_status(tuned.id, CampaignStatus.PAUSED)

    stored = await promise(callbacks, number="+441632960002", agent=None)

    assert await campaigns.get(tuned.id) == (tuned, CampaignStatus.PAUSED)
    assert stored.due == NOON + 60


async def test_a_new_callback_to_the_same_number_replaces_the_old_one(
    callbacks: CallbackStore, campaigns: CampaignStore
) -> None:
    first = await promise(callbacks, agent=ANN)
    claimed = await campaigns.claim(first.id)
    assert claimed is not None
    abandoned = after_attempt(claimed, callbacks_campaign(SALES), AttemptResult.ABANDONED, NOON)
    await campaigns.update_contact(abandoned, expected=ContactStatus.DIALLING)

    again = await promise(callbacks, at=NOON + HOUR, agent=None)

    stored = await campaigns.contact(first.id)
    assert stored == replace(again, abandoned_at=NOON, claim=1)  # the quiet period stays
    assert (stored.attempts, stored.agent, stored.next_at) == (0, None, NOON + HOUR)


async def test_a_callback_to_a_number_being_dialled_is_refused(
    callbacks: CallbackStore, campaigns: CampaignStore
) -> None:
    first = await promise(callbacks, agent=ANN)
    await campaigns.claim(first.id)

    with pytest.raises(CallbackRefused, match="being dialled"):
        await promise(callbacks, at=NOON + HOUR, agent=None)
    assert await campaigns.contact(first.id) == replace(
        first, status=ContactStatus.DIALLING, claim=1
    )


async def test_a_finished_callbacks_campaign_takes_no_more(
    callbacks: CallbackStore, campaigns: CampaignStore
) -> None:
    await promise(callbacks, agent=None)
    await campaigns.set_status(CampaignId("callbacks-sales"), CampaignStatus.FINISHED)

    with pytest.raises(CampaignRefused, match="finished"):
        await promise(callbacks, number="+441632960002", agent=None)


async def test_overdue_callbacks_are_undialled_ones_and_follow_ups_not_done(
    callbacks: CallbackStore, campaigns: CampaignStore
) -> None:
    campaign = await callbacks.campaign(SALES)
    late = await promise(callbacks, agent=ANN)  # due NOON + 300
    dialled = await promise(callbacks, number="+441632960002", agent=None)
    follow = wanted_contact(
        CallbackWanted(
            kind=ContactKind.FOLLOW_UP, queue=SALES, number="+441632960003", at=Instant(NOON)
        ),
        campaign,
    )
    await callbacks.add(follow)  # due NOON + 72 h
    for contact in (dialled, follow):
        claimed = await campaigns.claim(contact.id)
        assert claimed is not None
        busy = after_attempt(claimed, campaign, AttemptResult.BUSY, NOON)
        await campaigns.update_contact(busy, expected=ContactStatus.DIALLING)

    assert [c.id for c in await callbacks.overdue(Instant(NOON + 301))] == [late.id]
    found = await callbacks.overdue(Instant(NOON + 73 * HOUR))
    assert [c.id for c in found] == [late.id, follow.id]


async def test_callbacks_are_listed_by_queue_and_agent_and_cancelled_while_pending(
    callbacks: CallbackStore, campaigns: CampaignStore
) -> None:
    mine = await promise(callbacks, at=NOON + 60, agent=ANN)
    queues = await promise(callbacks, number="+441632960002", agent=None)

    assert [c.id for c in (await callbacks.listed(queue=SALES)).items] == [queues.id, mine.id]
    assert [c.id for c in (await callbacks.listed(agent=ANN)).items] == [mine.id]
    assert (await callbacks.listed(queue=QueueId("support"))).items == []

    closed = await callbacks.cancel(mine.id)

    assert closed == replace(mine, status=ContactStatus.CLOSED)
    assert [c.id for c in (await callbacks.listed(queue=SALES)).items] == [queues.id]
    assert [c.id for c in (await callbacks.listed(open_only=False)).items] == [queues.id, mine.id]
    assert await callbacks.cancel(mine.id) is None
    assert await callbacks.cancel(ContactId("callbacks-sales:+449999")) is None
    await campaigns.claim(queues.id)
    with pytest.raises(CallbackRefused, match="being dialled"):
        await callbacks.cancel(queues.id)


async def test_a_database_at_revision_0004_keeps_its_contacts_as_plain_ones(
    database_url: str,
) -> None:
    await history_at(database_url, "0004", [])
    old = create_async_engine(database_url)
    stamp = datetime(2027, 1, 15, 12, tzinfo=UTC)
    dates = {"created_at": stamp, "updated_at": stamp}
    try:
        async with old.begin() as connection:  # only the columns revision 0004 has
            campaign = {"id": "old", "name": "", "status": "draft", "queue": "sales"}
            await connection.execute(insert(CampaignRow).values(**campaign, config={}, **dates))
            await connection.execute(
                insert(ContactRow).values(
                    id="old:+441632960001", campaign_id="old", number="+441632960001",
                    timezone="UTC", fields={}, status="pending", next_at=stamp, attempts=0,
                    added_at=stamp, updated_at=stamp,
                )
            )  # fmt: skip
    finally:
        await old.dispose()

    database = await open_database(database_url)  # migrates to 0005
    try:
        found = await CampaignStore(database).contact(ContactId("old:+441632960001"))
    finally:
        await database.close()

    assert found is not None
    assert (found.kind, found.agent, found.place, found.priority) == (
        ContactKind.CONTACT,
        None,
        None,
        0,
    )


async def test_callbacks_page_by_due_time_those_without_one_last(
    callbacks: CallbackStore,
) -> None:
    later = await promise(callbacks, at=NOON + 120, agent=ANN)
    sooner = await promise(callbacks, number="+441632960002", agent=None)
    campaign = await callbacks.campaign(SALES)
    undated = replace(
        promised_contact(campaign, number="+441632960003", at=NOON, agent=None), due=None
    )
    await callbacks.add(undated)

    pages = [await callbacks.listed(limit=1)]
    while pages[-1].after is not None:
        pages.append(await callbacks.listed(limit=1, after=pages[-1].after))

    assert [[c.id for c in p.items] for p in pages] == [[sooner.id], [later.id], [undated.id]]
    assert [c.id for c in (await callbacks.listed()).items] == [sooner.id, later.id, undated.id]
