"""`cti campaign stats` and `cti campaign seats` in-process against a temporary SQLite
database: a campaign's figures and each outbound seat's day (P16) as readable tables."""

from __future__ import annotations

import asyncio

import pytest

from cti.domain.ids import AgentId, QueueId
from cti.domain.outbound.campaign import AttemptResult, CampaignConfig, CampaignId, SeatTargets
from cti.storage.campaign_store import CampaignStore
from cti.storage.database import open_database
from tests.storage import test_campaign_cli
from tests.storage.campaign_samples import T0, answered, attempt, contacts
from tests.storage.test_campaign_cli import Capture, campaign

R = AttemptResult
url = test_campaign_cli.url  # the fixture: a database with the `outbound` queue
DAY = "2027-01-15"  # T0 is 2027-01-15 08:00:00.5 UTC
SEATS = SeatTargets(min_dials=2, max_dials=3, min_successes=1, max_successes=1)
RENEWALS = CampaignConfig(id=CampaignId("renewals"), queue=QueueId("outbound"), seat=SEATS)


async def _seed(url: str) -> None:
    database = await open_database(url)
    try:
        store = CampaignStore(database)
        await store.save(RENEWALS)
        (ann, bob, cy) = contacts(range(3), RENEWALS)
        await store.add_contacts(RENEWALS.id, [ann, bob, cy])
        for made in [
            answered(0, ann, R.CONNECTED),  # rang 5 s, connected 1 s after the answer
            answered(1, ann, R.CONNECTED),
            answered(2, bob, R.ABANDONED, agent=None),
            attempt(3, bob, result=R.BUSY),
            attempt(4, cy, result=R.SKIPPED),
            answered(5, cy, R.CONNECTED, agent=AgentId("1002")),
            attempt(6, cy, result=R.NO_ANSWER, agent=None),
            attempt(60 * 24, cy, result=R.BUSY),  # the next day
        ]:
            await store.record_attempt(made)
    finally:
        await database.close()


@pytest.fixture
def seeded(url: str) -> str:
    """test_campaign_cli's database (its `outbound` queue) with renewals' attempts."""
    asyncio.run(_seed(url))
    return url


def test_stats_print_a_table_of_the_campaign_s_figures(seeded: str, capsys: Capture) -> None:
    status, out, err = campaign(capsys, "stats", "renewals", "--until", f"{T0 + 86_400}")

    assert (status, err) == (0, "")
    head, *table = out.splitlines()
    assert head == (
        "campaign renewals (progressive, draft): attempts from the first until "
        "2027-01-16T08:00:00.500000+00:00"
    )
    assert table == [
        "figure                       value",
        "attempts                         7",
        "  connected                      3",
        "  abandoned                      1",
        "  busy                           1",
        "  no_answer                      1",
        "  failed                         0",
        "  congestion                     0",
        "  machine                        0",
        "  skipped                        1",
        "dials                            6",
        "answered by a person             4",
        "abandon rate                25.0 %",
        "average ring               5.000 s",
        "average time to connect    1.000 s",
        "contacts                         3",
        "  pending                        3",
        "  dialling                       0",
        "  done                           0",
        "  closed                         0",
        "  due now                        3",
        "  next due                     now",
        "abandon window, last 24 h",
        "  answered by a person           0",  # T0 is in 2027: nothing ended within it yet
        "  abandoned                      0",
        "  abandon rate                   -",
        "  cap                        3.0 %",
        "  predictive dials ahead        no",
    ]


def test_stats_take_a_range_and_refuse_bad_ones(seeded: str, capsys: Capture) -> None:
    later = campaign(capsys, "stats", "renewals", "--since", "2027-01-15T08:03:00+00:00")
    backwards = campaign(capsys, "stats", "renewals", "--since", "2", "--until", "1")
    no_offset = campaign(capsys, "stats", "renewals", "--since", "2027-01-15T08:00:00")
    unknown = campaign(capsys, "stats", "nowhere")

    assert later[0] == 0 and "attempts from 2027-01-15T08:03:00+00:00 until now" in later[1]
    assert "attempts                         5" in later[1]  # minute 3 on, the next day too
    assert backwards[0] == 2 and "--since must be before --until" in backwards[2]
    assert no_offset[0] == 2 and "ISO 8601 with an offset" in no_offset[2]
    assert unknown[0] == 2 and "campaign nowhere does not exist" in unknown[2]


def test_seats_print_each_seat_s_day_with_advice_and_the_staffing_line(
    seeded: str, capsys: Capture
) -> None:
    status, out, err = campaign(capsys, "seats", "--day", DAY, "--campaign", "renewals")

    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "outbound seats on 2027-01-15 (UTC), campaign renewals: targets 2-3 dials, "
        "1-1 successes a seat",
        "agent       dials  successes  advice",
        "1001            3          2  successes 2 > 1: add seats",
        "1002            1          1  dials 1 < 2: add dialling: more contacts or faster pacing",
        "(no agent)      2          0",
        "total: seats 2, dials 6, successes 3; seats needed 3, kept busy at most 3; "
        "add seats: 1 more",
    ]


def test_seats_default_to_p16_targets_and_refuse_a_bad_day(seeded: str, capsys: Capture) -> None:
    every = campaign(capsys, "seats", "--day", DAY)
    bad = campaign(capsys, "seats", "--day", "15/01/2027")
    unknown = campaign(capsys, "seats", "--campaign", "nowhere")
    today = campaign(capsys, "seats")

    assert every[0] == 0 and "targets 70-100 dials, 60-80 successes a seat" in every[1]
    assert (
        "seats needed 1, kept busy at most 0; add dialling: more contacts or faster pacing: "
        "134 dials, 117 successes short" in every[1]
    )
    assert bad[0] == 2 and "expected YYYY-MM-DD" in bad[2]
    assert unknown[0] == 2 and "campaign nowhere does not exist" in unknown[2]
    assert today[0] == 0 and "(no agent)      0          0" in today[1]
