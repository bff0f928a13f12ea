"""Breaks with approval through the API (issue 16, P5): an agent asks, a supervisor
approves or refuses, the wallboard's feed says so, refusals in words."""

from __future__ import annotations

from typing import Any

from tests.api.harness import Api
from tests.waiting import eventually

ASK = {"reason": "lunch", "seconds": 1800}  # the harness's lunch allows 900 s


async def test_an_agent_asks_a_supervisor_approves_and_the_feed_tells_both(api: Api) -> None:
    agent = await api.log_in("1001")
    async with api.client.ws_connect(
        "/api/v1/events", headers={"Authorization": f"Bearer {api.supervisor}"}
    ) as board:
        snapshot = await board.receive_json()
        assert snapshot["type"] == "snapshot" and snapshot["breaks"] == []
        status, asked = await api.call("POST", "/api/v1/agents/1001/break-request", agent, ASK)
        assert status == 201, asked
        assert (asked["request"]["phase"], asked["request"]["asked_by"]) == (
            "pending",
            "agent:1001",
        )

        async def told(phase: str) -> dict[str, Any] | None:
            while True:
                message = await board.receive_json(timeout=5)
                if message["type"] == "break" and message["request"]["phase"] == phase:
                    return dict(message)

        assert (await told("pending"))["request"]["seconds"] == 1800
        status, listed = await api.call("GET", "/api/v1/breaks", api.supervisor)
        assert [b["agent"] for b in listed["breaks"]] == ["1001"]
        url = "/api/v1/agents/1001/break-request/approve"
        assert (await api.call("POST", url, agent))[0] == 403  # agents do not approve
        status, approved = await api.call("POST", url, api.supervisor)
        assert (status, approved["request"]["phase"]) == (200, "approved"), approved
        assert (await told("approved"))["by"] == "supervisor:sue"
    status, answer = await api.call("POST", url, api.supervisor)
    assert status == 409 and "already approved by supervisor:sue" in answer["error"]
    status, answer = await api.call("POST", "/api/v1/agents/1001/break-request", agent, ASK)
    assert status == 409, answer  # an approval stands


async def test_a_refusal_and_requests_the_rules_refuse(api: Api) -> None:
    agent = await api.log_in("1001")
    url = "/api/v1/agents/1001/break-request"
    status, answer = await api.call("POST", url, agent, {"reason": "lunch", "seconds": 600})
    assert status == 422 and "more than its own limit (900 s)" in answer["error"], answer
    status, answer = await api.call("POST", "/api/v1/agents/1002/break-request", agent, ASK)
    assert status == 403, answer  # for itself only
    status, answer = await api.call("POST", f"{url}/refuse", api.supervisor)
    assert status == 409 and "no break request pending" in answer["error"]
    assert (await api.call("POST", url, agent, ASK))[0] == 201
    status, refused = await api.call("POST", f"{url}/refuse", api.supervisor)
    assert (status, refused["request"]["phase"]) == (200, "refused"), refused
    assert api.engine.state.breaks == {}

    async def none_listed() -> bool:
        return (await api.call("GET", "/api/v1/breaks", api.supervisor))[1]["breaks"] == []

    await eventually(none_listed, what="no request standing")
