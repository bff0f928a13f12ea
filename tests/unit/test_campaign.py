"""Campaigns and contacts in the pure core: validation, retries, the checks before every
dial, and the CSV upload (issue 4; C5, P17, P25)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from cti.domain.config import ConfigError
from cti.domain.ids import Instant, QueueId
from cti.domain.outbound.attempt import unanswered_result
from cti.domain.outbound.campaign import (
    AttemptResult,
    CallingWindow,
    CampaignConfig,
    CampaignId,
    RetryRule,
    SeatTargets,
)
from cti.domain.outbound.contact import (
    Blocked,
    Contact,
    ContactError,
    ContactStatus,
    after_attempt,
    dial_check,
    make_contact,
    normalize_number,
    overdue,
    started,
)
from cti.domain.outbound.contact_rows import contact_id, read_contacts
from cti.domain.outbound.pacing import DialMode, PacingConfig
from cti.domain.outbound.quiet import NumberQuiet

HOUR = 3600.0
CAMPAIGN = CampaignConfig(id=CampaignId("renewals"), queue=QueueId("sales"), timezone="UTC")
# 2026-11-23 12:00 UTC: inside 08:00-21:00 in London, 04:00 in Los Angeles.
NOON = Instant(datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp())


def contact(number: str = "+441632960001", timezone: str = "Europe/London") -> Contact:
    return make_contact(
        id=contact_id(CAMPAIGN, number), campaign=CAMPAIGN, number=number, timezone=timezone
    )


def check(
    c: Contact,
    now: Instant = NOON,
    dnc: frozenset[str] = frozenset(),
    guaranteed: bool = False,
    quiet: NumberQuiet | None = None,
) -> Blocked | None:
    return dial_check(c, CAMPAIGN, now, dnc, quiet=quiet, agent_guaranteed=guaranteed)


# --- the campaign ---------------------------------------------------------------------------


def test_defaults_are_the_policies() -> None:
    CAMPAIGN.validate()
    assert CAMPAIGN.window == CallingWindow(start=time(8), end=time(21))
    assert CAMPAIGN.follow_up_within == 72 * HOUR  # P17
    assert CAMPAIGN.abandon_quiet == 72 * HOUR
    assert CAMPAIGN.seat == SeatTargets(
        min_dials=70, max_dials=100, min_successes=60, max_successes=80
    )
    assert all(3 <= rule.max_attempts <= 5 for rule in CAMPAIGN.retries.values())  # P17
    assert CAMPAIGN.mode is DialMode.PROGRESSIVE


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ring_timeout": 10.0}, "ring_timeout must be 15-300 s"),
        ({"queue": QueueId(" ")}, "queue must name"),
        ({"window": CallingWindow(start=time(21), end=time(8))}, "must be before end"),
        ({"retries": {AttemptResult.BUSY: RetryRule(delay=-1, max_attempts=3)}}, "delay"),
        (
            {"retries": {AttemptResult.NO_ANSWER: RetryRule(delay=60, max_attempts=0)}},
            "max_attempts",
        ),
        (
            {"retries": {AttemptResult.CONNECTED: RetryRule(delay=60, max_attempts=3)}},
            "not retried",
        ),
        ({"abandon_quiet": 0.0}, r"abandon_quiet must be in \(0, 2678400\] s"),
        ({"follow_up_within": float("nan")}, "follow_up_within must be in \\(0, 2678400\\] s"),
        ({"ring_timeout": float("inf")}, "ring_timeout must be 15-300 s"),
        ({"retries": {AttemptResult.BUSY: RetryRule(delay=float("nan"), max_attempts=3)}}, "delay"),
        ({"seat": SeatTargets(min_dials=120, max_dials=100)}, "seat targets"),
    ],
)
def test_a_campaign_that_cannot_be_dialled_by_is_refused_naming_the_field(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        replace(CAMPAIGN, **change).validate()  # type: ignore[arg-type]


def test_the_mode_is_the_pacing_mode() -> None:
    predictive = replace(CAMPAIGN, pacing=PacingConfig(mode=DialMode.PREDICTIVE))
    assert predictive.mode is DialMode.PREDICTIVE


# --- numbers and time zones -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("+44 1632 960001", "+441632960001"),
        ("(020) 7946-0018", "02079460018"),
        ("555.0100", "5550100"),
    ],
)
def test_numbers_are_kept_as_dialled(raw: str, number: str) -> None:
    assert normalize_number(raw) == number


@pytest.mark.parametrize(
    "raw", ["", "12", "call me", "+44 1632 96O001", "1" * 16, "++441632960001"]
)
def test_numbers_that_do_not_parse_are_refused(raw: str) -> None:
    with pytest.raises(ContactError, match="not a phone number"):
        normalize_number(raw)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ContactError, match="Mars/Olympus"):
        contact(timezone="Mars/Olympus")


# --- before every dial ------------------------------------------------------------------------


def test_a_pending_contact_inside_its_window_may_be_dialled() -> None:
    assert check(contact()) is None


def test_the_do_not_call_list_is_checked_first() -> None:
    assert check(contact(), dnc=frozenset({"+441632960001"})) is Blocked.DO_NOT_CALL


def test_the_window_is_the_called_partys_local_time() -> None:
    la = contact(number="+12135550100", timezone="America/Los_Angeles")  # 04:00 there

    assert check(la) is Blocked.OUTSIDE_WINDOW
    assert check(la, now=Instant(NOON + 5 * HOUR)) is None  # 09:00 there
    assert check(contact(), now=Instant(NOON + 9 * HOUR)) is Blocked.OUTSIDE_WINDOW  # 21:00 London


def test_a_contact_is_not_dialled_before_its_retry() -> None:
    busy = after_attempt(started(contact()), CAMPAIGN, AttemptResult.BUSY, NOON)

    assert busy.status is ContactStatus.PENDING and busy.attempts == 1
    assert check(busy, now=Instant(NOON + 60)) is Blocked.NOT_YET
    assert check(busy, now=Instant(NOON + CAMPAIGN.retries[AttemptResult.BUSY].delay)) is None


def test_an_abandoned_number_stays_quiet_72_hours_unless_an_agent_is_guaranteed() -> None:
    abandoned = after_attempt(started(contact()), CAMPAIGN, AttemptResult.ABANDONED, NOON)
    later = Instant(NOON + 24 * HOUR)  # past the retry delay, inside the quiet period

    assert abandoned.abandoned_at == NOON
    assert check(abandoned, now=later) is Blocked.ABANDON_QUIET
    assert check(abandoned, now=later, guaranteed=True) is None
    assert check(abandoned, now=Instant(NOON + 72 * HOUR)) is None


# --- after an attempt ------------------------------------------------------------------------


def test_a_person_reached_is_done() -> None:
    done = after_attempt(started(contact()), CAMPAIGN, AttemptResult.CONNECTED, NOON)

    assert done.status is ContactStatus.DONE and check(done) is Blocked.NOT_PENDING


def test_attempts_stop_at_the_rules_maximum() -> None:
    c = contact()
    limit = CAMPAIGN.retries[AttemptResult.NO_ANSWER].max_attempts
    for n in range(limit):
        assert c.status is ContactStatus.PENDING
        c = after_attempt(
            started(c), CAMPAIGN, AttemptResult.NO_ANSWER, Instant(NOON + n * 3 * HOUR)
        )

    assert c.attempts == limit and c.status is ContactStatus.CLOSED


def test_the_maximum_counts_attempts_of_every_outcome() -> None:
    c = contact()
    for result in (AttemptResult.BUSY, AttemptResult.NO_ANSWER):
        c = after_attempt(started(c), CAMPAIGN, result, NOON)
    # FAILED allows 3 in all: this third attempt closes the contact.
    c = after_attempt(started(c), CAMPAIGN, AttemptResult.FAILED, NOON)

    assert c.attempts == 3 and c.status is ContactStatus.CLOSED


def test_a_preview_skip_is_recorded_but_not_counted() -> None:
    skipped = after_attempt(started(contact()), CAMPAIGN, AttemptResult.SKIPPED, NOON)

    assert skipped.attempts == 0 and skipped.last_result is AttemptResult.SKIPPED
    assert skipped.status is ContactStatus.PENDING


def test_a_follow_up_not_done_by_its_due_time_is_overdue() -> None:
    due = replace(contact(), due=Instant(NOON + 72 * HOUR))

    assert not overdue(due, Instant(NOON + 71 * HOUR))
    assert overdue(due, Instant(NOON + 73 * HOUR))
    assert not overdue(
        after_attempt(started(due), CAMPAIGN, AttemptResult.CONNECTED, NOON),
        Instant(NOON + 73 * HOUR),
    )


# --- the CSV upload -------------------------------------------------------------------------

BAD_CSV = """number,timezone,due,name,account
+44 1632 960001,Europe/London,,Ann,A-1
not a number,Europe/London,,Bob,A-2
+441632960003,Mars/Olympus,,Cy,A-3
+441632960004,,2026-11-25T10:00,Di,A-4
+441632960005,Europe/London,next tuesday,Ed,A-5
+441632960006,Europe/London,,Flo
,Europe/London,,Gus,A-7
+44 1632 960001,Europe/London,,Ann again,A-1

+441632960009,America/New_York,2026-11-25T10:00-05:00,"Hal, ""the boss""
of sales",A-9
+441632960010,Europe/London,,Ivy,A-10
"""


def test_each_bad_row_is_reported_with_its_line_and_good_rows_are_kept() -> None:
    batch = read_contacts(BAD_CSV, CAMPAIGN, known=["+441632960010"])

    assert batch.errors == (
        "line 3: number 'not a number' is not a phone number (digits, optional leading +)",
        "line 4: time zone 'Mars/Olympus' is not a known IANA time zone",
        "line 6: due 'next tuesday' is not an ISO 8601 date and time",
        "line 7: 4 values for 5 columns",
        "line 8: number is empty",
        "line 9: number +441632960001 repeats line 2",
    )
    assert [c.number for c in batch.contacts] == ["+441632960001", "+441632960004", "+441632960009"]
    assert batch.already == 1  # +441632960010: the campaign has it; not imported twice
    assert batch.refused is False
    ann, di, hal = batch.contacts
    assert ann.id == "renewals:+441632960001" and dict(ann.fields) == {
        "name": "Ann",
        "account": "A-1",
    }
    assert di.timezone == "UTC"  # the campaign's, the row had none
    assert di.due == datetime(2026, 11, 25, 10, 0, tzinfo=UTC).timestamp()
    assert hal.fields["name"] == 'Hal, "the boss"\nof sales'
    assert hal.due == datetime(2026, 11, 25, 15, 0, tzinfo=UTC).timestamp()


def test_reading_the_same_file_again_imports_nothing_twice() -> None:
    first = read_contacts(BAD_CSV, CAMPAIGN, known=[])
    again = read_contacts(BAD_CSV, CAMPAIGN, known=[c.number for c in first.contacts])

    assert again.contacts == ()
    # Every good row, and line 9 (its number is now the campaign's too).
    assert again.already == len(first.contacts) + 1
    assert again.errors == first.errors[:-1]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "line 1: the file is empty"),
        ("phone,name\n+441632960001,Ann\n", "line 1: no 'number' column"),
        ("number,name,Name\n", "line 1: columns named more than once: ['name']"),
        ("number,,name\n", "line 1: a column without a name"),
        ('number,name\n+441632960001,"Ann\n', "line 2: not CSV"),
    ],
)
def test_a_file_that_is_not_a_contact_list_is_one_clear_error(text: str, error: str) -> None:
    batch = read_contacts(text, CAMPAIGN, known=[])

    assert batch.contacts == ()
    assert len(batch.errors) == 1 and batch.errors[0].startswith(error)
    assert batch.refused is error.startswith("line 1")  # a bad row is not a refused file


def test_a_header_too_wide_is_refused_and_no_error_repeats_the_whole_header() -> None:
    """Issue 13: 100,000 columns (a 789 KB header took minutes when each column's name was
    counted against all the others) and a 10 MB line of commas (millions of fields) are
    refused before they are split; 200 repeated names are listed as five and a count."""
    wide = read_contacts("number," + ",".join(f"c{n}" for n in range(100_000)) + "\n", CAMPAIGN, [])
    assert wide.refused and wide.errors == ("line 1: the header is longer than 65536 characters",)
    short = read_contacts("number," + ",".join(f"c{n}" for n in range(200)) + "\n", CAMPAIGN, [])
    assert short.errors == ("line 1: the header has 201 columns; at most 200",)
    commas = read_contacts("number\n+441632960001\n" + "," * 10_000_000, CAMPAIGN, [])
    assert commas.refused and commas.errors[0].startswith("line 3: longer than 200600 characters")
    twice = read_contacts("number," + ",".join(f"c{n % 99}" for n in range(198)) + "\n",
                          CAMPAIGN, [])  # fmt: skip
    [error] = twice.errors
    assert error.startswith("line 1: columns named more than once: ['c0', 'c1', 'c10', 'c11',")
    assert error.endswith("and 94 more]") and len(error) < 200
    nameless = read_contacts("phone," + "x," * 150 + "y\n", CAMPAIGN, [])
    assert nameless.errors[0].endswith("['phone', 'x', 'x', 'x', 'x', and 147 more]")


# --- the result of a dial nobody answered ------------------------------------------------------


@pytest.mark.parametrize(
    ("cause", "result"),
    [
        (17, AttemptResult.BUSY),  # the lab's 486 customer
        (19, AttemptResult.NO_ANSWER),  # the lab's ring-out at the Originate's Timeout
        (18, AttemptResult.NO_ANSWER),
        (34, AttemptResult.CONGESTION),  # the lab's 503 customer
        (None, AttemptResult.FAILED),  # the channel was never created
        (1, AttemptResult.FAILED),  # unallocated number
        (0, AttemptResult.FAILED),
    ],
)
def test_a_dial_nobody_answered_is_told_by_its_hang_up_cause(
    cause: int | None, result: AttemptResult
) -> None:
    assert unanswered_result(cause) is result
