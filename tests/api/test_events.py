"""The WebSocket live feed (C7, C8, P19): the agent's screen pop with the caller's history,
supervisors' events, slow clients dropped, and sockets closed when a login or the server ends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType

from cti.domain.effects import AgentChanged
from cti.domain.ids import AgentId, Instant
from cti.domain.records import AgentState
from cti.domain.state import Decision
from tests.api.harness import Api, bearer, past_call

EVENTS = "/api/v1/events"


async def next_message(ws: ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    """The next message of the given type, skipping others."""
    while True:
        message = await ws.receive(timeout=5)
        assert message.type is WSMsgType.TEXT, (message.type, message.data)
        body = json.loads(message.data)
        if body["type"] == kind:
            return dict(body)


async def closed_with(ws: ClientWebSocketResponse) -> int | None:
    """The code of the server's close frame (aiohttp's client may report 1006 when the
    server drops the connection right after its close frame; browsers report the frame's)."""
    while True:
        message = await ws.receive(timeout=5)
        if message.type is WSMsgType.CLOSE:
            return int(message.data)
        assert message.type is WSMsgType.TEXT, (message.type, message.data)


async def test_an_agent_gets_a_screen_pop_with_the_callers_last_calls(api: Api) -> None:
    earlier = api.now() - 7200
    await api.database.history().record(
        [past_call(f"old-{i}", "+15550001111", "1002", earlier + i * 600) for i in range(6)]
    )
    token = await api.log_in("1001")
    async with api.client.ws_connect(EVENTS, headers=bearer(token)) as ws:
        snapshot = await next_message(ws, "snapshot")
        assert snapshot["agent"]["state"] == "available"

        api.caller_queued("c1", "+15550001111")

        changed = await next_message(ws, "agent_changed")
        pop = await next_message(ws, "offer")
    assert (changed["agent"], changed["state"]) == ("1001", "offered")
    assert pop["call_id"] == "c1"
    assert pop["caller"] == "+15550001111"
    assert pop["queue"] == "support"
    assert 0 <= pop["waited_seconds"] < 5
    previous = pop["previous_calls"]
    assert [c["call"] for c in previous] == ["old-5", "old-4", "old-3", "old-2", "old-1"]
    assert previous[0]["agents"] == ["1002"]


async def test_an_agent_sees_only_its_own_agent_events(api: Api) -> None:
    token = await api.log_in("1001")
    async with api.client.ws_connect(EVENTS, headers=bearer(token)) as ws:
        await next_message(ws, "snapshot")

        await api.log_in("1002")
        await api.call("POST", "/api/v1/agents/1001/not-ready", token, body={"reason": "lunch"})

        changed = await next_message(ws, "agent_changed")
    assert (changed["agent"], changed["state"], changed["reason"]) == (
        "1001",
        "not_ready",
        "lunch",
    )


async def test_a_supervisor_gets_every_agent_change_and_waiting_call(api: Api) -> None:
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        snapshot = await next_message(ws, "snapshot")
        assert snapshot["at"] == pytest.approx(api.now(), abs=2)  # the server's clock
        assert [a["agent"] for a in snapshot["agents"]] == ["1001", "1002"]
        assert {q["queue"] for q in snapshot["queues"]} == {"sales", "support"}

        await api.log_in("1002")
        changed = await next_message(ws, "agent_changed")
        api.caller_queued("c9", "+15550009999", queue="sales")
        waiting = await next_message(ws, "call_waiting")
    assert (changed["agent"], changed["previous"], changed["state"]) == (
        "1002",
        "logged_out",
        "available",
    )
    assert waiting["call"]["caller"] == "+15550009999"  # supervisors see numbers (P22)


async def test_an_agents_socket_closes_when_its_login_ends(api: Api) -> None:
    token = await api.log_in("1001")
    async with api.client.ws_connect(EVENTS, headers=bearer(token)) as ws:
        await next_message(ws, "snapshot")

        await api.call("POST", "/api/v1/agents/1001/logout", api.supervisor)

        changed = await next_message(ws, "agent_changed")
        assert changed["state"] == "logged_out"
        assert await closed_with(ws) == 4001


async def test_a_client_too_slow_to_keep_up_is_dropped_and_counted(api: Api) -> None:
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        await next_message(ws, "snapshot")
        at = Instant(api.now())
        burst = tuple(
            AgentChanged(agent=AgentId("1001"), state=AgentState.AVAILABLE,
                         previous=AgentState.NOT_READY, reason=None, at=at)
            for _ in range(1000)
        )  # fmt: skip

        api.hub.publish(Decision(api.engine.state, burst))  # more than its queue holds

        assert await closed_with(ws) == 1013
    assert api.hub.dropped == 1


async def test_shutdown_closes_every_socket(api: Api) -> None:
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        await next_message(ws, "snapshot")

        await api.hub.close_all()

        assert await closed_with(ws) == 1001


async def test_the_event_socket_needs_a_valid_token(api: Api) -> None:
    status, answer = await api.call("GET", EVENTS)
    bad = await api.call("GET", EVENTS, "cti_nope")
    in_url = await api.call("GET", f"{EVENTS}?token=cti_nope")

    assert (status, bad[0]) == (401, 401)
    assert "bearer token" in answer["error"]
    assert in_url == (400, {"error": in_url[1]["error"], "field": "token"})  # never in a URL
    assert "never goes in the URL" in in_url[1]["error"]


async def test_a_supervisor_gets_the_changed_queues_and_agents_coalesced(api: Api) -> None:
    """Hub rule 7: 21 decisions within a moment come as one or two `views` messages with
    the full views of what changed, as the REST routes show them."""
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        await next_message(ws, "snapshot")

        await api.log_in("1002")
        for n in range(20):
            api.caller_queued(f"c{n}", f"+1555000{n:04d}", queue="sales")

        received = []
        while True:
            received.append(await next_message(ws, "views"))
            sales = {q["queue"]: q for q in received[-1]["queues"]}.get("sales")
            if sales is not None and sales["waiting"] == 20:
                break
    assert len(received) <= 3, [len(v["queues"]) for v in received]
    agents = {a["agent"]: a for v in received for a in v["agents"]}
    assert agents["1002"]["state"] == "available"
    assert "1001" not in agents  # unchanged agents are not sent again
    assert [c["caller"] for c in sales["calls"]][:2] == ["+15550000000", "+15550000001"]
    status, listed = await api.call("GET", "/api/v1/queues", api.supervisor)
    assert status == 200, listed
    assert {q["queue"]: q for q in listed["queues"]}["sales"]["waiting"] == 20
    assert api.hub.views_sent == len(received)


async def test_the_first_change_after_a_quiet_spell_is_sent_at_once(api: Api) -> None:
    """Hub rule 7: only later changes wait for the window; the first goes on the loop's
    next turn. With a window of a minute, the views still come within the receive's 5 s."""
    async with api.client.ws_connect(EVENTS, headers=bearer(api.supervisor)) as ws:
        await next_message(ws, "snapshot")
        while not all(q["today"] for q in (await next_message(ws, "views"))["queues"]):
            pass  # the board's first figures, sent as the feed opened (hub rule 8)
        api.hub._coalesce = 60.0  # a window no test could wait out,
        api.hub._flushed_at = float("-inf")  # which the last views closed long ago
        await api.log_in("1002")
        views = await next_message(ws, "views")
    assert [a["agent"] for a in views["agents"]] == ["1002"]
    assert views["agents"][0]["state"] == "available"


async def test_the_wallboards_feed_has_the_views_without_a_message_per_event(api: Api) -> None:
    """Hub rule 7a, events rule 3: `feed=board` gets the snapshot and the views, not the
    agent_changed of the full feed (which the hub queues before the views it causes)."""
    full = api.client.ws_connect(EVENTS, headers=bearer(api.supervisor))
    board = api.client.ws_connect(f"{EVENTS}?feed=board", headers=bearer(api.supervisor))
    async with full as everything, board as wallboard:
        await next_message(everything, "snapshot")
        await next_message(wallboard, "snapshot")
        await api.log_in("1002")
        changed = await next_message(everything, "agent_changed")
        kinds = []
        while True:
            message = json.loads((await wallboard.receive(timeout=5)).data)
            kinds.append(message["type"])
            if message["type"] == "views" and any(a["agent"] == "1002" for a in message["agents"]):
                break
    assert (changed["agent"], changed["state"]) == ("1002", "available")
    assert "agent_changed" not in kinds, kinds
    status, refused = await api.call("GET", f"{EVENTS}?feed=all", api.supervisor)
    assert (status, refused["field"]) == (400, "feed"), refused
