"""Quiet periods per number, across campaigns (issue 18, C5): cti/domain/outbound/quiet.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from cti.domain.commands import FeedContacts, QuietNumbers, RunCampaign, SetReady
from cti.domain.effects import ContactsReturned, FindingRaised
from cti.domain.ids import Instant
from cti.domain.inputs import MachineAnswered
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.campaign import AttemptResult, CampaignConfig, CampaignId
from cti.domain.outbound.contact import Contact, ContactId, ContactStatus
from cti.domain.outbound.pacing import DialMode, PacingConfig
from cti.domain.outbound.quiet import (
    NumberQuiet,
    abandon_quiet_until,
    forget_before,
    machine_quiet_until,
    merged,
    noted,
    repeat_abandon,
)
from cti.domain.records import Rule
from tests.unit.acd_kit import Acd
from tests.unit.test_outbound import (
    A1,
    HOUR,
    SALES,
    SPRING,
    answers,
    channel_of,
    contact,
    dialer,
    ended,
    feed,
    hangs_up,
    originate_ended,
    originated,
    tick,
)

AUTUMN = CampaignId("autumn")
LONDON = ZoneInfo("Europe/London")


def autumn_contact(number: str = "5550000") -> Contact:
    return Contact(
        id=ContactId(f"a-{number}"),
        campaign=AUTUMN,
        number=number,
        timezone="UTC",
        status=ContactStatus.DIALLING,
    )


def run_autumn(acd: Acd, mode: DialMode = DialMode.PROGRESSIVE) -> None:
    conf = CampaignConfig(
        id=AUTUMN, queue=SALES, caller_id="5550101", pacing=PacingConfig(mode=mode)
    )
    acd.feed(RunCampaign(at=acd.now, config=conf, window=AbandonWindow(length=86400)))


def abandon_first(acd: Acd) -> None:
    """Spring's dial of 5550000 is answered and no agent takes it within the 2 s hold."""
    feed(acd, contact(0))
    dial = channel_of(acd)
    answers(acd, dial)
    tick(acd, 2.0)
    hangs_up(acd, dial)
    [end] = ended(acd)
    assert end.attempt.result is AttemptResult.ABANDONED
    acd.feed(SetReady(at=acd.now, agent=A1))  # who missed the hold went not ready


# The pure rules ---------------------------------------------------------------------------


def test_an_abandoned_call_and_a_machine_are_noted_and_other_results_are_not() -> None:
    t = Instant(1000.0)
    abandoned = noted(None, AttemptResult.ABANDONED, t)
    assert abandoned == NumberQuiet(abandoned_at=t)
    both = noted(abandoned, AttemptResult.MACHINE, Instant(2000.0))
    assert both == NumberQuiet(abandoned_at=t, machine_at=Instant(2000.0))
    assert noted(both, AttemptResult.CONNECTED, Instant(3000.0)) is None
    assert noted(both, AttemptResult.NO_ANSWER, Instant(3000.0)) is None


def test_merging_keeps_each_latest_instant() -> None:
    store = NumberQuiet(abandoned_at=Instant(10.0), machine_at=Instant(50.0))
    core = NumberQuiet(abandoned_at=Instant(30.0))

    assert merged(core, store) == NumberQuiet(abandoned_at=Instant(30.0), machine_at=Instant(50.0))
    assert merged(None, store) == store
    assert merged(store, core) == merged(core, store)


def test_the_abandon_quiet_period_runs_from_the_abandon_and_a_second_inside_it_repeats() -> None:
    quiet = NumberQuiet(abandoned_at=Instant(0.0))

    assert abandon_quiet_until(quiet, 72 * HOUR) == 72 * HOUR
    assert abandon_quiet_until(NumberQuiet(machine_at=Instant(5.0)), 72 * HOUR) is None
    assert repeat_abandon(quiet, 72 * HOUR, Instant(71 * HOUR))
    assert not repeat_abandon(quiet, 72 * HOUR, Instant(72 * HOUR))
    assert not repeat_abandon(None, 72 * HOUR, Instant(1.0))


def test_a_machine_keeps_the_number_quiet_until_local_midnight_across_a_dst_change() -> None:
    # 2026-10-25 01:30 BST in London; the clocks go back at 02:00, midnight is GMT.
    machine = Instant(datetime(2026, 10, 25, 1, 30, tzinfo=LONDON).timestamp())
    until = machine_quiet_until(NumberQuiet(machine_at=machine), LONDON)

    assert until == datetime(2026, 10, 26, 0, 0, tzinfo=LONDON).timestamp()
    assert until is not None and until - machine == 23.5 * HOUR  # a 25-hour day
    assert machine_quiet_until(NumberQuiet(abandoned_at=machine), LONDON) is None


def test_entries_older_than_the_horizon_are_forgotten() -> None:
    book = [
        ("old", NumberQuiet(abandoned_at=Instant(10.0))),
        ("machine", NumberQuiet(abandoned_at=Instant(10.0), machine_at=Instant(500.0))),
        ("new", NumberQuiet(abandoned_at=Instant(400.0))),
    ]
    assert forget_before(book, Instant(300.0)) == ["old"]


# Through the core: per number, across campaigns (rules 1, 3, 4) ---------------------------


def test_a_number_abandoned_by_one_campaign_is_not_dialled_by_another_within_the_period() -> None:
    acd = dialer("1001")
    abandon_first(acd)
    run_autumn(acd)
    before = len(originated(acd))

    acd.feed(FeedContacts(at=acd.now, campaign=AUTUMN, contacts=(autumn_contact(),)))

    assert len(originated(acd)) == before
    [back] = acd.of(ContactsReturned)
    assert (back.campaign, back.why) == (AUTUMN, "abandon_quiet")


def test_the_same_campaign_does_not_dial_the_number_again_within_the_period() -> None:
    acd = dialer("1001")
    abandon_first(acd)
    again = contact(0, attempts=1)  # the contact as the store holds it: no abandoned_at kept

    feed(acd, again)

    assert len(originated(acd)) == 1
    assert acd.of(ContactsReturned)[-1].why == "abandon_quiet"


def test_past_the_period_the_number_may_be_dialled_again() -> None:
    acd = dialer("1001")
    abandon_first(acd)
    run_autumn(acd)
    acd.advance(72 * HOUR)

    acd.feed(FeedContacts(at=acd.now, campaign=AUTUMN, contacts=(autumn_contact(),)))

    assert [o.number for o in originated(acd)] == ["5550000", "5550000"]


def test_a_machine_keeps_the_number_quiet_for_the_rest_of_its_day() -> None:
    acd = dialer("1001", machine_detection=True)
    feed(acd, contact(0))
    dial = channel_of(acd)
    originate_ended(acd, dial, answered=True)
    acd.feed(MachineAnswered(at=acd.now, channel=dial, cause="LONGGREETING"))
    hangs_up(acd, dial)
    run_autumn(acd)

    acd.feed(FeedContacts(at=acd.now, campaign=AUTUMN, contacts=(autumn_contact(),)))

    assert acd.of(ContactsReturned)[-1].why == "machine_quiet"
    acd.advance(21 * HOUR)  # 09:00 the next day in UTC, inside the calling window
    acd.feed(FeedContacts(at=acd.now, campaign=AUTUMN, contacts=(autumn_contact(),)))
    assert len(originated(acd)) == 2


def test_a_number_being_dialled_is_not_dialled_again_meanwhile() -> None:
    acd = dialer("1001", "1002")
    run_autumn(acd)
    feed(acd, contact(0))
    first = channel_of(acd)

    acd.feed(FeedContacts(at=acd.now, campaign=AUTUMN, contacts=(autumn_contact(),)))

    assert len(originated(acd)) == 1
    assert acd.state.campaigns[AUTUMN].buffer == (autumn_contact(),)  # kept, not returned
    originate_ended(acd, first, answered=False, reason=3)  # no answer
    hangs_up(acd, first, cause=19)
    assert [o.number for o in originated(acd)] == ["5550000", "5550000"]
    assert originated(acd)[1].channel != first


def test_the_book_rebuilt_from_the_store_is_merged_and_pruned() -> None:
    acd = dialer("1001")
    abandon_first(acd)
    learnt = acd.state.quiet["5550000"]
    stored = {
        "5550000": NumberQuiet(machine_at=Instant(acd.now - HOUR)),
        "5559999": NumberQuiet(abandoned_at=Instant(acd.now - 100 * HOUR)),
    }

    acd.feed(QuietNumbers(at=acd.now, numbers=stored, horizon=Instant(acd.now - 96 * HOUR)))

    assert dict(acd.state.quiet) == {"5550000": replace(learnt, machine_at=Instant(acd.now - HOUR))}


def test_an_abandon_inside_a_period_the_store_knew_of_is_a_finding() -> None:
    """Rule 5: another server (or a restart) abandoned the number an hour ago, and the book
    learns it only while this dial is in flight: the second abandon is a finding."""
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)
    earlier = NumberQuiet(abandoned_at=Instant(acd.now - HOUR))
    acd.feed(QuietNumbers(at=acd.now, numbers={"5550000": earlier}, horizon=Instant(0.0)))
    answers(acd, dial)
    tick(acd, 2.0)

    hangs_up(acd, dial)

    [finding] = [f.finding for f in acd.of(FindingRaised) if f.finding.rule is Rule.REPEAT_ABANDON]
    assert (finding.measured, finding.limit) == (HOUR + 2.0, 72 * HOUR)
    assert finding.call is not None and str(finding.call) == str(dial)
    assert SPRING in finding.detail and "5550000" in finding.detail
