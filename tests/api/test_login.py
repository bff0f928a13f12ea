"""Agent login (P3): the PIN, one login per agent, takeover, and the token it issues."""

from __future__ import annotations

import asyncio

from cti.domain.inputs import DeviceState
from cti.domain.records import Rule
from tests.api.harness import Api

LOGIN = "/api/v1/agents/{}/login"


async def test_a_right_pin_logs_the_agent_in_and_returns_its_token(api: Api) -> None:
    status, answer = await api.call(
        "POST", LOGIN.format("1001"), body={"pin": "1234", "device": "1001"}
    )

    assert status == 200, answer
    assert answer["token"].startswith("cti_")
    assert answer["agent"]["state"] == "available"
    assert answer["agent"]["device"] == "PJSIP/1001"  # a bare name is a PJSIP endpoint
    assert answer["agent"]["address"] == "127.0.0.1"  # P3: where the login came from
    status, own = await api.call("GET", "/api/v1/agents/1001", answer["token"])
    assert (status, own["agent"]["state"]) == (200, "available")


async def test_a_wrong_pin_and_an_unknown_agent_get_the_same_401(api: Api) -> None:
    wrong = await api.call("POST", LOGIN.format("1001"), body={"pin": "9999", "device": "1001"})
    unknown = await api.call("POST", LOGIN.format("7777"), body={"pin": "1234", "device": "1001"})

    assert wrong[0] == unknown[0] == 401
    assert wrong[1] == unknown[1]
    assert "1001" not in api.engine.state.agents


async def test_login_on_an_unregistered_device_is_a_conflict(api: Api) -> None:
    api.register("PJSIP/1009", DeviceState.UNAVAILABLE)

    status, answer = await api.call(
        "POST", LOGIN.format("1001"), body={"pin": "1234", "device": "PJSIP/1009"}
    )

    assert status == 409
    assert "not registered" in answer["error"]
    assert "1001" not in api.engine.state.agents


async def test_a_login_waits_for_a_registration_on_its_way_to_the_core(api: Api) -> None:
    """agents.py rule 3: the desk's softphone logs in once its REGISTER is answered, which
    can be before Asterisk's device state reaches the core."""
    api.register("PJSIP/1009", DeviceState.UNAVAILABLE)
    body = {"pin": "1234", "device": "PJSIP/1009"}
    login = asyncio.create_task(api.call("POST", LOGIN.format("1001"), body=body))
    await asyncio.sleep(0.3)
    api.register("PJSIP/1009")  # the registration arrives while the login waits

    status, answer = await login
    assert status == 200, answer
    assert api.engine.state.agents["1001"].device == "PJSIP/1009"


async def test_a_second_login_is_refused_and_a_takeover_ends_the_first(api: Api) -> None:
    first = await api.log_in("1001")
    api.register("PJSIP/1003")
    body = {"pin": "1234", "device": "PJSIP/1003"}

    refused = await api.call("POST", LOGIN.format("1001"), body=body)
    assert refused[0] == 409
    assert api.engine.state.agents["1001"].device == "PJSIP/1001"  # nothing changed

    status, answer = await api.call("POST", LOGIN.format("1001"), body={**body, "takeover": True})
    assert status == 200, answer
    assert answer["agent"]["device"] == "PJSIP/1003"
    # The first desk's token belonged to the login that was taken over (P3).
    assert (await api.call("GET", "/api/v1/agents/1001", first))[0] == 401
    assert (await api.call("GET", "/api/v1/agents/1001", answer["token"]))[0] == 200
    findings = [r for r in api.history.records if getattr(r, "rule", None) is Rule.SECOND_LOGIN]
    assert [f.detail.split(":")[0] for f in findings] == ["refused", "took over"]


async def test_logout_ends_the_token(api: Api) -> None:
    token = await api.log_in("1001")

    status, answer = await api.call("POST", "/api/v1/agents/1001/logout", token)

    assert (status, answer["agent"]["state"]) == (200, "logged_out")
    assert (await api.call("POST", "/api/v1/agents/1001/ready", token))[0] == 401


async def test_login_body_errors_name_the_field(api: Api) -> None:
    missing = await api.call("POST", LOGIN.format("1001"), body={"device": "1001"})
    mistyped = await api.call(
        "POST", LOGIN.format("1001"), body={"pin": "1234", "device": "1001", "takeover": "yes"}
    )

    assert missing[0] == 400 and missing[1]["field"] == "pin"
    assert mistyped[0] == 400 and mistyped[1]["field"] == "takeover"
