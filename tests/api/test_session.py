"""Supervisors sign in to the pages (cti/api/session.py, cti/api/auth.py rules 1 and 1a;
issue 14, P3, P22): a session cookie that no script reads and no other site sends, changes
that prove they come from the pages, the live feed without a credential in its URL, one
answer for a wrong name and a wrong password, and the same waits as for PINs."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any, Final

import pytest
from aiohttp import WSServerHandshakeError

from cti.api.auth import CSRF_HEADER, SESSION_COOKIE
from tests.api.harness import Api

SESSION: Final = "/api/v1/session"
PASSWORD: Final = "correct horse battery"
PAGES: Final = {CSRF_HEADER: "1"}
NOT_SIGNED_IN: Final = "not signed in: send a bearer token or sign in"


@pytest.fixture
async def ann(api: Api) -> Api:
    await api.store.put_supervisor("ann", "supervisor", PASSWORD)
    return api


async def sign_in(api: Api, name: str = "ann", password: str = PASSWORD) -> tuple[int, Any]:
    return await api.call("POST", SESSION, body={"name": name, "password": password})


def set_cookie(headers: Any) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for value in headers.getall("Set-Cookie", []):
        jar.load(value)
    return jar


async def test_signing_in_sets_a_strict_http_only_cookie_and_no_secret_in_the_body(
    ann: Api,
) -> None:
    body = {"name": "ann", "password": PASSWORD}
    async with ann.client.post(SESSION, json=body) as response:
        answer = await response.json()
        cookie = set_cookie(response.headers)[SESSION_COOKIE]

    assert response.status == 200, answer
    assert (answer["name"], answer["role"]) == ("ann", "supervisor")
    assert answer["expires_at"] == pytest.approx(ann.now() + 12 * 3600, abs=5)
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert int(cookie["max-age"]) == 12 * 3600
    assert cookie.value.startswith("cti_") and cookie.value not in str(answer)
    status, who = await ann.call("GET", SESSION)  # the client keeps the cookie
    assert (status, who["name"], who["role"]) == (200, "ann", "supervisor")


async def test_a_change_signed_by_the_cookie_needs_the_pages_header(ann: Api) -> None:
    await ann.log_in("1001")
    await sign_in(ann)
    not_ready = "/api/v1/agents/1001/not-ready"

    status, answer = await ann.call("POST", not_ready, body={"reason": "lunch"})
    assert status == 403 and CSRF_HEADER in answer["error"], answer
    assert await ann.agent_state("1001") == "available"  # nothing changed

    status, answer = await ann.call("POST", not_ready, body={"reason": "lunch"}, headers=PAGES)
    assert status == 200, answer
    assert answer["agent"]["state"] == "not_ready"
    assert answer["agent"]["status"]["by"] == "supervisor:ann"  # who did it, by name (P3)


async def test_the_live_feed_takes_the_cookie_from_this_servers_pages_only(ann: Api) -> None:
    await sign_in(ann)
    own = f"http://{ann.client.host}:{ann.client.port}"

    async with ann.client.ws_connect("/api/v1/events", headers={"Origin": own}) as ws:
        first = await ws.receive_json(timeout=5)
    assert first["type"] == "snapshot"
    for origin in ("http://evil.example", None):
        headers = {} if origin is None else {"Origin": origin}
        with pytest.raises(WSServerHandshakeError) as refused:
            await ann.client.ws_connect("/api/v1/events", headers=headers)
        assert refused.value.status == 403


async def test_a_wrong_password_and_an_unknown_name_get_one_answer_and_the_sixth_waits(
    ann: Api,
) -> None:
    wrong = [await sign_in(ann, "ann", PASSWORD + "x") for _ in range(3)]
    unknown = [await sign_in(ann, "nobody", PASSWORD) for _ in range(2)]
    assert {(s, a["error"]) for s, a in wrong + unknown} == {(401, "wrong name or password")}

    for _ in range(4):
        await sign_in(ann, "ann", "not the password")
    status, answer = await sign_in(ann)  # the right password, while ann must wait
    assert status == 429 and "try again in" in answer["error"], answer
    assert await ann.call("GET", SESSION) == (401, {"error": NOT_SIGNED_IN})


async def test_signing_out_ends_the_session_and_clears_the_cookie(ann: Api) -> None:
    await sign_in(ann)
    secret = ann.client.session.cookie_jar.filter_cookies(ann.client.make_url("/"))
    token = secret[SESSION_COOKIE].value

    status, answer = await ann.call("DELETE", SESSION)
    assert status == 403, answer  # the cookie's sign-out comes from the pages too (rule 1a)
    async with ann.client.delete(SESSION, headers=PAGES) as response:
        assert (response.status, await response.json()) == (200, {"signed_out": True})
        assert set_cookie(response.headers)[SESSION_COOKIE].value == ""

    assert (await ann.call("GET", SESSION))[0] == 401
    assert (await ann.call("GET", SESSION, token))[0] == 401  # the secret itself is dead
    assert await ann.call("DELETE", SESSION) == (200, {"signed_out": False})
