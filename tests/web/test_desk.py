"""The agent desktop in headless chromium (issue 15), against the server as `cti serve`
assembles it, driven as Asterisk would drive it (tests/api/harness.py): sign in on a SIP
phone, the status controls with the reason's countdown (P5), the screen pop of an offer
with the caller's history (C7), the offer withdrawn after the queue's rings (C3), and the
login ended from elsewhere. The softphone against a real Asterisk is the lab's test
(tests/lab/test_desk_e2e.py)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from cti.domain.effects import HangUpChannel
from cti.domain.inputs import Tick
from tests.api.harness import PINS, Api, past_call
from tests.waiting import eventually
from tests.web.test_wallboard import SHOTS


async def _sign_in(page: Page, driven: Api, agent: str = "1001") -> None:
    await page.goto(str(driven.client.make_url("/desk")))
    await page.get_by_label("Agent id").fill(agent)
    await page.get_by_label("PIN").fill(PINS[agent])
    await page.get_by_label("My SIP phone").check()
    await page.get_by_label("SIP phone", exact=True).fill(agent)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#link")).to_have_text("live")


async def test_an_agent_signs_in_on_a_sip_phone_and_goes_ready_and_not_ready(
    page: Page, driven: Api
) -> None:
    await _sign_in(page, driven)
    state = page.locator("#state .badge")
    await expect(state).to_have_text("Ready")
    assert await driven.agent_state("1001") == "available"
    await expect(page.locator("#phone-status")).to_have_text("SIP phone PJSIP/1001")
    await expect(page.locator("#who")).to_have_text("1001 · Agent 1001")

    await page.get_by_label("Reason").select_option("lunch")
    await page.get_by_role("button", name="Not ready").click()
    await expect(state).to_have_text("Not ready (lunch)")
    await expect(page.locator("#limit")).to_contain_text("left of 15:00 for Lunch")
    driven.clock.advance(901)
    driven.engine.submit(Tick(at=driven.now()))  # the engine sleeps on the real clock
    await expect(page.locator("#status-outcome")).to_contain_text(
        "not ready longer than the reason allows"
    )
    await expect(page.locator("#limit")).to_contain_text("Over the 15:00 limit of Lunch by 0:0")
    await page.screenshot(path=str(SHOTS / "desk-not-ready-1280.png"), full_page=True)
    await page.get_by_role("button", name="Ready", exact=True).click()
    await expect(state).to_have_text("Ready")
    assert await driven.agent_state("1001") == "available"


async def test_an_offer_pops_the_caller_with_its_history_then_the_call(
    page: Page, driven: Api
) -> None:
    earlier = driven.now() - 3600
    await driven.database.history().record([past_call("old-1", "+15557770001", "1002", earlier)])
    await _sign_in(page, driven)
    await expect(page.locator("#state .badge")).to_have_text("Ready")

    driven.caller_queued("c1", "+15557770001")

    await expect(page.locator("#pop-caller")).to_have_text("+15557770001")
    await expect(page.locator("#pop-queue")).to_have_text("support")
    await expect(page.locator("#pop-history li")).to_have_count(1)
    await expect(page.locator("#pop-history li")).to_contain_text("answered by 1002")
    await expect(page.locator("#state .badge")).to_have_text("Ringing")
    await expect(page.get_by_role("button", name="Answer on your phone")).to_be_disabled()
    await page.screenshot(path=str(SHOTS / "desk-ringing-1280.png"), full_page=True)

    driven.answered("c1", "1001")
    await expect(page.locator("#state .badge")).to_have_text("On call")
    await expect(page.get_by_role("button", name="Hang up")).to_be_enabled()
    await page.get_by_role("button", name="Hang up").click()  # a SIP phone: through the API

    async def hung_up() -> bool:
        return any(h.channel == "c1-agent" for h in driven.control.of(HangUpChannel))

    await eventually(hung_up, what="the agent's leg hung up")


async def test_an_offer_not_answered_within_the_rings_says_why(page: Page, driven: Api) -> None:
    """C3: support rings 3 times, 6 s apart; then the offer is withdrawn, the agent is not
    ready (no answer), and the page says so."""
    await _sign_in(page, driven)
    await expect(page.locator("#state .badge")).to_have_text("Ready")
    driven.caller_queued("c1", "+15550002222")
    await expect(page.locator("#state .badge")).to_have_text("Ringing")
    driven.clock.advance(19)
    driven.engine.submit(Tick(at=driven.now()))
    await expect(page.locator("#call-outcome")).to_contain_text(
        "not answered within the queue's rings"
    )
    await expect(page.locator("#state .badge")).to_contain_text("Not ready")


async def test_a_wrong_pin_says_so_and_a_login_ended_elsewhere_returns_to_sign_in(
    page: Page, driven: Api
) -> None:
    await page.goto(str(driven.client.make_url("/desk")))
    await page.get_by_label("Agent id").fill("1001")
    await page.get_by_label("PIN").fill("0000")
    await page.get_by_label("My SIP phone").check()
    await page.get_by_label("SIP phone", exact=True).fill("1001")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#signin-error")).to_have_text("wrong agent or PIN")
    await page.screenshot(path=str(SHOTS / "desk-signin-refused-1280.png"))

    await _sign_in(page, driven)
    await driven.call("POST", "/api/v1/agents/1001/logout", driven.supervisor)
    await expect(page.locator("#signin-error")).to_contain_text("Your login ended")
    await expect(page.locator("#signin")).to_be_visible()
