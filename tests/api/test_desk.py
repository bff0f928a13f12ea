"""The agent's desk and supervisors forcing state (C4, C7, C8, P5, P8): roles, the
engine's refusals mapped to statuses, and a refused command changing nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cti.domain.effects import BridgeCall, HangUpChannel, SendCall, StartConsult, TargetKind
from tests.api.harness import Api, running_api
from tests.waiting import eventually


async def test_an_agent_may_not_act_on_another_agent(api: Api) -> None:
    await api.log_in("1001")
    token = await api.log_in("1002")

    status, answer = await api.call("POST", "/api/v1/agents/1001/not-ready", token,
                                    body={"reason": "lunch"})  # fmt: skip

    assert status == 403, answer
    assert await api.agent_state("1001") == "available"


async def test_a_supervisor_forces_an_agent_not_ready(api: Api) -> None:
    await api.log_in("1001")

    status, answer = await api.call(
        "POST", "/api/v1/agents/1001/not-ready", api.supervisor, body={"reason": "lunch"}
    )

    assert status == 200, answer
    assert answer["agent"]["state"] == "not_ready"
    assert answer["agent"]["reason"] == "lunch"
    assert answer["agent"]["status"]["by"] == "supervisor:sue"


async def test_a_supervisor_forces_a_logout(api: Api) -> None:
    token = await api.log_in("1001")

    status, answer = await api.call("POST", "/api/v1/agents/1001/logout", api.supervisor)

    assert (status, answer["agent"]["state"]) == (200, "logged_out")
    assert (await api.call("GET", "/api/v1/agents/1001", token))[0] == 401


async def test_a_reason_that_is_not_configured_is_refused_and_changes_nothing(api: Api) -> None:
    token = await api.log_in("1001")
    before = api.engine.state.agents["1001"]

    status, answer = await api.call("POST", "/api/v1/agents/1001/not-ready", token,
                                    body={"reason": "coffee"})  # fmt: skip

    assert status == 422, answer
    assert "coffee" in answer["error"]
    assert api.engine.state.agents["1001"] == before


async def test_ending_wrap_up_when_not_in_wrap_up_is_a_conflict(api: Api) -> None:
    token = await api.log_in("1001")

    status, answer = await api.call("POST", "/api/v1/agents/1001/wrap-up/end", token)

    assert status == 409, answer
    assert "wrap-up" in answer["error"]


async def test_commands_for_an_agent_who_is_not_logged_in_conflict(api: Api) -> None:
    assert (await api.call("POST", "/api/v1/agents/1002/ready", api.supervisor))[0] == 409


async def test_an_unknown_agent_is_404(api: Api) -> None:
    assert (await api.call("POST", "/api/v1/agents/4242/ready", api.supervisor))[0] == 404
    assert (await api.call("GET", "/api/v1/agents/4242", api.supervisor))[0] == 404


async def test_a_call_is_answered_hung_up_from_the_desk_and_wrapped_up(api: Api) -> None:
    token = await api.log_in("1001")
    api.caller_queued("c1", "+15551230001")
    await api.until_state("1001", "offered")
    api.answered("c1", "1001")
    await api.until_state("1001", "on_call")

    status, answer = await api.call("GET", "/api/v1/agents/1001", token)
    assert status == 200
    assert answer["agent"]["call"]["caller"] == "+15551230001"  # its own call (P22)
    assert answer["agent"]["call"]["queue"] == "support"
    assert answer["agent"]["calls_answered"] == 1

    assert (await api.call("POST", "/api/v1/agents/1001/hangup", token))[0] == 200
    assert isinstance(api.control.instructions[-1], HangUpChannel)
    api.hung_up("c1-agent")
    await api.until_state("1001", "wrap_up")

    wrong = await api.call("POST", "/api/v1/agents/1001/wrap-up/end", token,
                           body={"disposition": "sold"})  # fmt: skip
    assert wrong[0] == 422  # not one of the queue's dispositions (C4)
    status, answer = await api.call("POST", "/api/v1/agents/1001/wrap-up/end", token,
                                    body={"disposition": "solved"})  # fmt: skip
    assert (status, answer["agent"]["state"]) == (200, "available")


async def test_a_transfer_sends_the_caller_to_the_queue(api: Api) -> None:
    token = await api.log_in("1001")
    api.caller_queued("c2", "+15551230002")
    await api.until_state("1001", "offered")
    api.answered("c2", "1001")
    await api.until_state("1001", "on_call")

    unknown = await api.call("POST", "/api/v1/agents/1001/transfer", token,
                             body={"queue": "nowhere"})  # fmt: skip
    status, answer = await api.call("POST", "/api/v1/agents/1001/transfer", token,
                                    body={"queue": "sales"})  # fmt: skip

    assert unknown[0] == 404
    assert (status, answer["agent"]["state"]) == (200, "wrap_up")
    sent = api.control.instructions[-1]
    assert isinstance(sent, SendCall)
    assert (sent.kind, sent.target) == (TargetKind.QUEUE, "sales")


async def test_an_attended_transfer_consults_another_agent_then_completes(api: Api) -> None:
    token = await api.log_in("1001")
    api.caller_queued("c3", "+15551230003")
    await api.until_state("1001", "offered")
    api.answered("c3", "1001")
    await api.until_state("1001", "on_call")
    await api.log_in("1002")

    bad = await api.call("POST", "/api/v1/agents/1001/consult", token, body={"agent": 7})
    early = await api.call("POST", "/api/v1/agents/1001/consult/complete", token)
    status, answer = await api.call("POST", "/api/v1/agents/1001/consult", token,
                                    body={"agent": "1002"})  # fmt: skip

    assert (bad[0], early[0]) == (400, 409), (bad, early)
    assert (status, answer["agent"]["state"]) == (200, "on_call")
    started = await eventually(lambda: api.control.of(StartConsult), what="StartConsult")
    assert started[-1].agent == "1002"
    await api.until_state("1002", "offered")
    api.answered("c3-agent", "1002")  # dialled from 1001's leg
    await api.until_state("1002", "on_call")
    _, before = await api.call("GET", "/api/v1/agents/1001", token)
    assert before["agent"]["call"]["consult"] == {"by": "1001", "agent": "1002", "answered": True}

    status, answer = await api.call("POST", "/api/v1/agents/1001/consult/complete", token)

    assert (status, answer["agent"]["state"]) == (200, "wrap_up")
    bridged = await eventually(lambda: api.control.of(BridgeCall), what="BridgeCall")
    assert bridged[-1].to == "c3-agent-agent"
    assert await api.agent_state("1002") == "on_call"


async def test_requests_without_a_valid_token_are_401(api: Api) -> None:
    assert (await api.call("GET", "/api/v1/queues"))[0] == 401
    assert (await api.call("GET", "/api/v1/queues", "cti_not-a-token"))[0] == 401


async def test_agents_cannot_use_supervisor_or_admin_routes(api: Api) -> None:
    token = await api.log_in("1001")

    assert (await api.call("GET", "/api/v1/agents", token))[0] == 403
    assert (await api.call("GET", "/api/v1/admin/config", token))[0] == 403
    assert (await api.call("GET", "/api/v1/admin/config", api.supervisor))[0] == 403


async def test_malformed_json_is_400(api: Api) -> None:
    token = await api.log_in("1001")

    status, answer = await api.call("POST", "/api/v1/agents/1001/not-ready", token,
                                    data=b"{reason: lunch")  # fmt: skip

    assert status == 400
    assert answer["error"] == "malformed JSON body: key must be a string at line 1 column 2"


async def test_bodies_name_missing_mistyped_and_unknown_fields(api: Api) -> None:
    token = await api.log_in("1001")
    path = "/api/v1/agents/1001/not-ready"

    missing = await api.call("POST", path, token, body={})
    mistyped = await api.call("POST", path, token, body={"reason": 5})
    unknown = await api.call("POST", path, token, body={"reason": "lunch", "minutes": 5})
    not_object = await api.call("POST", path, token, body=["lunch"])

    assert (missing[0], missing[1]["field"]) == (400, "reason")
    assert (mistyped[0], mistyped[1]["field"]) == (400, "reason")
    assert (unknown[0], unknown[1]["field"]) == (400, "minutes")
    assert not_object[0] == 400
    assert await api.agent_state("1001") == "available"


async def test_a_body_too_large_is_413(api: Api) -> None:
    token = await api.log_in("1001")

    status, answer = await api.call("POST", "/api/v1/agents/1001/not-ready", token,
                                    body={"reason": "x" * 100_000})  # fmt: skip

    assert status == 413
    assert "too large" in answer["error"]


async def test_an_engine_that_does_not_answer_in_time_is_503(tmp_path: Path) -> None:
    async with running_api(tmp_path, command_timeout=0.1) as api:
        token = await api.log_in("1001")
        api.engine_task.cancel()
        await asyncio.gather(api.engine_task, return_exceptions=True)

        status, answer = await api.call("POST", "/api/v1/agents/1001/ready", token)

    assert status == 503
    assert "busy" in answer["error"]


async def test_unknown_routes_are_json_404(api: Api) -> None:
    status, answer = await api.call("GET", "/api/v1/nothing-here", api.supervisor)

    assert (status, answer) == (404, {"error": "Not Found"})
