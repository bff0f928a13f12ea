"""The agent desktop in headless chromium (issue 15), against the server as `cti serve`
assembles it, driven as Asterisk would drive it (tests/api/harness.py): sign in on a SIP
phone, the status controls with the reason's countdown (P5), the screen pop of an offer
with the caller's history (C7), the offer withdrawn after the queue's rings (C3), and the
login ended from elsewhere. The softphone against a real Asterisk is the lab's test
(tests/lab/test_desk_e2e.py)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from cti.domain.effects import HangUpChannel, SendCall, TargetKind
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

    driven.caller_queued("d1", "+15557770001")

    await expect(page.locator("#pop-caller")).to_have_text("+15557770001")
    await expect(page.locator("#pop-queue")).to_have_text("support")
    await expect(page.locator("#pop-history li")).to_have_count(1)
    await expect(page.locator("#pop-history li")).to_contain_text("answered by 1002")
    await expect(page.locator("#state .badge")).to_have_text("Ringing")
    await expect(page.get_by_role("button", name="Answer on your phone")).to_be_disabled()
    await page.screenshot(path=str(SHOTS / "desk-ringing-1280.png"), full_page=True)

    driven.answered("d1", "1001")
    await expect(page.locator("#state .badge")).to_have_text("On call")
    await expect(page.get_by_role("button", name="Hang up")).to_be_enabled()
    await page.set_viewport_size({"width": 1920, "height": 1080})  # a desktop monitor
    await page.screenshot(path=str(SHOTS / "desk-on-call-1920.png"))
    await page.get_by_role("button", name="Hang up").click()  # a SIP phone: through the API

    async def hung_up() -> bool:
        return any(h.channel == "d1-agent" for h in driven.control.of(HangUpChannel))

    await eventually(hung_up, what="the agent's leg hung up")


async def test_an_offer_not_answered_within_the_rings_says_why(page: Page, driven: Api) -> None:
    """C3: support rings 3 times, 6 s apart; then the offer is withdrawn, the agent is not
    ready (no answer), and the page says so."""
    await _sign_in(page, driven)
    await expect(page.locator("#state .badge")).to_have_text("Ready")
    driven.caller_queued("d1", "+15550002222")
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


async def test_after_the_call_the_wrap_up_takes_a_disposition_and_the_record_has_it(
    page: Page, driven: Api
) -> None:
    """C4: support's codes (solved, callback) on the wrap-up panel, the time left, Done."""
    await _sign_in(page, driven)
    await expect(page.locator("#state .badge")).to_have_text("Ready")
    driven.caller_queued("d1", "+15557770002")
    await expect(page.locator("#state .badge")).to_have_text("Ringing")
    driven.answered("d1", "1001")
    await expect(page.locator("#move")).to_be_visible()  # the transfer panel, on the call
    await expect(page.locator("#to-queue option")).to_have_text(["sales", "support"])
    driven.hung_up("d1")  # the caller hangs up, and Asterisk ends the agent's leg
    driven.hung_up("d1-agent")

    await expect(page.locator("#state .badge")).to_have_text("Wrap-up")
    await expect(page.locator("#wrap")).to_be_visible()
    await expect(page.locator("#wrap-codes label")).to_have_text(["solved", "callback"])
    await page.get_by_label("callback", exact=True).check()
    await page.screenshot(path=str(SHOTS / "desk-wrap-up-1280.png"), full_page=True)
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await page.screenshot(path=str(SHOTS / "desk-wrap-up-1920.png"))
    await page.get_by_role("button", name="Done").click()
    await expect(page.locator("#state .badge")).to_have_text("Ready")
    await expect(page.locator("#wrap")).to_be_hidden()
    # The seeded call (c1) and this one, read once this one's record is written.
    await expect(page.locator("#today-calls")).to_have_text("2", timeout=10_000)

    async def recorded() -> str | None:
        status, answer = await driven.call("GET", "/api/v1/calls/d1", driven.supervisor)
        if status != 200:
            return None
        wraps = [s for s in answer["call"]["segments"] if s["kind"] == "wrap_up"]
        return wraps[0]["disposition"] if wraps else None

    assert await eventually(recorded, what="the call record") == "callback"


async def test_a_transfer_to_a_queue_from_the_page_moves_the_caller(
    page: Page, driven: Api
) -> None:
    """P8: blind to a queue; Asterisk is told to send the caller to sales, the agent goes
    to wrap-up (the lab's test sees the caller arrive there)."""
    await _sign_in(page, driven)
    driven.caller_queued("d1", "+15557770003")
    await expect(page.locator("#state .badge")).to_have_text("Ringing")
    driven.answered("d1", "1001")
    await page.get_by_label("Queue", exact=True).select_option("sales")
    await page.get_by_role("button", name="Transfer to the queue").click()
    await expect(page.locator("#move-outcome")).to_have_text("Transfer: done")

    sent = driven.control.of(SendCall)[-1]  # Asterisk is told to take the caller there
    assert (sent.kind, sent.target) == (TargetKind.QUEUE, "sales")
    await expect(page.locator("#state .badge")).to_have_text("Wrap-up")


async def test_a_callback_is_promised_from_the_call(page: Page, driven: Api) -> None:
    """P9: during the call, the agent promises a callback to itself for tomorrow."""
    await _sign_in(page, driven)
    driven.caller_queued("d1", "+15557770004")
    await expect(page.locator("#state .badge")).to_have_text("Ringing")
    driven.answered("d1", "1001")
    await expect(page.locator("#promise")).to_be_visible()
    tomorrow = await page.evaluate(
        """() => { const d = new Date(Date.now() + 86400000); d.setHours(18, 0, 0, 0);
                   const p = (n) => String(n).padStart(2, "0");
                   return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T18:00`; }"""
    )
    await page.get_by_label("When").fill(tomorrow)
    await page.get_by_label("Note").fill("about the refund")
    await page.get_by_role("button", name="Promise").click()
    await expect(page.locator("#promise-outcome")).to_contain_text("Callback promised for")

    status, listed = await driven.call("GET", "/api/v1/callbacks", driven.supervisor)
    assert status == 200, listed
    promised = [c for c in listed["callbacks"] if c["number"] == "+15557770004"]
    assert len(promised) == 1, listed
    assert promised[0]["fields"]["note"] == "about the refund" and promised[0]["agent"] == "1001"


async def test_an_attended_transfer_from_the_page_consults_then_completes(
    page: Page, driven: Api
) -> None:
    """P8: consult 1002 from the page; once 1002 answers (its change reaches the consulting
    agent's page, hub rule 2) the page lets the agent complete, and it goes to wrap-up."""
    await _sign_in(page, driven)
    driven.caller_queued("d5", "+15557770005")
    await expect(page.locator("#state .badge")).to_have_text("Ringing")
    driven.answered("d5", "1001")
    await expect(page.locator("#state .badge")).to_have_text("On call")
    await driven.log_in("1002")
    await page.get_by_label("Agent", exact=True).fill("1002")
    await page.get_by_role("button", name="Consult").click()
    await expect(page.locator("#consult-state")).to_have_text(
        "Ringing 1002; the caller is on hold."
    )
    await expect(page.get_by_role("button", name="Complete the transfer")).to_be_disabled()
    await driven.until_state("1002", "offered")
    driven.answered("d5-agent", "1002")  # dialled from 1001's leg
    await expect(page.locator("#consult-state")).to_contain_text("Talking with 1002")
    await page.screenshot(path=str(SHOTS / "desk-consult-1280.png"), full_page=True)
    await page.get_by_role("button", name="Complete the transfer").click()
    await expect(page.locator("#state .badge")).to_have_text("Wrap-up")
    assert await driven.agent_state("1002") == "on_call"
