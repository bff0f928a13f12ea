"""The agent desktop's softphone against the lab (issue 15): headless Chromium with fake
media signs agent 1099 in on "This browser". The page asks the server for a softphone,
registers it to the lab's Asterisk over its SIP WebSocket (JsSIP, the bundle built at
set-up), logs in on it, goes ready; a SIPp caller enters the queue; the page pops the
caller within a second of the softphone ringing, "Answer" connects, and audio flows both
ways (the page's getStats counts packets sent and received; the SIPp caller streams a
recording to the browser, Asterisk bridges the browser's audio back). Then the caller
hangs up and the server has the call answered by 1099 on PJSIP/19xx."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from cti.lab.instance import LabInstance
from cti.lab.sipp import place_call
from tests.browser import media_browser, media_page
from tests.lab.scenarios import acd_yaml, history_written, until_state
from tests.lab.server import ServerProcess, eventually
from tests.web.test_wallboard import SHOTS

__all__ = ["media_browser", "media_page"]  # the fixtures, used by name
pytestmark = pytest.mark.lab
AGENT = "1099"


@pytest.fixture
async def desk(lab: LabInstance, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    await asyncio.to_thread(lab.cli, "channel request hangup all")
    process = ServerProcess(lab, tmp_path)
    await process.configure(acd_yaml({AGENT: "support"}, ring_limit=2, max_wrap_up=1))
    await process.start()
    yield process
    await process.kill()


async def _signed_in(lab: LabInstance, desk: ServerProcess, page: Page) -> str:
    """The agent signed in on the page's softphone, registered and ready; its device."""
    await page.goto(desk.url + "/desk")
    await page.get_by_label("Agent id").fill(AGENT)
    await page.get_by_label("PIN").fill("1234")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#phone-status")).to_contain_text("registered", timeout=15_000)
    await expect(page.locator("#link")).to_have_text("live")
    _, answer = await desk.get(f"/api/v1/agents/{AGENT}")
    device = str(answer["agent"]["device"])
    assert device.startswith("PJSIP/190"), answer
    assert ";transport=ws" in await asyncio.to_thread(lab.cli, f"pjsip show aor {device[6:]}")
    await expect(page.locator("#state .badge")).to_have_text("Ready")
    return device


async def test_the_softphone_registers_rings_pops_answers_and_carries_audio(
    lab: LabInstance, desk: ServerProcess, media_page: Page
) -> None:
    page = media_page
    await _signed_in(lab, desk, page)

    call = place_call(lab, "support", "5557001", hangup_after_ms=12_000, media=True)
    answer_button = page.get_by_role("button", name="Answer", exact=True)
    await expect(answer_button).to_be_enabled(timeout=15_000)
    rang = time.time()
    await expect(page.locator("#pop-caller")).to_have_text("5557001", timeout=1000)
    popped = time.time()
    assert popped - rang < 1.0, popped - rang
    await expect(page.locator("#pop-queue")).to_have_text("support")
    await page.screenshot(path=str(SHOTS / "desk-softphone-ringing-lab-1280.png"), full_page=True)
    await answer_button.click()
    await expect(page.locator("#state .badge")).to_have_text("On call", timeout=10_000)

    async def both_ways() -> bool:
        counted: Any = await page.evaluate("window.softphone.packets()")
        return bool(counted["sent"] >= 50 and counted["received"] >= 50)

    await eventually(both_ways, within=15, what="audio from and to the browser")
    await page.screenshot(path=str(SHOTS / "desk-softphone-on-call-lab-1280.png"), full_page=True)
    assert await call.wait(within_s=20) == 0
    await until_state(desk, AGENT, "available", within=15)  # after the 1 s of wrap-up
    await eventually(lambda: history_written(desk), within=10, what="the call record written")
    _, listed = await desk.get("/api/v1/calls?queue=support")
    record = listed["calls"][-1]
    assert record["caller"] == "5557001" and record["outcome"] == "answered", record
    talk = [s for s in record["segments"] if s["kind"] == "talk"]
    assert [s["agent"] for s in talk] == [AGENT], record


async def test_an_offer_the_page_does_not_answer_goes_on_after_the_rings(
    lab: LabInstance, desk: ServerProcess, media_page: Page
) -> None:
    """C3: the softphone rings, nobody clicks Answer; after support's 2 rings the offer is
    withdrawn, the softphone stops ringing, the page says why, the agent is not ready."""
    page = media_page
    await _signed_in(lab, desk, page)
    call = place_call(lab, "support", "5557002", hangup_after_ms=30_000)
    answer_button = page.get_by_role("button", name="Answer", exact=True)
    await expect(answer_button).to_be_enabled(timeout=15_000)
    outcome = page.locator("#call-outcome")
    await expect(outcome).to_contain_text("not answered within the queue's rings", timeout=30_000)
    await expect(page.locator("#state .badge")).to_have_text("Not ready (no answer)")
    await expect(answer_button).to_be_disabled()  # the softphone's ringing was cancelled
    _, answer = await desk.get(f"/api/v1/agents/{AGENT}")
    assert (answer["agent"]["state"], answer["agent"]["misses_in_row"]) == ("not_ready", 1)
    call.cancel()


async def test_the_page_closed_mid_call_ends_the_call_and_leaves_the_agent_not_ready(
    lab: LabInstance, desk: ServerProcess, media_page: Page
) -> None:
    """Bad input (issue 15): the agent closes the desktop during a call. The softphone's
    call ends, the record is complete, and the login is not left ready on a dead phone:
    after the wrap-up the agent is not ready (unavailable)."""
    page = media_page
    await _signed_in(lab, desk, page)
    call = place_call(lab, "support", "5557003", hangup_after_ms=10_000, media=True)
    answer_button = page.get_by_role("button", name="Answer", exact=True)
    await expect(answer_button).to_be_enabled(timeout=15_000)
    await answer_button.click()
    await expect(page.locator("#state .badge")).to_have_text("On call", timeout=10_000)

    await page.context.close()

    await until_state(desk, AGENT, "not_ready", within=20)
    _, answer = await desk.get(f"/api/v1/agents/{AGENT}")
    assert answer["agent"]["reason"] == "unavailable", answer
    closed_at = time.time()
    # The caller's leg ends too (Asterisk's BYE, which this SIPp caller did not expect:
    # its exit status says the scenario was cut short, as it was).
    await call.wait(within_s=30)
    await eventually(lambda: history_written(desk), within=10, what="the call record written")
    _, listed = await desk.get("/api/v1/calls?queue=support")
    record = listed["calls"][-1]
    assert record["caller"] == "5557003" and record["ended_at"] is not None, record
    talk = [seg for seg in record["segments"] if seg["kind"] == "talk"]
    assert [seg["agent"] for seg in talk] == [AGENT], record
    assert record["released_by"] == "agent" and talk[0]["end"] < closed_at + 5, record
