"""The wallboard's board over the live feed (issue 14; cti/api/board.py): each queue's
figures for the centre's today and its thresholds' levels in the snapshot and the views,
the figures read again when a call ends and at the day's turn, and `alert` messages as
they happen (P10 urgent callers, C3 misses, P5 overruns, levels that rise, the AMI link)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType

from cti.domain.ids import CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import CallerQueued, Tick
from cti.domain.queue import WaitingCall
from cti.domain.today import day_of
from tests.api.harness import Api, bearer, running_api
from tests.waiting import eventually

EVENTS = "/api/v1/events"
Json = dict[str, Any]


async def until(
    ws: ClientWebSocketResponse,
    match: Callable[[Json], bool],
    within: float = 8,
    seen: list[str] | None = None,
) -> Json:
    """The first message that matches, skipping the others (their types kept in `seen`)."""
    while True:
        message = await ws.receive(timeout=within)
        assert message.type is WSMsgType.TEXT, (message.type, message.data)
        body: Json = json.loads(message.data)
        if seen is not None:
            seen.append(body["type"])
        if match(body):
            return body


def queue_in(body: Json, queue: str) -> Json | None:
    if body["type"] not in ("snapshot", "views"):
        return None
    return next((q for q in body["queues"] if q["queue"] == queue), None)


def with_queue(queue: str, check: Callable[[Json], bool]) -> Callable[[Json], bool]:
    def match(body: Json) -> bool:
        found = queue_in(body, queue)
        return found is not None and check(found)

    return match


def is_alert(kind: str) -> Callable[[Json], bool]:
    return lambda body: body["type"] == "alert" and body["kind"] == kind


def urgent(api: Api, channel: str, priority: int, queue: str = "support") -> None:
    """An inbound caller with a priority (the trunk's X-CTI-Priority, P10)."""
    entry = WaitingCall(
        call=CallId(channel), channel=ChannelId(channel), queue=QueueId(queue),
        priority=priority, caller="+15550007777", entered_at=api.now(),
    )  # fmt: skip
    api.engine.submit(CallerQueued(at=api.now(), entry=entry))


async def ticked(api: Api, more: int = 1) -> None:
    """Wait until the board has judged `more` more ticks."""
    mark = api.board.ticks
    await eventually(lambda: api.board.ticks >= mark + more, what=f"{more} board ticks")


async def test_the_snapshot_carries_todays_figures_and_levels(api: Api) -> None:
    await eventually(lambda: api.board.reads >= 2, what="both queues read")

    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        snapshot = await until(ws, lambda body: body["type"] == "snapshot")

    day = day_of(Instant(snapshot["at"]), ZoneInfo("UTC"))
    assert snapshot["today"] == {"date": day.date.isoformat(), "since": day.start,
                                 "until": day.end, "timezone": "UTC"}  # fmt: skip
    assert (snapshot["ami_up"], snapshot["alerts"]) == (True, [])
    support = queue_in(snapshot, "support")
    assert support is not None
    today = support["today"]
    assert (today["since"], today["until"], today["service_level_seconds"]) == (
        day.start, day.end, 20.0,
    )  # fmt: skip
    assert (today["offered"], today["answered"], today["service_level"]) == (0, 0, None)
    levels = support["levels"]
    assert levels["ready_agents"] == {"value": 0, "level": "alert", "warn": 2, "alert": 1}
    assert levels["longest_wait"] == {"value": 0.0, "level": "ok", "warn": 60.0, "alert": 120.0}
    assert levels["service_level"] == {"value": None, "level": "ok", "warn": 0.9, "alert": 0.7}
    assert levels["not_ready"] == {"level": "ok", "agents": {}}


async def test_an_answered_call_is_in_todays_figures_within_a_couple_of_seconds(api: Api) -> None:
    await api.log_in("1001")
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        await until(ws, lambda body: body["type"] == "snapshot")
        reads = api.board.reads

        api.caller_queued("c1", "+15550001111")
        await api.until_state("1001", "offered")
        api.answered("c1", "1001")

        views = await until(ws, with_queue("support", lambda q: bool(q["today"]["answered"])))
    today = queue_in(views, "support")
    assert today is not None
    assert (today["today"]["offered"], today["today"]["answered"]) == (1, 1)
    assert today["today"]["service_level"] == 1.0  # answered at once, within T
    assert api.board.reads > reads


async def test_an_urgent_caller_is_an_alert_at_once_and_in_the_next_snapshot(api: Api) -> None:
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        await until(ws, lambda body: body["type"] == "snapshot")

        urgent(api, "u1", priority=7)

        alert = await until(ws, is_alert("urgent_caller"))
    assert alert == {
        "type": "alert", "kind": "urgent_caller", "level": "alert", "at": alert["at"],
        "text": "Urgent caller +15550007777 (priority 7) waiting in support",
        "queue": "support", "agent": None, "call": "u1",
    }  # fmt: skip
    assert alert["at"] == pytest.approx(api.now(), abs=2)
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as again:
        snapshot = await until(again, lambda body: body["type"] == "snapshot")
    assert [a["call"] for a in snapshot["alerts"]] == ["u1"]


async def test_alerts_go_to_supervisors_only(api: Api) -> None:
    token = await api.log_in("1001")
    async with api.client.ws_connect(EVENTS, headers=bearer(token)) as agent_ws, \
            api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:  # fmt: skip
        await until(agent_ws, lambda body: body["type"] == "snapshot")
        await until(ws, lambda body: body["type"] == "snapshot")

        urgent(api, "u2", priority=1, queue="sales")
        await until(ws, is_alert("urgent_caller"))
        status, _ = await api.call("POST", "/api/v1/agents/1001/not-ready", token,
                                   body={"reason": "lunch"})  # fmt: skip
        assert status == 200
        seen: list[str] = []
        await until(agent_ws, lambda body: body["type"] == "agent_changed", seen=seen)

    assert "alert" not in seen


async def test_a_longest_wait_alerts_once_per_rise_and_the_tile_shows_the_level(
    api: Api,
) -> None:
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        await until(ws, lambda body: body["type"] == "snapshot")
        api.caller_queued("c3", "+15550003333")  # nobody is logged in: it waits
        await api.eventually_waiting("support", 1)

        api.clock.advance(61)
        warned = await until(ws, is_alert("longest_wait"))
        view = await until(
            ws, with_queue("support", lambda q: q["levels"]["longest_wait"]["level"] == "warn")
        )
        await ticked(api, 3)  # the wait stays in warn: not told again
        api.clock.advance(60)
        alerted = await until(ws, is_alert("longest_wait"))

    assert (warned["level"], warned["queue"]) == ("warn", "support")
    assert warned["text"].startswith("support: a caller has waited 1:0")
    assert view["type"] == "views"
    assert alerted["level"] == "alert"
    kinds = [(a.kind.value, a.level.value) for a in api.board.alerts]
    assert kinds == [("longest_wait", "warn"), ("longest_wait", "alert")]


async def test_a_ring_limit_miss_and_a_not_ready_overrun_are_alerts(api: Api) -> None:
    await api.log_in("1001")
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        await until(ws, lambda body: body["type"] == "snapshot")
        status, answer = await api.call(
            "POST", "/api/v1/agents/1001/not-ready", api.tokens["1001"], body={"reason": "lunch"}
        )
        assert status == 200, answer

        api.clock.advance(900)  # lunch's limit (the harness's seed: 900 s)
        api.engine.submit(Tick(at=api.now()))  # the engine sleeps on the real clock
        overrun = await until(ws, is_alert("not_ready_overrun"))

    assert (overrun["agent"], overrun["level"]) == ("1001", "alert")
    assert overrun["text"].startswith("Agent 1001 not ready (lunch) for 15:0")


@pytest.fixture
def link() -> dict[str, Any]:
    return {"up": True, "reconnects": 0}


@pytest.fixture
async def linked(tmp_path: Path, link: dict[str, Any]) -> AsyncIterator[Api]:
    async with running_api(
        tmp_path, ami_up=lambda: bool(link["up"]), ami_reconnects=lambda: int(link["reconnects"])
    ) as running:
        yield running


async def test_the_ami_link_going_down_and_coming_back_are_alerts(
    linked: Api, link: dict[str, Any]
) -> None:
    api = linked
    await ticked(api)  # the baseline
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        await until(ws, lambda body: body["type"] == "snapshot")

        link["up"] = False
        down = await until(ws, is_alert("link_down"))
        async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as again:
            snapshot = await until(again, lambda body: body["type"] == "snapshot")
        link.update(up=True, reconnects=1)
        back = await until(ws, is_alert("link_up"))

    assert (down["level"], back["level"]) == ("alert", "ok")
    assert snapshot["ami_up"] is False
    assert [a["kind"] for a in snapshot["alerts"]] == ["link_down"]


@pytest.fixture
async def shanghai(tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(tmp_path, zone=ZoneInfo("Asia/Shanghai")) as running:
        yield running


async def test_today_is_the_centres_day_and_turns_at_its_midnight(shanghai: Api) -> None:
    api, zone = shanghai, ZoneInfo("Asia/Shanghai")
    await api.log_in("1001")
    api.caller_queued("c4", "+15550004444")
    await api.until_state("1001", "offered")
    api.answered("c4", "1001")
    day = day_of(api.now(), zone)
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        answered = await until(ws, with_queue("support", lambda q: bool(q["today"]["answered"])))

        api.clock.advance(day.end - api.now() + 1)  # one second into the next day there
        turned = await until(ws, with_queue("support", lambda q: q["today"]["since"] == day.end))
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        snapshot = await until(ws, lambda body: body["type"] == "snapshot")

    before, after = queue_in(answered, "support"), queue_in(turned, "support")
    assert before is not None and after is not None
    assert datetime.fromtimestamp(before["today"]["since"], zone).strftime("%H:%M") == "00:00"
    assert (before["today"]["offered"], before["today"]["answered"]) == (1, 1)
    assert (after["today"]["offered"], after["today"]["answered"]) == (0, 0)
    assert after["today"]["until"] - after["today"]["since"] == 86_400  # no DST in Shanghai
    assert (snapshot["today"]["timezone"], snapshot["today"]["since"]) == (
        "Asia/Shanghai", day.end,
    )  # fmt: skip


async def test_thresholds_are_queue_settings_the_admin_api_takes_checks_and_documents(
    api: Api,
) -> None:
    """Issue 14, item 3: a queue's thresholds are stored with it, judged by at once, held
    in order (alert never before warn), and stated with their bounds in the document."""
    body = {"name": "Sales", "ring_limit": 3, "ring_cadence": 6.0, "ready_agents_warn": 0,
            "ready_agents_alert": 0, "longest_wait_warn": 30, "longest_wait_alert": 45}  # fmt: skip
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        await until(ws, lambda body: body["type"] == "snapshot")

        status, answer = await api.call("PUT", "/api/v1/admin/queues/sales", api.admin, body)

        assert status == 200, answer
        view = await until(
            ws, with_queue("sales", lambda q: q["levels"]["longest_wait"]["warn"] == 30)
        )
    sales = queue_in(view, "sales")
    assert sales is not None
    assert sales["levels"]["ready_agents"]["level"] == "ok"  # 0: never (thresholds rule 3)
    assert answer["queue"]["longest_wait_alert"] == 45
    assert (await api.store.load()).queues[QueueId("sales")].longest_wait_warn == 30

    wrong = {**body, "longest_wait_alert": 20}
    status, refused = await api.call("PUT", "/api/v1/admin/queues/sales", api.admin, wrong)

    assert status == 422, refused
    assert refused == {
        "error": "queue sales: longest_wait_alert must be at least longest_wait_warn",
        "field": "longest_wait_alert",
    }
    _, document = await api.call("GET", "/api/v1/openapi.json", api.admin)
    settings = document["components"]["schemas"]["QueueSettings"]["properties"]
    warn = settings["service_level_warn_pct"]
    assert (warn["minimum"], warn["maximum"], warn["default"]) == (0, 100, 90.0)
    assert settings["ready_agents_alert"]["default"] == 1
