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
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from cti.domain.outbound.campaign import AttemptResult
from cti.lab.instance import LabInstance
from cti.lab.sipp import Customers, Softphone, customer_number, place_call
from tests.browser import media_browser, media_page
from tests.lab.scenarios import (
    CAMPAIGN,
    acd_yaml,
    admin_token,
    campaign_body,
    contact_of,
    history_written,
    outbound_yaml,
    phones,
    store_of,
    until_state,
)
from tests.lab.server import ServerProcess, eventually
from tests.web.test_wallboard import SHOTS

__all__ = ["media_browser", "media_page"]  # the fixtures, used by name
pytestmark = pytest.mark.lab
AGENT = "1099"


@contextlib.asynccontextmanager
async def serving(lab: LabInstance, tmp_path: Path, yaml_text: str) -> AsyncIterator[ServerProcess]:
    """`cti serve` on the lab with this configuration, killed at the end."""
    await asyncio.to_thread(lab.cli, "channel request hangup all")
    process = ServerProcess(lab, tmp_path)
    await process.configure(yaml_text)
    await process.start()
    try:
        yield process
    finally:
        await process.kill()


@pytest.fixture
async def desk(lab: LabInstance, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    async with serving(
        lab, tmp_path, acd_yaml({AGENT: "support"}, ring_limit=2, max_wrap_up=1)
    ) as s:
        yield s


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


def _seconds(segment: dict[str, Any]) -> float:
    return float(segment["end"]) - float(segment["start"])


async def _last_record(server: ServerProcess) -> dict[str, Any]:
    """The latest call record, once written: after the last agent's wrap-up ends."""

    async def listed() -> list[dict[str, Any]]:
        if not await history_written(server):
            return []
        _, answer = await server.get("/api/v1/calls")
        return list(answer["calls"])

    await eventually(listed, within=15, what="the call record written")
    return (await listed())[-1]


async def _answered_on_the_page(page: Page) -> float:
    """Click Answer once the softphone rings; when the page shows the call connected."""
    answer_button = page.get_by_role("button", name="Answer", exact=True)
    await expect(answer_button).to_be_enabled(timeout=15_000)
    await answer_button.click()
    await expect(page.locator("#state .badge")).to_have_text("On call", timeout=10_000)
    return time.time()


async def test_the_caller_hangs_up_and_the_wrap_up_on_the_page_records_the_disposition(
    lab: LabInstance, tmp_path: Path, media_page: Page
) -> None:
    """C4: support requires one of its codes; the caller hangs up first, the page's wrap-up
    panel offers solved / callback with the time left, the agent picks one and clicks Done.
    The record has the disposition, the talk and wrap-up seconds the page lived through,
    and `caller` as the side that released first (P2)."""
    yaml_text = acd_yaml(
        {AGENT: "support"},
        max_wrap_up=60,
        dispositions=["solved", "callback"],
        disposition_required="true",
    )
    async with serving(lab, tmp_path, yaml_text) as server:
        page = media_page
        await _signed_in(lab, server, page)
        call = place_call(lab, "support", "5557004", hangup_after_ms=9_000, media=True)
        answered = await _answered_on_the_page(page)
        await expect(page.locator("#wrap")).to_be_visible(timeout=20_000)
        hung_up = time.time()
        assert await call.wait(within_s=10) == 0
        await expect(page.locator("#state .badge")).to_have_text("Wrap-up")
        await expect(page.locator("#wrap-codes label")).to_have_text(["solved", "callback"])
        await expect(page.locator("#wrap-left")).to_contain_text("left")
        done_button = page.get_by_role("button", name="Done")
        await expect(done_button).to_be_disabled()  # support requires a code
        await page.get_by_label("solved", exact=True).check()
        await expect(done_button).to_be_enabled()
        await asyncio.sleep(2.0)  # the agent writes notes: wrap-up time the record must show
        await done_button.click()
        await expect(page.locator("#state .badge")).to_have_text("Ready")
        done = time.time()

        record = await _last_record(server)
    assert record["caller"] == "5557004" and record["released_by"] == "caller", record
    [talk] = [s for s in record["segments"] if s["kind"] == "talk"]
    [wrap] = [s for s in record["segments"] if s["kind"] == "wrap_up"]
    assert (talk["agent"], wrap["agent"], wrap["disposition"]) == (AGENT, AGENT, "solved")
    assert _seconds(talk) == pytest.approx(hung_up - answered, abs=0.6), record
    assert _seconds(wrap) == pytest.approx(done - hung_up, abs=0.6), record
    assert wrap["outcome"] == "agent", record  # ended by Done, not by the limit


async def test_a_blind_transfer_from_the_page_ends_with_one_talk_segment_per_agent(
    lab: LabInstance, tmp_path: Path, media_page: Page
) -> None:
    """P8: the page's agent sends the caller to sales, where 1011 (a SIPp phone) answers;
    the browser's leg ends, 1099 goes to wrap-up, and the record has 1099's talk, then
    1011's."""
    yaml_text = acd_yaml({AGENT: "support", "1011": "sales"}, max_wrap_up=1)
    async with serving(lab, tmp_path, yaml_text) as server, phones(Softphone(lab, "1011")):
        await server.log_in("1011")
        page = media_page
        await _signed_in(lab, server, page)
        call = place_call(lab, "support", "5557005", hangup_after_ms=12_000, media=True)
        await _answered_on_the_page(page)
        await asyncio.sleep(1.0)
        await page.get_by_label("Queue", exact=True).select_option("sales")
        await page.get_by_role("button", name="Transfer to the queue").click()
        await expect(page.locator("#move-outcome")).to_have_text("Transfer: done")
        await expect(page.locator("#state .badge")).not_to_have_text("On call", timeout=10_000)
        await until_state(server, "1011", "on_call")
        await call.wait(within_s=30)
        record = await _last_record(server)
    talk = [(s["agent"], s["outcome"]) for s in record["segments"] if s["kind"] == "talk"]
    assert [agent for agent, _ in talk] == [AGENT, "1011"], record
    assert talk[0][1] == "transferred", record
    assert record["released_by"] == "caller", record


async def test_an_attended_transfer_from_the_page_ends_with_one_talk_segment_per_agent(
    lab: LabInstance, tmp_path: Path, media_page: Page
) -> None:
    """P8: the page's agent consults 1011 (a SIPp phone) while the caller holds; once 1011
    answers, the page enables Complete; the caller goes to 1011, who hangs up 4 s later.
    The record: 1099's talk, the hold, then 1011's talk, one each."""
    yaml_text = acd_yaml({AGENT: "support", "1011": "support"}, max_wrap_up=1)
    consulted = Softphone(lab, "1011", "answer_hangup_first", talk_ms=4000)
    async with serving(lab, tmp_path, yaml_text) as server, phones(consulted):
        page = media_page
        await _signed_in(lab, server, page)
        call = place_call(lab, "support", "5557006")  # waits for Asterisk's BYE
        await _answered_on_the_page(page)
        await server.log_in("1011")  # only now, so that the caller was offered to 1099
        await page.get_by_label("Agent", exact=True).fill("1011")
        await page.get_by_role("button", name="Consult").click()
        await expect(page.locator("#consult-state")).to_contain_text(
            "Talking with 1011", timeout=15_000
        )
        await page.screenshot(path=str(SHOTS / "desk-consult-lab-1280.png"), full_page=True)
        await page.get_by_role("button", name="Complete the transfer").click()
        await expect(page.locator("#state .badge")).to_have_text("Wrap-up", timeout=10_000)
        await until_state(server, "1011", "on_call")
        await call.wait(within_s=30)
        record = await _last_record(server)
    kinds = [(s["kind"], s["agent"]) for s in record["segments"] if s["kind"] in ("talk", "hold")]
    assert kinds == [("talk", AGENT), ("hold", AGENT), ("talk", "1011")], record
    assert record["released_by"] == "agent", record  # 1011 hung up first


async def _next_contact(page: Page) -> None:
    """Click "Next contact" until one is shown: the campaign's contacts are loaded from the
    store a moment after it starts or a contact is skipped, and until then the page says
    there is none to dial now."""
    take = page.get_by_role("button", name="Next contact")

    async def shown() -> bool:
        await take.click()
        try:
            await expect(page.locator("#out-contact")).to_be_visible(timeout=1000)
        except AssertionError:
            await expect(page.locator("#out-outcome")).to_contain_text("no contact to dial now")
            return False
        return True

    await eventually(shown, within=15, what="a contact to preview")
    await expect(page.locator("#out-script")).to_have_text("Offer the spring plan.")


async def test_a_preview_contact_is_shown_skipped_and_dialled_from_the_page(
    lab: LabInstance, tmp_path: Path, media_page: Page
) -> None:
    """P25: a preview campaign on the agent's queue; the page offers its next contact with
    the script and the campaign's shown fields, the agent skips one, dials the next, the
    customer answers, the softphone rings and is answered on the page, the agent hangs up."""
    first, second = customer_number("answer", 21), customer_number("answer", 22)
    async with serving(lab, tmp_path, outbound_yaml([AGENT])) as server, Customers(lab):
        admin = await admin_token(server)
        body = campaign_body("preview", script="Offer the spring plan.", shown_fields=["name"])
        status, answer = await server.request(
            "PUT", f"/api/v1/campaigns/{CAMPAIGN}", body, token=admin
        )
        assert status in (200, 201), answer
        csv = f"number,name,secret\n{first},Ada Lovelace,x\n{second},Alan Turing,y\n"
        path = f"/api/v1/campaigns/{CAMPAIGN}/contacts"
        assert (await server.api(admin).expect("POST", path, csv=csv))["imported"] == 2
        await server.post(f"/api/v1/campaigns/{CAMPAIGN}/start", token=admin)
        page = media_page
        await _signed_in(lab, server, page)  # the page reads the running campaign at sign-in

        card = page.locator("#outbound")
        await expect(page.get_by_label("Campaign", exact=True)).to_have_value(CAMPAIGN)
        await _next_contact(page)
        skipped = await page.locator("#out-number").text_content()
        await expect(page.locator("#out-fields dt")).to_have_text(["name"])  # not "secret"
        await page.screenshot(path=str(SHOTS / "desk-preview-lab-1280.png"), full_page=True)
        await page.get_by_role("button", name="Skip").click()
        await _next_contact(page)
        await expect(page.locator("#out-number")).not_to_have_text(skipped or "")
        dialled = await page.locator("#out-number").text_content()
        assert {skipped, dialled} == {first, second}
        await page.get_by_role("button", name="Dial").click()
        await _answered_on_the_page(page)
        await expect(card).to_contain_text("Offer the spring plan.")  # still shown on the call
        await page.get_by_role("button", name="Hang up").click()
        await expect(page.locator("#state .badge")).not_to_have_text("On call", timeout=10_000)
        async with store_of(server) as store:

            async def results() -> list[AttemptResult]:
                attempts = await store.attempts_of(contact_of(dialled or ""))
                return [a.result for a in attempts]

            got = await eventually(results, within=20, what="the dialled contact's attempt")
            skips = await store.attempts_of(contact_of(skipped or ""))
    assert got == [AttemptResult.CONNECTED], got
    assert [a.result for a in skips] == [AttemptResult.SKIPPED], skips
