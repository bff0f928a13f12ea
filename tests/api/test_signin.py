"""Sign-in protection at login (issue 13; P3, P22; cti/api/signin.py, cti/domain/signin.py):
after five wrong PINs the agent must wait, doubling; while it waits a right PIN gets the
same refusal as a wrong one (with a bad device too: nothing tells a right PIN); the wait
passes, a right PIN logs in and forgets the failures; an address guessing at many agents
is held back too; every outcome is counted, and each key that starts waiting is a finding
(P22)."""

from __future__ import annotations

from typing import Any

from cti.domain.inputs import DeviceState
from cti.domain.records import Finding, Rule
from tests.api.harness import Api
from tests.waiting import eventually

LOGIN = "/api/v1/agents/{}/login"


async def login(api: Api, agent: str, pin: str, device: str) -> tuple[int, Any, str | None]:
    path = LOGIN.format(agent)
    async with api.client.post(path, json={"pin": pin, "device": device}) as response:
        return response.status, await response.json(), response.headers.get("Retry-After")


async def test_the_sixth_try_waits_and_a_right_pin_looks_like_a_wrong_one(api: Api) -> None:
    api.register("PJSIP/1009", DeviceState.UNAVAILABLE)
    for _ in range(5):
        assert (await login(api, "1001", "9999", "1001"))[0] == 401
    wrong = await login(api, "1001", "9999", "1001")
    right_bad_device = await login(api, "1001", "1234", "PJSIP/1009")
    right = await login(api, "1001", "1234", "1001")
    assert wrong[0] == 429 and wrong[2] == "1", wrong
    assert wrong == right_bad_device == right  # the same answer, whatever the PIN
    assert "1001" not in api.engine.state.agents

    api.clock.advance(1.0)  # the wait passes: the PIN is looked at again
    status, answer, _ = await login(api, "1001", "1234", "PJSIP/1009")
    assert status == 409, answer  # accepted under the limits: now the device may be told
    status, answer, _ = await login(api, "1001", "1234", "1001")
    assert status == 200, answer
    assert (await login(api, "1001", "9999", "1001"))[0] == 401  # forgotten by the success

    metrics = (await api.call("GET", "/metrics"))[1]
    assert 'cti_signin_attempts_total{outcome="wrong"} 6.0' in metrics
    assert 'cti_signin_attempts_total{outcome="refused"} 3.0' in metrics


async def test_waits_double_and_another_agent_is_not_held_back(api: Api) -> None:
    for _ in range(5):
        await login(api, "1001", "9999", "1001")
    api.clock.advance(1.0)
    assert (await login(api, "1001", "9999", "1001"))[0] == 401  # the 6th failure: 2 s
    api.clock.advance(1.0)
    assert (await login(api, "1001", "1234", "1001"))[2] == "1"  # one more second to wait
    status, answer, _ = await login(api, "1002", "5678", "1002")
    assert status == 200, answer


async def test_an_address_guessing_at_many_agents_is_held_back(api: Api) -> None:
    for n in range(20):  # one wrong PIN each for 20 agent ids, from one address
        assert (await login(api, f"90{n:02d}", "1111", "1001"))[0] == 401
    status, answer, after = await login(api, "1002", "5678", "1002")
    assert (status, after) == (429, "1"), answer  # the address waits, a right PIN too


def signin_findings(api: Api) -> list[Finding]:
    found = [r for r in api.history.records if isinstance(r, Finding)]
    return [f for f in found if f.rule is Rule.SIGNIN_FAILURES]


async def test_a_key_starting_to_wait_is_one_finding_naming_the_agent_or_the_address(
    api: Api,
) -> None:
    for _ in range(5):
        await login(api, "1001", "9999", "1001")
    api.clock.advance(1.0)
    await login(api, "1001", "9999", "1001")  # a 6th failure: a longer wait, no new finding

    (agent,) = signin_findings(api)
    assert (agent.agent, agent.measured, agent.limit) == ("1001", 5.0, 4.0)
    assert agent.detail.startswith("5 failed sign-ins in a row for agent 1001 from 127.0.0.1")

    for n in range(14):  # the address reaches 20 failures; unknown ids are not findings' agents
        await login(api, f"90{n:02d}", "1111", "1001")
    _, address = signin_findings(api)
    assert (address.agent, address.measured) == ("", 20.0)
    assert address.detail.startswith("20 failed sign-ins in a row from 127.0.0.1")

    async def listed() -> list[Any]:
        url = "/api/v1/findings?rule=P22.signin_failures"
        status, answer = await api.call("GET", url, api.supervisor)
        assert status == 200, answer
        return list(answer["findings"]) if len(answer["findings"]) == 2 else []

    stored = await eventually(listed, what="both findings stored and listed")
    assert [f["agent"] for f in stored] == ["1001", ""]
