"""Campaign figures through the API (C5, P16, P22): a campaign's statistics with the
abandon window its pacer holds now, its attempts newest first, and each outbound seat's
day against the seat targets with staffing advice. Read by supervisors and admins only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cti.domain.ids import AgentId, Instant
from cti.domain.outbound.attempt import AttemptId, DialAttempt
from cti.domain.outbound.campaign import AttemptResult, CampaignId
from cti.domain.outbound.contact import Contact
from cti.domain.outbound.pacing import DialMode
from tests.api.harness import Api
from tests.api.test_campaigns import RENEWALS, URL, put
from tests.storage.campaign_samples import contact

R = AttemptResult
DAY = "2027-01-15"
T0 = Instant(datetime(2027, 1, 15, 9, 0, tzinfo=UTC).timestamp())
STATS, ATTEMPTS, SEATS_URL = f"{URL}/stats", f"{URL}/attempts", "/api/v1/outbound/seats"
SEATS = {"min_dials": 2, "max_dials": 3, "min_successes": 1, "max_successes": 1}


def dial(
    n: int, made: Contact, start: float, result: AttemptResult, agent: str | None = "1001"
) -> DialAttempt:
    """Dial n: a person answers 4 s in and an agent 1.5 s later, or as `result` says."""
    person = result in (R.CONNECTED, R.ABANDONED)
    return DialAttempt(
        id=AttemptId(f"dial-{n}"), campaign=made.campaign, contact=made.id, number=made.number,
        agent=None if agent is None else AgentId(agent), mode=DialMode.PROGRESSIVE,
        started_at=Instant(start), answered_at=Instant(start + 4) if person else None,
        connected_at=Instant(start + 5.5) if result is R.CONNECTED else None,
        ended_at=Instant(start + 30), result=result, person=person,
    )  # fmt: skip


async def campaign(api: Api, **change: Any) -> list[Contact]:
    """Renewals (cap 2.5 %) stored with three contacts."""
    await put(api, {**RENEWALS, **change})
    config = (await api.campaigns.get(CampaignId("renewals"))).config
    made = [contact(n, config) for n in range(3)]
    await api.campaigns.add_contacts(config.id, made)
    return made


async def record(api: Api, *dials: DialAttempt) -> None:
    for made in dials:
        await api.campaigns.record_attempt(made)


async def test_stats_count_attempts_and_show_the_abandon_window_the_pacer_holds(api: Api) -> None:
    (ann, bob, cy) = await campaign(api)
    now = api.now()
    await record(
        api,
        dial(1, ann, now - 900, R.CONNECTED),
        dial(2, bob, now - 600, R.ABANDONED, agent=None),
        dial(3, cy, now - 300, R.BUSY),
        dial(4, cy, now - 200, R.SKIPPED),
        dial(5, bob, now - 3 * 86_400, R.CONNECTED),  # days ago: outside the 24 h window
    )

    status, answer = await api.call("GET", STATS, api.supervisor)

    assert status == 200, answer
    stats = answer["stats"]
    assert (stats["campaign"], stats["since"], stats["until"]) == ("renewals", None, None)
    assert stats["by_result"] == {
        "connected": 2, "abandoned": 1, "busy": 1, "no_answer": 0, "failed": 0, "congestion": 0,
        "machine": 0, "skipped": 1,
    }  # fmt: skip
    assert (stats["attempts"], stats["dials"], stats["answered_by_person"]) == (5, 4, 3)
    assert (stats["connected"], stats["abandoned"]) == (2, 1)
    assert stats["abandon_rate"] == pytest.approx(1 / 3)
    assert (stats["average_ring_seconds"], stats["average_connect_seconds"]) == (4.0, 1.5)
    assert stats["progress"] == {
        "contacts": 3, "by_status": {"pending": 3, "dialling": 0, "done": 0, "closed": 0},
        "due_now": 3, "next_due": 0.0,  # never dialled: due since the epoch
    }  # fmt: skip
    window = stats["window"]
    assert (window["seconds"], window["answered_by_person"], window["abandoned"]) == (86_400, 2, 1)
    assert (window["abandon_rate"], window["cap"]) == (0.5, 0.025)
    assert (window["at_cap"], window["room"], window["dials_ahead"]) == (True, -0.95, False)
    assert window["until"] - window["since"] == 86_400


async def test_stats_over_a_range_and_a_window_with_room(api: Api) -> None:
    (ann, bob, _) = await campaign(api)
    now = api.now()
    await record(api, dial(1, ann, now - 900, R.CONNECTED), dial(2, bob, now - 600, R.BUSY))

    since = datetime.fromtimestamp(now - 700, UTC).isoformat()
    status, answer = await api.call("GET", STATS, api.admin, params={"since": since})

    assert status == 200, answer
    stats = answer["stats"]
    assert (stats["attempts"], stats["dials"], stats["answered_by_person"]) == (1, 1, 0)
    assert (stats["abandon_rate"], stats["average_connect_seconds"]) == (None, None)
    assert stats["since"] == pytest.approx(now - 700)
    window = stats["window"]  # whatever the range: the pacer's window now
    assert (window["answered_by_person"], window["abandoned"], window["at_cap"]) == (1, 0, False)
    assert (window["room"], window["dials_ahead"]) == (0.025, False)  # 1 + 0 > 2.5 % of 1


async def test_attempts_are_listed_newest_first_with_numbers_for_supervisors(api: Api) -> None:
    (ann, bob, cy) = await campaign(api)
    now = round(api.now())  # whole seconds: what comes back is what was written
    dials = [
        dial(1, ann, now - 900, R.CONNECTED),
        dial(2, bob, now - 600, R.ABANDONED, agent=None),
        dial(3, cy, now - 300, R.BUSY),
    ]
    await record(api, *dials)

    every = await api.call("GET", ATTEMPTS, api.supervisor)
    abandoned = await api.call("GET", f"{ATTEMPTS}?result=abandoned", api.admin)
    two = await api.call("GET", f"{ATTEMPTS}?limit=2&until={now - 200}", api.supervisor)
    ranged = await api.call("GET", f"{ATTEMPTS}?since={now - 700}", api.supervisor)

    assert every[0] == 200, every
    assert [a["id"] for a in every[1]["attempts"]] == ["dial-3", "dial-2", "dial-1"]
    first = every[1]["attempts"][2]
    assert first == {
        "id": "dial-1", "campaign": "renewals", "contact": ann.id, "number": ann.number,
        "agent": "1001", "mode": "progressive", "started_at": now - 900,
        "answered_at": now - 896, "connected_at": now - 894.5, "ended_at": now - 870,
        "result": "connected", "person": True, "ring_seconds": 4.0, "connect_seconds": 1.5,
    }  # fmt: skip
    assert [a["id"] for a in abandoned[1]["attempts"]] == ["dial-2"]
    assert abandoned[1]["attempts"][0]["agent"] is None
    assert [a["id"] for a in two[1]["attempts"]] == ["dial-3", "dial-2"]
    assert [a["id"] for a in ranged[1]["attempts"]] == ["dial-3", "dial-2"]


async def test_seats_are_judged_against_the_campaign_s_targets_with_staffing_advice(
    api: Api,
) -> None:
    (ann, bob, cy) = await campaign(api, seat=SEATS)
    await record(
        api,
        *(dial(n, ann, T0 + 60 * n, R.CONNECTED) for n in range(4)),  # 4 dials, 4 successes
        dial(10, bob, T0 + 600, R.CONNECTED, agent="1002"),  # 1 dial, 1 success
        dial(11, bob, T0 + 660, R.BUSY, agent="1002"),  # 2 dials
        dial(12, cy, T0 + 720, R.NO_ANSWER, agent=None),  # nobody's: in the volume
        dial(13, cy, T0 + 86_400, R.BUSY, agent="1002"),  # the next day
    )

    status, answer = await api.call(
        "GET", f"{SEATS_URL}?day={DAY}&campaign=renewals", api.supervisor
    )

    assert status == 200, answer
    assert (answer["day"], answer["timezone"], answer["campaign"]) == (DAY, "UTC", "renewals")
    assert (answer["since"], answer["until"]) == (T0 - 9 * 3600, T0 + 15 * 3600)
    assert answer["targets"] == SEATS
    (first, second) = answer["seats"]
    assert (first["agent"], first["dials"], first["successes"], first["in_range"]) == (
        "1001", 4, 4, False
    )  # fmt: skip
    assert [(f["rule"], f["bound"], f["limit"], f["advice"]) for f in first["findings"]] == [
        ("P16.seat_dials", "max", 3, "add_seats"),
        ("P16.seat_successes", "max", 1, "add_seats"),
    ]
    assert first["findings"][0]["text"] == "add seats"
    assert (second["agent"], second["dials"], second["in_range"], second["findings"]) == (
        "1002", 2, True, []
    )  # fmt: skip
    staffing = answer["staffing"]
    assert staffing["volume"] == {"dials": 7, "successes": 5}
    assert (staffing["seats"], staffing["seats_needed"], staffing["seats_supported"]) == (2, 5, 3)
    assert (staffing["advice"], staffing["seats_short"]) == (["add_seats"], 3)
    assert staffing["text"] == ["add seats"]


async def test_seats_without_a_campaign_use_p16_defaults_and_today(api: Api) -> None:
    (ann, _, _) = await campaign(api, seat=SEATS)
    await record(api, dial(1, ann, api.now() - 1, R.CONNECTED))

    status, answer = await api.call("GET", SEATS_URL, api.supervisor)

    assert status == 200, answer
    assert answer["day"] == datetime.fromtimestamp(api.now(), UTC).date().isoformat()
    assert answer["campaign"] is None
    assert answer["targets"] == {
        "min_dials": 70, "max_dials": 100, "min_successes": 60, "max_successes": 80
    }  # fmt: skip
    (seat,) = answer["seats"]
    assert [(f["measure"], f["advice"]) for f in seat["findings"]] == [
        ("dials", "add_dialling"), ("successes", "add_dialling")
    ]  # fmt: skip
    assert answer["staffing"]["advice"] == ["add_dialling"]
    assert (answer["staffing"]["dials_short"], answer["staffing"]["successes_short"]) == (69, 59)


@pytest.mark.parametrize(
    ("path", "query", "status", "field"),
    [
        (STATS, "since=yesterday", 400, "since"),
        (STATS, "until=2027-01-15T09:00:00", 400, "until"),  # no offset
        (STATS, "since=200&until=100", 422, "since"),  # each well formed: the pair
        (STATS, "since=100&until=100", 422, "since"),
        (STATS, "campaign=renewals", 400, "campaign"),
        (ATTEMPTS, "result=hung_up", 400, "result"),
        (ATTEMPTS, "limit=0", 400, "limit"),
        (ATTEMPTS, "limit=1001", 400, "limit"),
        (ATTEMPTS, "limit=ten", 400, "limit"),
        (ATTEMPTS, "since=soon", 400, "since"),
        (ATTEMPTS, "agent=1001", 400, "agent"),
        (SEATS_URL, "day=15/01/2027", 400, "day"),
        (SEATS_URL, "day=2027-02-30", 400, "day"),
        (SEATS_URL, "day=20270115", 400, "day"),
        (SEATS_URL, "since=1", 400, "since"),
        (SEATS_URL, "campaign=nowhere", 404, None),
    ],
)
async def test_a_bad_parameter_is_refused_naming_it(
    api: Api, path: str, query: str, status: int, field: str | None
) -> None:
    await campaign(api)

    found, answer = await api.call("GET", f"{path}?{query}", api.supervisor)

    assert (found, answer.get("field")) == (status, field), answer
    if field == "result":
        assert "connected, abandoned" in answer["error"]


async def test_only_supervisors_and_admins_read_figures_and_unknown_campaigns_are_404(
    api: Api,
) -> None:
    agent = await api.log_in("1001")
    paths = [STATS, ATTEMPTS, SEATS_URL]

    unknown = [await api.call("GET", path, api.supervisor) for path in paths[:2]]
    await campaign(api)

    assert all(status == 404 and "renewals" in body["error"] for status, body in unknown)
    for path in paths:
        assert (await api.call("GET", path, agent))[0] == 403, path
        assert (await api.call("GET", path))[0] == 401, path
        assert (await api.call("GET", path, api.admin))[0] == 200, path
