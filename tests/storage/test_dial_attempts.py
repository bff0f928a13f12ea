"""Dial attempts, per-seat daily counts (P16) and the do-not-call list in CampaignStore,
against real SQLite and PostgreSQL: an attempt is recorded once with the contact it left,
and what pacing needs to rebuild its abandon window after a restart is read back."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cti.domain.ids import AgentId, Instant
from cti.domain.outbound.abandon_window import Attempt, Outcome, tally
from cti.domain.outbound.campaign import AttemptResult
from cti.domain.outbound.contact import ContactError, ContactStatus, after_attempt
from cti.domain.outbound.pacing import DialMode
from cti.domain.outbound.quiet import NumberQuiet
from cti.storage.campaign_store import CampaignStore, SeatCount
from cti.storage.database import Database
from tests.storage.campaign_samples import (
    CAMPAIGN,
    EVERY_SETTING,
    T0,
    answered,
    attempt,
    contact,
    started,
)


@pytest.fixture
def store(database: Database) -> CampaignStore:
    return CampaignStore(database)


# --- attempts -------------------------------------------------------------------------------


async def test_an_attempt_is_recorded_once_with_the_contact_it_left(store: CampaignStore) -> None:
    (first, *_) = await started(store)
    dialling = await store.claim(first.id)
    assert dialling is not None
    dial = attempt(1, first)
    left = after_attempt(dialling, CAMPAIGN, dial.result, dial.ended_at)

    new = await store.record_attempt(dial, left)
    await store.claim(first.id)  # dialled again later
    replayed = await store.record_attempt(dial, left)

    assert (new, replayed) == (True, False)
    assert await store.attempts_of(first.id) == [dial]
    assert await store.contact(first.id) == replace(left, status=ContactStatus.DIALLING, claim=2)


async def test_an_attempt_is_kept_when_its_contact_was_no_longer_dialling(
    store: CampaignStore,
) -> None:
    (first, *_) = await started(store)
    dial = answered(1, first, AttemptResult.CONNECTED)

    new = await store.record_attempt(dial, replace(first, status=ContactStatus.DONE, attempts=1))

    assert new is True
    assert await store.attempts_of(first.id) == [dial]
    assert await store.contact(first.id) == first  # pending: not moved by a stray result


async def test_attempts_round_trip_in_the_order_they_started(store: CampaignStore) -> None:
    (first, second, _) = await started(store)
    dials = [
        answered(3, first, AttemptResult.CONNECTED),
        attempt(1, first, agent=None, mode=DialMode.PREDICTIVE, result=AttemptResult.BUSY),
        answered(2, first, AttemptResult.ABANDONED, agent=None),
        attempt(4, second),
    ]

    for dial in dials:
        await store.record_attempt(dial)

    assert await store.attempts_of(first.id) == [dials[1], dials[2], dials[0]]
    assert dials[0].ring_seconds == 5.0 and dials[1].ring_seconds == 25.25


async def test_attempts_since_rebuild_the_abandon_window_after_a_restart(
    store: CampaignStore,
) -> None:
    (first, second, third) = await started(store)
    other = (await started(store, EVERY_SETTING))[0]
    connected = answered(2, first, AttemptResult.CONNECTED)
    abandoned = answered(3, second, AttemptResult.ABANDONED, agent=None)
    for dial in [
        answered(0, third, AttemptResult.CONNECTED),  # ended before `since`
        connected,
        abandoned,
        attempt(4, third),  # nobody answered: outside the rate
        answered(5, other, AttemptResult.ABANDONED),  # another campaign
    ]:
        await store.record_attempt(dial)

    since = Instant(T0 + 60)
    found = await store.attempts_since(CAMPAIGN.id, since)

    assert found == [
        Attempt(at=Instant(T0 + 126), outcome=Outcome.CONNECTED),  # when it connected
        Attempt(at=abandoned.ended_at, outcome=Outcome.ABANDONED),
    ]
    window = tally(found, Instant(T0 + 600), 86_400.0)
    assert (window.answered, window.abandoned) == (2, 1)


async def test_quiet_numbers_are_each_numbers_last_abandon_and_machine_over_campaigns(
    store: CampaignStore,
) -> None:
    """Issue 18 (quiet.py rule 4): the book is per number, across every campaign."""
    (first, second, third) = await started(store)
    other = (await started(store, EVERY_SETTING))[0]
    assert other.number == first.number  # one person in two campaigns
    machine = attempt(3, first, result=AttemptResult.MACHINE, answered_at=Instant(T0 + 185))
    for dial in [
        answered(0, second, AttemptResult.ABANDONED),  # ended before `since`
        answered(2, first, AttemptResult.ABANDONED),
        machine,
        answered(5, other, AttemptResult.ABANDONED),  # the later abandon, by winback
        answered(6, third, AttemptResult.CONNECTED),
        attempt(7, third),
    ]:
        await store.record_attempt(dial)
    since = Instant(T0 + 60)

    book = await store.quiet_numbers(since)

    expected = NumberQuiet(abandoned_at=Instant(T0 + 350), machine_at=machine.ended_at)
    assert book == {first.number: expected}
    assert await store.quiet_numbers(since, [first.number, third.number]) == book
    assert await store.quiet_numbers(since, [second.number]) == {}
    assert await store.quiet_numbers(since, []) == {}
    assert await store.quiet_numbers(Instant(T0 + 400)) == {}


async def test_seat_counts_are_dials_and_connected_calls_per_agent_in_the_day(
    store: CampaignStore,
) -> None:
    (first, second, _) = await started(store)
    other = (await started(store, EVERY_SETTING))[0]
    ann, bob = AgentId("1001"), AgentId("1002")
    day_end = Instant(T0 + 3600)
    for dial in [
        answered(0, first, AttemptResult.CONNECTED),
        attempt(1, first, result=AttemptResult.BUSY),
        attempt(2, first, result=AttemptResult.SKIPPED),  # the agent chose not to dial
        answered(3, second, AttemptResult.CONNECTED, agent=bob),
        attempt(4, second, agent=None, mode=DialMode.PREDICTIVE),  # nobody's
        answered(5, other, AttemptResult.CONNECTED),
        attempt(-1, second, agent=bob),  # the day before
        attempt(60, second, agent=bob),  # starts at day_end: the next day
    ]:
        await store.record_attempt(dial)

    counts = await store.seat_counts(T0, day_end)
    renewals = await store.seat_counts(T0, day_end, CAMPAIGN.id)

    assert counts == {ann: SeatCount(dials=3, successes=2), bob: SeatCount(dials=1, successes=1)}
    assert renewals[ann] == SeatCount(dials=2, successes=1)
    assert await store.seat_counts(Instant(T0 - 7200), Instant(T0 - 3600)) == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ended_at": Instant(T0 - 1)}, "ended before it started"),
        ({"result": AttemptResult.CONNECTED, "connected_at": Instant(T0 + 6)}, "a person answered"),
        ({"result": AttemptResult.ABANDONED}, "a person answered"),
        ({"connected_at": Instant(T0 + 6)}, "connected_at goes with a connected result"),
        ({"result": AttemptResult.CONNECTED, "person": True}, "connected_at goes with"),
    ],
)
def test_an_attempt_that_contradicts_itself_is_refused(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        attempt(0, contact(1), **change)


# --- do not call ----------------------------------------------------------------------------


async def test_do_not_call_numbers_are_kept_as_dialled(store: CampaignStore) -> None:
    added = await store.dnc_add(["+44 1632 960001", "+441632960001", "(01632) 960002"], "asked")
    again = await store.dnc_add(["+441632960001"], "asked again")

    assert (added, again) == (2, 0)
    assert await store.dnc_numbers() == frozenset({"+441632960001", "01632960002"})
    assert await store.dnc_contains("+44-1632-960001")
    assert not await store.dnc_contains("+441632960003")
    assert await store.dnc_remove("01632 960002") is True
    assert await store.dnc_remove("01632 960002") is False
    assert await store.dnc_numbers() == frozenset({"+441632960001"})


async def test_a_do_not_call_list_with_a_bad_number_adds_nothing(store: CampaignStore) -> None:
    with pytest.raises(ContactError, match="'call me' is not a phone number"):
        await store.dnc_add(["+441632960001", "call me"])

    assert await store.dnc_numbers() == frozenset()
