"""Campaign admin through the API (C5, issue 4): configs stored as drafts, contacts loaded
from CSV with each bad row reported, status moves refused as the store refuses them, and
the do-not-call list. Nothing is dialled yet."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from cti.api.campaigns import MAX_CSV_BYTES
from cti.domain.ids import Instant
from cti.domain.outbound.campaign import CampaignId, CampaignStatus
from cti.domain.outbound.contact import ContactStatus
from tests.api.harness import Api, bearer

RENEWALS = {
    "name": "Renewals",
    "queue": "support",
    "caller_id": "+442079460000",
    "shown_fields": ["name"],
    "window": {"start": "09:00", "end": "20:30"},
    "timezone": "Europe/London",
    "retries": {"busy": {"delay": 600, "max_attempts": 4}, "no_answer": None},
    "ring_timeout": 30,
    "pacing": {"mode": "predictive", "abandon_cap_pct": 2.5, "hold": 2},
    "seat": {"min_dials": 50, "max_dials": 90},
}
CSV_WITH_BAD_ROWS = (
    "number,timezone,name\n"
    "+44 1632 960001,,Ann\n"  # line 2: good, the campaign's time zone
    "not a number,,Bob\n"  # line 3
    "+441632960002,Mars/Olympus,Cy\n"  # line 4
    "+441632960003,Europe/Paris\n"  # line 5: a value short
    "\n"  # line 6: blank, skipped
    "+441632960001,,Ann again\n"  # line 7: repeats line 2
    "+1 (212) 555-0100,America/New_York,Dee\n"  # line 8: good
)
URL = "/api/v1/campaigns/renewals"


async def put(api: Api, body: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
    return await api.call("PUT", URL, token or api.admin, body=body)


async def upload(
    api: Api, text: object, content_type: str = "text/csv", campaign: str = "renewals"
) -> tuple[int, Any]:
    headers = {**bearer(api.admin), "Content-Type": content_type}
    path = f"/api/v1/campaigns/{campaign}/contacts"
    async with api.client.post(path, data=text, headers=headers) as response:
        return response.status, await response.json()


async def test_a_campaign_put_is_a_draft_read_back_whole_and_replaced(api: Api) -> None:
    status, created = await put(api, RENEWALS)

    assert status == 200, created
    assert created["created"] is True
    campaign = created["campaign"]
    assert (campaign["status"], campaign["mode"], campaign["queue"]) == (
        "draft", "predictive", "support"
    )  # fmt: skip
    assert campaign["progress"] == {
        "contacts": 0, "by_status": {"pending": 0, "dialling": 0, "done": 0, "closed": 0},
        "due_now": 0, "next_due": None,
    }  # fmt: skip
    config = campaign["config"]
    assert config["window"] == {"start": "09:00", "end": "20:30"}
    assert config["retries"] == {"busy": {"delay": 600.0, "max_attempts": 4}}
    assert (config["pacing"]["abandon_cap_pct"], config["seat"]["max_dials"]) == (2.5, 90)
    replaced = await put(api, {**config, "name": "Renewals 2026", "retries": None})
    assert (replaced[0], replaced[1]["created"]) == (200, False)
    read = await api.call("GET", URL, api.supervisor)
    assert read[1]["campaign"]["config"]["name"] == "Renewals 2026"
    assert "no_answer" in read[1]["campaign"]["config"]["retries"]  # defaults again
    listing = await api.call("GET", "/api/v1/campaigns", api.supervisor)
    assert [(c["id"], c["status"]) for c in listing[1]["campaigns"]] == [("renewals", "draft")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ring_timeout": 5}, "ring_timeout"),
        ({"abandon_quiet": 0}, "abandon_quiet"),
        ({"window": {"start": "25:00"}}, "window.start"),
        ({"window": {"start": "9am"}}, "window.start"),
        ({"window": {"start": "21:00", "end": "08:00"}}, "window"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"retries": {"connected": {"delay": 1, "max_attempts": 2}}}, "retries.connected"),
        ({"retries": {"busy": {"delay": -1, "max_attempts": 2}}}, "retries.busy.delay"),
        ({"pacing": {"abandon_cap_pct": 150}}, "pacing.abandon_cap_pct"),
        ({"seat": {"min_dials": 120}}, "seat"),
        ({"queue": "nowhere"}, "queue"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
async def test_a_value_the_campaign_refuses_is_422_naming_it(
    api: Api, change: dict[str, Any], field: str
) -> None:
    status, answer = await put(api, {**RENEWALS, **change})

    assert (status, answer.get("field")) == (422, field), answer
    assert field.split(".")[-1] in answer["error"]
    assert await api.campaigns.list_campaigns() == []


async def test_an_unknown_queue_is_named_and_nested_mistakes_are_400(api: Api) -> None:
    unknown = await put(api, {**RENEWALS, "queue": "nowhere"})
    misspelt = await put(api, {**RENEWALS, "pacing": {"mode": "predictive", "speed": 3}})
    mistyped = await put(api, {**RENEWALS, "seat": {"max_dials": "many"}})

    assert unknown[1]["error"] == "field 'queue': unknown queue 'nowhere'"
    assert (misspelt[0], misspelt[1]["field"]) == (400, "pacing.speed")
    assert (mistyped[0], mistyped[1]["field"]) == (400, "seat.max_dials")


async def test_an_upload_keeps_good_rows_lists_bad_ones_and_never_imports_twice(
    api: Api,
) -> None:
    await put(api, RENEWALS)

    status, first = await upload(api, CSV_WITH_BAD_ROWS)
    again = await upload(api, CSV_WITH_BAD_ROWS)

    assert status == 200, first
    assert (first["imported"], first["already"]) == (2, 0)
    assert [e.split(":")[0] for e in first["errors"]] == ["line 3", "line 4", "line 5", "line 7"]
    assert "Mars/Olympus" in first["errors"][1] and "repeats line 2" in first["errors"][3]
    assert (again[1]["imported"], again[1]["already"]) == (0, 3)  # line 7's number too
    assert again[1]["errors"] == first["errors"][:-1]
    numbers = await api.campaigns.numbers(CampaignId("renewals"))
    assert numbers == {"+441632960001", "+12125550100"}
    read = await api.call("GET", URL, api.admin)
    assert read[1]["campaign"]["progress"]["by_status"]["pending"] == 2


async def test_uploads_refused_whole(api: Api) -> None:
    await put(api, RENEWALS)

    no_header = await upload(api, "phone,name\n+441632960001,Ann\n")
    not_csv = await upload(api, '{"number": "+441632960001"}', "application/json")
    not_utf8 = await upload(api, "number,name\n+441632960001,Ren\xe9e\n".encode("latin-1"))
    unknown = await upload(api, "number\n+441632960001\n", campaign="nowhere")

    assert no_header[0] == 422 and no_header[1]["error"].startswith("line 1: no 'number' column")
    assert not_csv[0] == 415
    assert not_utf8[0] == 422
    assert unknown[0] == 404
    assert await api.campaigns.numbers(CampaignId("renewals")) == set()


@pytest.mark.parametrize("sized", [True, False], ids=["content-length", "chunked"])
async def test_an_upload_over_the_limit_is_413(api: Api, sized: bool) -> None:
    await put(api, RENEWALS)
    row = b"+441632960001,Europe/London\n"
    rows = MAX_CSV_BYTES // len(row) + 1

    async def chunks() -> AsyncIterator[bytes]:
        yield b"number,timezone\n"
        for _ in range(0, rows, 1000):
            yield row * 1000

    body = io.BytesIO(b"number,timezone\n" + row * rows) if sized else chunks()
    status, answer = await upload(api, body)

    assert status == 413, answer
    assert await api.campaigns.numbers(CampaignId("renewals")) == set()


async def test_start_needs_contacts_and_a_finished_campaign_never_restarts(api: Api) -> None:
    await put(api, RENEWALS)

    empty = await api.call("POST", f"{URL}/start", api.admin)
    await upload(api, "number\n+441632960001\n")
    started = await api.call("POST", f"{URL}/start", api.admin)
    paused = await api.call("POST", f"{URL}/pause", api.admin)
    resumed = await api.call("POST", f"{URL}/start", api.admin)
    stopped = await api.call("POST", f"{URL}/stop", api.admin)
    restarted = await api.call("POST", f"{URL}/start", api.admin)
    changed = await put(api, RENEWALS)
    loaded = await upload(api, "number\n+441632960002\n")

    assert empty[0] == 409 and "no contacts" in empty[1]["error"]
    statuses = [a[1]["campaign"]["status"] for a in (started, paused, resumed, stopped)]
    assert statuses == ["running", "paused", "running", "finished"]
    assert restarted[0] == 409 and "finished" in restarted[1]["error"]
    assert changed[0] == 409 and loaded[0] == 409
    assert (await api.campaigns.get(CampaignId("renewals"))).status is CampaignStatus.FINISHED


async def test_start_and_pause_reach_the_engine_at_once(api: Api) -> None:
    await put(api, RENEWALS)
    await upload(api, "number\n+441632960001\n")

    await api.call("POST", f"{URL}/start", api.admin)
    running = api.engine.state.campaigns[CampaignId("renewals")].running
    await api.call("POST", f"{URL}/pause", api.admin)

    assert running
    assert CampaignId("renewals") not in api.engine.state.campaigns  # halted, nothing in flight


async def test_a_running_campaign_whose_contacts_are_all_put_off_says_when_the_next_is_due(
    api: Api,
) -> None:
    await put(api, RENEWALS)
    await upload(api, "number\n+441632960001\n+441632960002\n")
    await api.call("POST", f"{URL}/start", api.admin)
    fresh = await api.call("GET", URL, api.supervisor)
    now = api.now()
    quiet, retry = await api.campaigns.due_contacts(CampaignId("renewals"), now, limit=10)
    for made, later in ((quiet, 72 * 3600), (retry, 2 * 3600)):  # an abandon's quiet, a retry
        moved = replace(made, next_at=Instant(now + later))
        assert await api.campaigns.update_contact(moved, expected=ContactStatus.PENDING)

    read = await api.call("GET", URL, api.supervisor)
    listing = await api.call("GET", "/api/v1/campaigns", api.supervisor)

    assert fresh[1]["campaign"]["progress"] | {"by_status": None} == {
        "contacts": 2, "by_status": None, "due_now": 2, "next_due": 0.0  # never dialled
    }  # fmt: skip
    campaign = read[1]["campaign"]
    assert campaign["status"] == "running"
    assert campaign["progress"]["by_status"]["pending"] == 2
    assert campaign["progress"]["due_now"] == 0
    assert campaign["progress"]["next_due"] == pytest.approx(now + 2 * 3600, abs=1e-3)
    assert listing[1]["campaigns"][0]["progress"] == campaign["progress"]
    assert api.engine.state.campaigns[CampaignId("renewals")].running


async def test_do_not_call_changes_reach_the_engine_at_once(api: Api) -> None:
    await api.call("POST", "/api/v1/dnc", api.admin, body={"numbers": ["+441632960001"]})
    held = dict(api.engine.state.do_not_call)
    await api.call("DELETE", "/api/v1/dnc/+441632960001", api.admin)

    assert held == {"+441632960001": True}
    assert dict(api.engine.state.do_not_call) == {}


async def test_start_is_refused_while_no_agent_serves_the_queue(api: Api) -> None:
    await put(api, {**RENEWALS, "queue": "sales"})  # configured, but nobody is a member
    await upload(api, "number\n+441632960001\n")

    refused = await api.call("POST", f"{URL}/start", api.admin)

    expected = "campaign renewals: no agent serves its queue sales"
    assert refused == (422, {"error": expected})
    assert (await api.campaigns.get(CampaignId("renewals"))).status is CampaignStatus.DRAFT


async def test_agents_may_not_see_campaigns_and_supervisors_only_read(api: Api) -> None:
    agent = await api.log_in("1001")
    await put(api, RENEWALS)

    for method, path in [("GET", "/api/v1/campaigns"), ("GET", URL), ("GET", "/api/v1/dnc")]:
        assert (await api.call(method, path, agent))[0] == 403, path
        assert (await api.call(method, path, api.supervisor))[0] == 200, path
    for method, path, body in [
        ("PUT", URL, RENEWALS),
        ("POST", f"{URL}/start", None),
        ("POST", "/api/v1/dnc", {"numbers": ["+441632960001"]}),
        ("DELETE", "/api/v1/dnc/+441632960001", None),
    ]:
        assert (await api.call(method, path, api.supervisor, body=body))[0] == 403, path
        assert (await api.call(method, path, agent, body=body))[0] == 403, path
    assert (await api.call("GET", URL))[0] == 401


async def test_unknown_campaigns_are_404(api: Api) -> None:
    for method, path in [("GET", URL), ("POST", f"{URL}/start"), ("POST", f"{URL}/stop")]:
        status, answer = await api.call(method, path, api.admin)
        assert status == 404 and "renewals" in answer["error"], (path, answer)


async def test_do_not_call_numbers_are_added_listed_and_removed(api: Api) -> None:
    body = {"numbers": ["+44 1632 960001", "+12125550100"], "note": "asked"}

    added = await api.call("POST", "/api/v1/dnc", api.admin, body=body)
    twice = await api.call("POST", "/api/v1/dnc", api.admin, body={"numbers": ["+441632960001"]})
    listed = await api.call("GET", "/api/v1/dnc", api.supervisor)
    removed = await api.call("DELETE", "/api/v1/dnc/+44%201632%20960001", api.admin)
    gone = await api.call("DELETE", "/api/v1/dnc/+441632960001", api.admin)

    assert added[1] == {"added": 2, "numbers": ["+441632960001", "+12125550100"]}
    assert twice[1]["added"] == 0
    assert listed[1] == {"numbers": ["+12125550100", "+441632960001"]}
    assert (removed[0], removed[1]) == (200, {"deleted": {"number": "+441632960001"}})
    assert gone[0] == 404
    assert await api.campaigns.dnc_numbers() == frozenset({"+12125550100"})


async def test_a_bad_do_not_call_number_is_422_naming_it_and_adds_nothing(api: Api) -> None:
    body = {"numbers": ["+441632960001", "call me maybe"]}

    status, answer = await api.call("POST", "/api/v1/dnc", api.admin, body=body)
    bad_delete = await api.call("DELETE", "/api/v1/dnc/nobody", api.admin)

    assert (status, answer["field"]) == (422, "numbers")
    assert "call me maybe" in answer["error"]
    assert await api.campaigns.dnc_numbers() == frozenset()
    assert (bad_delete[0], bad_delete[1]["field"]) == (422, "number")
