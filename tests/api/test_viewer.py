"""A viewer: a wall display's account that watches the wallboard and nothing else (P22).

Its token (or page session) reads the queues, the agents, the queues' figures, the notices
and the live feed, with every caller's number masked (the last four digits shown), and is
refused (403) every action, every call record, finding, callback, campaign and monitoring
session. Its feed is the wallboard's (hub rules 7a, 11): no message per event, no
monitoring session, the number in an alert's text masked too, while a supervisor's feed
beside it keeps the numbers whole."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse

from tests.api.harness import Api, bearer
from tests.api.test_events import EVENTS, next_message
from tests.api.test_monitoring import _monitor, _talking

NUMBER = "+15550007777"
MASKED = "********7777"


@pytest.fixture
async def viewer(api: Api) -> str:
    return await api.store.create_token("wall", "viewer")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/calls", None),
        ("GET", "/api/v1/calls/c1", None),
        ("GET", "/api/v1/findings", None),
        ("GET", "/api/v1/callbacks", None),
        ("GET", "/api/v1/campaigns", None),
        ("GET", "/api/v1/dnc", None),
        ("GET", "/api/v1/monitoring", None),
        ("GET", "/api/v1/monitoring/sessions", None),
        ("GET", "/api/v1/monitoring/quota", None),
        ("GET", "/api/v1/agents/1001", None),
        ("GET", "/api/v1/agents/1001/figures", None),
        ("GET", "/api/v1/reasons", None),
        ("GET", "/api/v1/admin/config", None),
        ("POST", "/api/v1/agents/1001/ready", {}),
        ("POST", "/api/v1/agents/1001/logout", {}),
        ("POST", "/api/v1/monitoring", {"agent": "1001", "mode": "listen", "device": "2001"}),
        ("PUT", "/api/v1/queues/support/notice", {"prompt": "all-circuits-busy-now"}),
    ],
)
async def test_a_viewer_is_refused_everything_but_the_board(
    api: Api, viewer: str, method: str, path: str, body: Any
) -> None:
    status, answer = await api.call(method, path, viewer, body)
    assert status == 403, (path, answer)


async def test_a_viewer_reads_the_board_with_numbers_masked(api: Api, viewer: str) -> None:
    token = await api.log_in("1001")
    api.caller_queued("c1", NUMBER, priority=5)
    await api.until_state("1001", "offered")
    api.answered("c1", "1001")
    await api.until_state("1001", "on_call")
    api.caller_queued("c2", "+15550008888")

    status, queues = await api.call("GET", "/api/v1/queues", viewer)
    assert status == 200, queues
    support = {q["queue"]: q for q in queues["queues"]}["support"]
    assert [c["caller"] for c in support["calls"]] == ["********8888"]
    status, agents = await api.call("GET", "/api/v1/agents", viewer)
    assert status == 200, agents
    assert {a["agent"]: a for a in agents["agents"]}["1001"]["call"]["caller"] == MASKED
    _, whole = await api.call("GET", "/api/v1/agents", api.supervisor)
    assert {a["agent"]: a for a in whole["agents"]}["1001"]["call"]["caller"] == NUMBER
    for path in ("/api/v1/queues/support/figures", "/api/v1/notices", "/api/v1/session"):
        status, answer = await api.call("GET", path, viewer)
        assert status == 200, (path, answer)
    assert answer["role"] == "viewer"
    assert token  # the agent's own view is untouched: its call's number whole
    status, own = await api.call("GET", "/api/v1/agents/1001", token)
    assert (status, own["agent"]["call"]["caller"]) == (200, NUMBER)


async def _until_views(
    ws: ClientWebSocketResponse, call: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every message up to the views in which `call` waits, and that queue's view."""
    seen: list[dict[str, Any]] = []
    while True:
        body = json.loads((await ws.receive(timeout=5)).data)
        seen.append(body)
        if body["type"] != "views":
            continue
        for queue in body["queues"]:
            if any(c["call_id"] == call for c in queue["calls"]):
                return seen, queue


async def test_a_viewers_feed_masks_every_number_and_has_no_monitoring(
    api: Api, viewer: str
) -> None:
    whole = api.client.ws_connect(EVENTS, headers=bearer(api.supervisor))
    masked = api.client.ws_connect(EVENTS, headers=bearer(viewer))  # no feed=: the board's
    async with whole as supervisor, masked as wall:
        snapshot = await next_message(wall, "snapshot")
        await next_message(supervisor, "snapshot")
        assert snapshot["monitoring"] == [] and snapshot["queues"] and snapshot["agents"]

        api.caller_queued("u1", NUMBER, priority=5)  # urgent: an alert naming the number

        alert = await next_message(supervisor, "alert")
        assert alert["text"].startswith(f"Urgent caller {NUMBER} (priority 5)"), alert
        _, queue = await _until_views(supervisor, "u1")
        assert queue["calls"][0]["caller"] == NUMBER
        seen, queue = await _until_views(wall, "u1")
        assert queue["calls"][0]["caller"] == MASKED
        kinds = [body["type"] for body in seen]
        assert "call_waiting" not in kinds and "agent_changed" not in kinds, kinds
        alerts = [body for body in seen if body["type"] == "alert"]
        shown = alerts[0] if alerts else await next_message(wall, "alert")
    assert shown["text"].startswith(f"Urgent caller {MASKED} (priority 5)"), shown
    assert NUMBER not in json.dumps([*seen, shown])


async def test_a_viewer_is_not_told_of_monitoring(api: Api, viewer: str) -> None:
    """Hub rule 11: a supervisor's listen is in the supervisors' snapshot and messages, and
    in neither of a viewer's (the viewer's next views come, the monitoring never before)."""
    await _talking(api)
    masked = api.client.ws_connect(EVENTS, headers=bearer(viewer))
    async with masked as wall:
        await next_message(wall, "snapshot")
        status, answer = await _monitor(api, "listen")
        assert status == 200, answer
        _, listed = await api.call("GET", "/api/v1/monitoring", api.supervisor)
        assert len(listed["monitoring"]) == 1
        async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as supervisor:
            assert len((await next_message(supervisor, "snapshot"))["monitoring"]) == 1
        async with api.client.ws_connect(EVENTS, headers=bearer(viewer)) as again:
            assert (await next_message(again, "snapshot"))["monitoring"] == []
        api.caller_queued("c9", "+15550009999")
        seen, _ = await _until_views(wall, "c9")
    assert "monitoring" not in [body["type"] for body in seen]
