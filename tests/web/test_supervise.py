"""A supervisor's actions from the wallboard in headless chromium (C8): choose an agent,
force not ready with a reason, ready and logged out, hang up its call; listen from their
own phone, switch to whisper, end. The server is the one `cti serve` assembles, driven
here as Asterisk would drive it (tests/api/harness.py); what it did is read back from the
API and from the instructions it gave call control. The lab test runs the same against a
real Asterisk (tests/lab/test_monitoring_e2e.py)."""

from __future__ import annotations

from playwright.async_api import Page, WebSocketRoute, expect

from cti.domain.effects import HangUpChannel, SpyOnCall, SwitchSpy
from cti.domain.ids import ChannelId
from cti.domain.inputs import OriginateEnded, SpyStarted
from cti.domain.records import SpyMode
from tests.api.harness import Api
from tests.browser import sign_in
from tests.waiting import eventually
from tests.web.test_wallboard import SHOTS


async def _open(page: Page, driven: Api) -> None:
    await sign_in(page, str(driven.client.make_url("")).rstrip("/"))
    await expect(page.locator("#link")).to_have_text("live")


async def test_forcing_not_ready_ready_and_logout_from_the_agents_row(
    page: Page, driven: Api
) -> None:
    await driven.log_in("1001")
    await _open(page, driven)
    row = page.locator('#agents tr[data-agent="1001"]')
    await expect(row.locator(".badge")).to_have_text("Ready")
    await row.click()
    panel = page.locator("#agent-panel")
    await expect(panel).to_be_visible()
    await expect(page.locator("#panel-title")).to_contain_text("1001")
    await expect(page.get_by_role("button", name="Hang up the call")).to_be_disabled()

    await page.get_by_label("Reason").select_option("lunch")
    await page.get_by_role("button", name="Make not ready").click()
    await expect(row.locator(".badge")).to_have_text("Not ready")
    await expect(row).to_contain_text("lunch")
    await expect(page.locator("#panel-state")).to_have_text("Not ready (lunch)")
    _, answer = await driven.call("GET", "/api/v1/agents/1001", driven.supervisor)
    assert (answer["agent"]["state"], answer["agent"]["reason"]) == ("not_ready", "lunch")
    assert answer["agent"]["status"]["by"] == "supervisor:ann"  # who did it
    await page.screenshot(path=str(SHOTS / "wallboard-agent-panel-1280.png"), full_page=True)

    await page.get_by_role("button", name="Make ready").click()
    await expect(row.locator(".badge")).to_have_text("Ready")
    await page.get_by_role("button", name="Log out").click()
    await expect(row.locator(".badge")).to_have_text("Logged out")
    assert await driven.agent_state("1001") == "logged_out"
    await page.get_by_role("button", name="Make ready").is_disabled()


async def test_an_action_on_an_agent_who_logged_out_meanwhile_says_why(
    page: Page, driven: Api
) -> None:
    """The page has not heard of the logout yet (its feed is held back, as on a slow
    network) when the supervisor presses Log out: the server's refusal is shown."""
    held: list[str | bytes] = []

    def feed(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: held.append(message) if held else ws.send(message))

    await page.route_web_socket("**/api/v1/events*", feed)
    token = await driven.log_in("1001")
    await _open(page, driven)
    await page.locator('#agents tr[data-agent="1001"]').click()
    held.append("")  # from here the server's messages are held back
    await driven.call("POST", "/api/v1/agents/1001/logout", token)
    await page.get_by_role("button", name="Log out").click()
    await expect(page.locator("#panel-outcome")).to_contain_text("not logged in")


async def test_listen_switch_to_whisper_and_end_from_the_page(page: Page, driven: Api) -> None:
    await driven.log_in("1001")
    driven.register("PJSIP/2001")
    driven.caller_queued("c1", "+15550001")
    await driven.until_state("1001", "offered")
    driven.answered("c1", "1001")
    await driven.until_state("1001", "on_call")
    await _open(page, driven)
    await page.locator('#agents tr[data-agent="1001"]').click()
    await expect(page.locator("#panel-call")).to_contain_text("+15550001")

    await page.get_by_role("textbox", name="Your phone").fill("2001")
    spy_bar = page.locator("#spy")
    await page.locator("#spy-listen").click()
    await expect(spy_bar).to_contain_text("Listening to agent 1001 · your phone is ringing")
    [spy] = driven.control.of(SpyOnCall)
    assert (spy.device, spy.target, spy.mode) == ("PJSIP/2001", "c1-agent", SpyMode.LISTEN)
    driven.engine.submit(
        OriginateEnded(at=driven.now(), channel=spy.channel, answered=True, reason=4)
    )
    driven.engine.submit(
        SpyStarted(at=driven.now(), channel=spy.channel, target=ChannelId("c1-agent"))
    )
    await expect(spy_bar).not_to_contain_text("ringing")
    await expect(page.locator("#switch-listen")).to_have_attribute("aria-pressed", "true")
    await page.screenshot(path=str(SHOTS / "wallboard-listening-1280.png"), full_page=True)
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await page.screenshot(path=str(SHOTS / "wallboard-listening-1920.png"))

    await page.locator("#switch-whisper").click()

    async def switched() -> bool:
        return bool(driven.control.of(SwitchSpy))

    await eventually(switched, what="the switch asked of Asterisk")
    assert driven.control.of(SwitchSpy)[-1].mode is SpyMode.WHISPER
    await expect(spy_bar).to_contain_text("Whispering to agent 1001")
    await expect(page.locator("#switch-whisper")).to_have_attribute("aria-pressed", "true")
    await page.get_by_role("button", name="End").click()

    async def hung_up() -> bool:
        return HangUpChannel(channel=spy.channel) in driven.control.of(HangUpChannel)

    await eventually(hung_up, what="the supervisor's leg hung up")
    driven.hung_up(spy.channel)
    await expect(spy_bar).to_be_hidden()
    await expect(page.locator("#spy-outcome")).to_have_text("Monitoring ended")


async def test_a_break_request_is_approved_from_the_wallboard(page: Page, driven: Api) -> None:
    """Issue 16 (P5): the agent asks for 30 minutes of lunch (its limit is 15); the
    wallboard lists the request at once; the supervisor approves it from there."""
    token = await driven.log_in("1001")
    await _open(page, driven)
    await expect(page.locator("#no-breaks")).to_be_visible()
    body = {"reason": "lunch", "seconds": 1800}
    assert (await driven.call("POST", "/api/v1/agents/1001/break-request", token, body))[0] == 201
    request = page.locator('#breaks li[data-agent="1001"]')
    await expect(request).to_contain_text("1001 asks for lunch of 30:00")
    await page.screenshot(path=str(SHOTS / "wallboard-break-request-1280.png"), full_page=True)

    await page.get_by_role("button", name="Approve 1001's break of 30:00").click()
    await expect(request).to_contain_text("approved by ann")
    await expect(page.locator("#break-outcome")).to_have_text("1001's break approved")
    _, listed = await driven.call("GET", "/api/v1/breaks", driven.supervisor)
    assert [(b["agent"], b["phase"], b["decided_by"]) for b in listed["breaks"]] == [
        ("1001", "approved", "supervisor:ann")
    ]
    await driven.call("POST", "/api/v1/agents/1001/not-ready", token, {"reason": "lunch"})
    await expect(request).to_contain_text("on it")
    await driven.call("POST", "/api/v1/agents/1001/ready", token)
    await expect(page.locator("#no-breaks")).to_be_visible()  # it ended with the spell
