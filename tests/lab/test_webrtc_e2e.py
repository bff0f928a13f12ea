"""Asterisk's side of the browsers' softphones (issue 15), against the lab's Asterisk.

Headless Chromium with fake media loads the JsSIP bundle built at set-up (the file
`cti serve` serves as /static/jssip.js), registers the softphone 1901 over the lab's SIP
WebSocket (ws://127.0.0.1:HTTP/ws, http.conf, transport-ws) with its password, and takes a
call Asterisk originates to it into Echo. Media flows both ways through DTLS-SRTP: the
browser's getStats counts audio packets sent, and received back from Echo, which only
returns what Asterisk received from the browser. A wrong password is refused: the
registration fails with JsSIP's cause, and Asterisk never lists a contact for it.

The page here is a test's, served by a small aiohttp server on 127.0.0.1 (a loopback
origin: a secure context for getUserMedia, and one Chromium's local-network checks let
reach Asterisk's loopback WebSocket): the agent desktop, the product's page, is tested on
its own (tests/lab/test_desk_e2e.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Final

import pytest
from aiohttp import web
from panoramisk import Manager
from playwright.async_api import Browser, Page

from cti.api.pages import BUILD
from cti.lab.instance import LabInstance
from tests.browser import media_browser
from tests.lab.ami_tap import Tap
from tests.waiting import eventually

__all__ = ["media_browser"]  # the fixture, used by name
PHONE: Final = """
<!doctype html><meta charset="utf-8"><title>softphone</title>
<script type="module">
import JsSIP from "/jssip.js";
const phone = { events: [], session: null };
window.phone = phone;
window.register = (url, user, password) => {
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(url)], uri: `sip:${user}@127.0.0.1`, password,
    register: true, session_timers: false, register_expires: 120,
  });
  ua.on("registered", () => phone.events.push("registered"));
  ua.on("registrationFailed", (e) => phone.events.push(`failed: ${e.cause}`));
  ua.on("newRTCSession", ({ session, originator }) => {
    if (originator !== "remote") return;
    phone.session = session;
    phone.events.push("ringing");
    session.on("confirmed", () => phone.events.push("confirmed"));
    session.on("ended", (e) => phone.events.push(`ended: ${e.cause}`));
    session.on("failed", (e) => phone.events.push(`failed call: ${e.cause}`));
  });
  ua.start();
  phone.ua = ua;
};
window.answer = () => phone.session.answer({
  mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] },
});
window.packets = async () => {
  const counted = { sent: 0, received: 0 };
  (await phone.session.connection.getStats()).forEach((s) => {
    if (s.kind !== "audio") return;
    if (s.type === "outbound-rtp") counted.sent += s.packetsSent;
    if (s.type === "inbound-rtp") counted.received += s.packetsReceived;
  });
  return counted;
};
window.ready = true;
</script>
"""


@pytest.fixture
async def origin() -> AsyncIterator[str]:
    """The test page and the JsSIP bundle, on a loopback port of their own."""

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text=PHONE, content_type="text/html")

    async def bundle(_request: web.Request) -> web.Response:
        return web.Response(body=(BUILD / "jssip.js").read_bytes(), content_type="text/javascript")

    app = web.Application()
    app.add_routes([web.get("/", page), web.get("/jssip.js", bundle)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def phone(media_browser: Browser, origin: str) -> AsyncIterator[Page]:
    context = await media_browser.new_context()
    opened = await context.new_page()
    await opened.goto(f"{origin}/")
    await opened.wait_for_function("window.ready === true")
    try:
        yield opened
    finally:
        await context.close()


async def _events(page: Page) -> list[str]:
    found: Any = await page.evaluate("window.phone.events")
    return [str(e) for e in found]


async def _contacts(lab: LabInstance, device: str) -> str:
    return await asyncio.to_thread(lab.cli, f"pjsip show aor {device}")


async def test_a_browser_registers_and_takes_a_call_with_media_both_ways(
    lab: LabInstance, phone: Page, ami: tuple[Manager, Tap]
) -> None:
    device = lab.webrtc[0]
    await phone.evaluate(
        "([url, user, password]) => window.register(url, user, password)",
        [lab.websocket_url, device, lab.softphone_password(device)],
    )
    await eventually(lambda: _has(phone, "registered"), what="the softphone registered")
    assert ";transport=ws" in await _contacts(lab, device)

    manager, _ = ami
    originate = {"Action": "Originate", "Channel": f"PJSIP/{device}", "Application": "Echo",
                 "Async": "true", "CallerID": "lab <5551234>"}  # fmt: skip
    sent = asyncio.ensure_future(manager.send_action(originate))  # Async: answers later
    await eventually(lambda: _has(phone, "ringing"), what="the softphone rang")
    await phone.evaluate("window.answer()")
    await eventually(lambda: _has(phone, "confirmed"), what="the call answered")

    async def echoed() -> bool:
        counted = await phone.evaluate("window.packets()")
        return bool(counted["sent"] >= 50 and counted["received"] >= 50)

    await eventually(echoed, within=15, what="audio sent to Asterisk and echoed back")
    channels = await asyncio.to_thread(lab.cli, "core show channels concise")
    assert f"PJSIP/{device}-" in channels and "Echo" in channels
    await asyncio.to_thread(lab.cli, "channel request hangup all")
    await eventually(lambda: _has(phone, "ended: "), what="the call ended in the browser")
    sent.cancel()


async def test_a_wrong_password_is_refused_and_no_contact_is_kept(
    lab: LabInstance, phone: Page
) -> None:
    device = lab.webrtc[1]
    await phone.evaluate(
        "([url, user]) => window.register(url, user, 'not-the-password-at-all')",
        [lab.websocket_url, device],
    )
    await eventually(lambda: _has(phone, "failed: "), what="the registration refused")
    assert "failed: Authentication Error" in await _events(phone)
    assert ";transport=ws" not in await _contacts(lab, device)


async def _has(page: Page, prefix: str) -> bool:
    return any(e.startswith(prefix) for e in await _events(page))
