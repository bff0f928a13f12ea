"""A browser softphone for the agent desktop (issue 15; cti/api/softphones.py): asked for
with the PIN, one per agent, its password derived from the secret; then the login on it
puts the token in the session cookie, not in the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cti.api.auth import SESSION_COOKIE
from cti.settings import SoftphoneSettings
from cti.softphone import password
from tests.api.harness import PINS, Api, running_api

SECRET = "s3cretS3cretS3cret"
PHONES = SoftphoneSettings(websocket_url="ws://127.0.0.1:8088/ws", devices="1901", secret=SECRET)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(tmp_path, softphones=PHONES) as api:
        yield api


async def _ask(api: Api, agent: str, pin: str | None = None) -> tuple[int, dict[str, object]]:
    body = {"pin": PINS[agent] if pin is None else pin}
    return await api.call("POST", f"/api/v1/agents/{agent}/softphone", body=body)


async def test_an_agent_gets_a_softphone_to_register_with_its_own_password(desk: Api) -> None:
    status, answer = await _ask(desk, "1001")

    assert status == 200, answer
    assert answer["softphone"] == {
        "device": "PJSIP/1901",
        "websocket_url": "ws://127.0.0.1:8088/ws",
        "uri": "sip:1901@127.0.0.1",
        "username": "1901",
        "password": password(SECRET, "1901"),
        "ice_servers": [],
    }
    assert (await _ask(desk, "1001"))[1] == answer  # asked again: the same one
    status, refused = await _ask(desk, "1002")  # handed to 1001 and not yet used
    assert status == 409 and "all 1 softphones are in use" in str(refused["error"]), refused


async def test_the_softphone_carries_the_stun_and_turn_servers(tmp_path: Path) -> None:
    """Across NAT (rule 5): STUN as it is, TURN with its credentials."""
    across_nat = SoftphoneSettings(
        websocket_url="wss://pbx.example.com:8089/ws",
        devices="1901",
        secret=SECRET,
        ice_servers="stun:stun.example.com:3478, turns:turn.example.com:5349",
        ice_username="desk",
        ice_credential="turnSecret",
    )
    async with running_api(tmp_path, softphones=across_nat) as api:
        status, answer = await _ask(api, "1001")
    assert status == 200, answer
    assert answer["softphone"]["ice_servers"] == [  # type: ignore[index]
        {"urls": ["stun:stun.example.com:3478"]},
        {"urls": ["turns:turn.example.com:5349"], "username": "desk", "credential": "turnSecret"},
    ]


async def test_a_wrong_pin_gets_no_softphone(desk: Api) -> None:
    status, answer = await _ask(desk, "1001", pin="0000")
    assert (status, answer["error"]) == (401, "wrong agent or PIN")


async def test_no_softphone_is_offered_unless_configured(api: Api) -> None:
    status, answer = await _ask(api, "1001")
    assert status == 404 and "softphone.websocket_url" in str(answer["error"]), answer


async def test_the_desktops_login_puts_the_token_in_the_cookie(desk: Api) -> None:
    _, answer = await _ask(desk, "1001")
    desk.register("PJSIP/1901")  # the browser registered (Asterisk's device state)
    body = {"pin": PINS["1001"], "device": "PJSIP/1901", "session": True}

    async with desk.client.post("/api/v1/agents/1001/login", json=body) as response:
        assert response.status == 200, await response.text()
        logged_in = await response.json()
        cookie = response.cookies[SESSION_COOKIE]

    assert logged_in["token"] is None and logged_in["agent"]["device"] == "PJSIP/1901"
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    async with desk.client.get("/api/v1/session") as response:  # the client keeps the cookie
        who = await response.json()
    assert response.status == 200, who
    assert (who["role"], who["agent"], who["device"]) == ("agent", "1001", "PJSIP/1901")
    assert (await _ask(desk, "1001"))[1] == answer  # a reloaded page: its own softphone
    async with desk.client.get("/api/v1/agents/1001/softphone") as response:  # the cookie
        assert (response.status, await response.json()) == (200, answer)


async def test_only_the_agent_reads_its_softphone_and_only_when_on_one(desk: Api) -> None:
    token = await desk.log_in("1001")  # on its SIP phone PJSIP/1001
    status, answer = await desk.call("GET", "/api/v1/agents/1001/softphone", token)
    assert status == 404 and "not logged in on a softphone" in answer["error"], answer
    status, _ = await desk.call("GET", "/api/v1/agents/1001/softphone", desk.supervisor)
    assert status == 403
