"""A campaign's figures computed by the database (C5, P16), on real SQLite and PostgreSQL:
attempts by result and the law's abandon rate over a range, averages in double precision,
the abandon window as the pacer rebuilds it, the attempts listing, and seats' days."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cti.domain.ids import AgentId, Instant
from cti.domain.outbound.abandon_window import tally
from cti.domain.outbound.attempt import DialAttempt
from cti.domain.outbound.campaign import AttemptResult
from cti.domain.outbound.pacing import DialMode
from cti.domain.outbound.seats import NO_CALLS, SeatCount
from cti.storage.campaign_stats import SeatCounts
from cti.storage.campaign_store import CampaignStore
from cti.storage.database import Database
from tests.storage.campaign_samples import CAMPAIGN, EVERY_SETTING, T0, answered, attempt, started

R = AttemptResult
BOB = AgentId("1002")


@pytest.fixture
def store(database: Database) -> CampaignStore:
    return CampaignStore(database)


async def recorded(store: CampaignStore) -> list[DialAttempt]:
    """Renewals' attempts at minutes 0-7 (skip, busy, machine, connected x2, abandoned x2,
    no answer) and one of another campaign; returned in the order they started."""
    (first, second, third) = await started(store)
    other = (await started(store, EVERY_SETTING))[0]
    dials = [
        attempt(0, first, result=R.SKIPPED, ended_at=T0),
        attempt(1, first, result=R.BUSY, ended_at=Instant(T0 + 61)),
        attempt(2, first, result=R.MACHINE, answered_at=Instant(T0 + 128)),  # rang 8 s
        answered(3, first, R.CONNECTED),  # rang 5 s, connected 1 s after the answer
        replace(  # connected 1.5 s after the answer
            answered(4, second, R.CONNECTED, agent=BOB), connected_at=Instant(T0 + 246.5)
        ),
        answered(5, second, R.ABANDONED, agent=None),
        replace(answered(6, third, R.ABANDONED, agent=None), answered_at=Instant(T0 + 362)),
        attempt(7, third),  # no answer: rang 25.25 s, not in the ring average
    ]
    for dial in [*dials, answered(3, other, R.ABANDONED, id="other-3")]:
        await store.record_attempt(dial)
    return dials


async def test_figures_count_attempts_by_result_and_the_law_s_abandon_rate(
    store: CampaignStore,
) -> None:
    await recorded(store)

    figures = await store.attempt_figures(CAMPAIGN.id)

    assert figures.by_result == {
        R.CONNECTED: 2, R.ABANDONED: 2, R.BUSY: 1, R.NO_ANSWER: 1, R.FAILED: 0,
        R.CONGESTION: 0, R.MACHINE: 1, R.SKIPPED: 1,
    }  # fmt: skip
    assert (figures.attempts, figures.dials) == (8, 7)
    assert (figures.answered_by_person, figures.connected, figures.abandoned) == (4, 2, 2)
    assert figures.abandon_rate == 0.5


async def test_averages_are_double_precision_over_the_calls_they_describe(
    store: CampaignStore,
) -> None:
    await recorded(store)

    figures = await store.attempt_figures(CAMPAIGN.id)

    ring, connect = figures.average_ring_seconds, figures.average_connect_seconds
    assert type(ring) is float and type(connect) is float  # never Decimal (PostgreSQL)
    assert ring == (8 + 5 + 5 + 5 + 2) / 5  # answered dials only, from the stored column
    assert connect == pytest.approx(1.25, abs=1e-3)  # SQLite's date functions keep ms


async def test_a_range_is_half_open_by_the_instant_the_dial_started(
    store: CampaignStore,
) -> None:
    await recorded(store)

    middle = await store.attempt_figures(CAMPAIGN.id, Instant(T0 + 120), Instant(T0 + 300))
    later = await store.attempt_figures(CAMPAIGN.id, since=Instant(T0 + 300))
    before = await store.attempt_figures(CAMPAIGN.id, until=Instant(T0 + 60))

    assert {r: n for r, n in middle.by_result.items() if n} == {R.MACHINE: 1, R.CONNECTED: 2}
    assert middle.abandon_rate == 0.0
    assert {r: n for r, n in later.by_result.items() if n} == {R.ABANDONED: 2, R.NO_ANSWER: 1}
    assert (later.average_connect_seconds, later.average_ring_seconds) == (None, 3.5)
    assert (before.attempts, before.dials) == (1, 0)


async def test_a_campaign_without_attempts_has_zeros_and_no_averages(
    store: CampaignStore,
) -> None:
    await started(store)

    figures = await store.attempt_figures(CAMPAIGN.id)

    assert set(figures.by_result.values()) == {0} and len(figures.by_result) == len(R)
    assert (figures.answered_by_person, figures.abandon_rate) == (0, None)
    assert (figures.average_ring_seconds, figures.average_connect_seconds) == (None, None)


async def test_the_abandon_window_counts_what_the_pacer_rebuilds_after_a_restart(
    store: CampaignStore,
) -> None:
    await recorded(store)
    now, length = Instant(T0 + 600), 420.0  # from T0 + 180: minute 3 on

    window = await store.abandon_window(CAMPAIGN.id, now, length)
    rebuilt = tally(await store.attempts_since(CAMPAIGN.id, Instant(now - length)), now, length)

    assert (window.answered, window.abandoned) == (4, 2)
    assert (window.answered, window.abandoned) == (rebuilt.answered, rebuilt.abandoned)
    assert window.length == length


async def test_the_abandon_window_leaves_out_outcomes_after_now(store: CampaignStore) -> None:
    await recorded(store)
    now = Instant(T0 + 330)  # minute 5's abandon ends at T0 + 350: not known yet

    window = await store.abandon_window(CAMPAIGN.id, now, 86_400.0)

    assert (window.answered, window.abandoned) == (2, 0)  # the connects at +186 and +246.5


async def test_attempts_are_listed_newest_first_with_filters_and_a_limit(
    store: CampaignStore,
) -> None:
    dials = await recorded(store)

    every = (await store.attempts(CAMPAIGN.id)).items
    abandoned = (await store.attempts(CAMPAIGN.id, result=R.ABANDONED)).items
    ranged = await store.attempts(CAMPAIGN.id, since=Instant(T0 + 60), until=Instant(T0 + 180))
    newest = (await store.attempts(CAMPAIGN.id, limit=2)).items

    assert every == dials[::-1]  # read back whole, other campaigns left out
    assert [a.id for a in abandoned] == ["dial-6", "dial-5"]
    assert [a.id for a in ranged.items] == ["dial-2", "dial-1"]
    assert newest == dials[:-3:-1]
    assert (await store.attempts(EVERY_SETTING.id, result=R.CONNECTED)).items == []


async def test_a_seat_day_counts_agents_and_apart_the_dials_nobody_was_attached_to(
    store: CampaignStore,
) -> None:
    dials = await recorded(store)
    predictive = replace(dials[7], id="dial-9", agent=None, mode=DialMode.PREDICTIVE)
    await store.record_attempt(predictive)
    day_end = Instant(T0 + 3600)

    renewals = await store.seat_day(T0, day_end, CAMPAIGN.id)
    every = await store.seat_day(T0, day_end)
    empty = await store.seat_day(Instant(T0 - 7200), Instant(T0 - 3600))

    ann = AgentId("1001")
    assert renewals == SeatCounts(
        seats={ann: SeatCount(dials=4, successes=1), BOB: SeatCount(dials=1, successes=1)},
        unassigned=SeatCount(dials=3, successes=0),
    )
    assert every.seats[ann] == SeatCount(dials=5, successes=1)  # the other campaign's too
    assert empty == SeatCounts(seats={}, unassigned=NO_CALLS)
    assert await store.seat_counts(T0, day_end, CAMPAIGN.id) == renewals.seats


async def test_attempts_page_newest_first_and_a_newer_attempt_is_on_no_later_page(
    store: CampaignStore,
) -> None:
    dials = await recorded(store)
    first = await store.attempts(CAMPAIGN.id, limit=3)
    newest = replace(dials[-1], id="dial-9", started_at=Instant(T0 + 540),
                     ended_at=Instant(T0 + 560))  # fmt: skip
    await store.record_attempt(newest)  # type: ignore[arg-type]

    pages = [first]
    while pages[-1].after is not None:
        pages.append(await store.attempts(CAMPAIGN.id, limit=3, after=pages[-1].after))

    assert [len(p.items) for p in pages] == [3, 3, 2]
    assert [a for p in pages for a in p.items] == dials[::-1]  # each once, none repeated
    assert (await store.attempts(CAMPAIGN.id, limit=1)).items[0].id == "dial-9"
