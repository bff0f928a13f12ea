"""Listen, whisper and barge against the lab (C8, P11), from the wallboard in headless
chromium: a SIPp caller talks to a SIPp agent; the supervisor's own SIPp phone (one that
sends media, as a real phone does) is called and ChanSpy runs on the agent's exact leg
(AMI ChanSpyStart names it); a switch of mode is ChanSpy's own key received on the
supervisor's leg, without a second call; each stretch is a monitoring record with the
right agent, mode and duration; the call's end ends the session. Also a not-ready click
on the page, and what is refused. The server is acted on through the page and read
through its API and /metrics; Asterisk through a plain AMI session."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from panoramisk import Manager
from playwright.async_api import Page, expect

from cti.lab.instance import LabInstance
from cti.lab.sipp import Softphone, place_call
from tests.browser import PASSWORD, sign_in
from tests.lab.ami_tap import Tap
from tests.lab.scenarios import acd_yaml, phones, start
from tests.lab.server import ServerProcess, eventually
from tests.web.test_wallboard import SHOTS

pytestmark = pytest.mark.lab
SUPERVISOR_PHONE = "1019"


async def _live(server: ServerProcess) -> list[dict[str, Any]]:
    status, body = await server.get("/api/v1/monitoring")
    assert status == 200, body
    return list(body["monitoring"])


async def _board(server: ServerProcess) -> None:
    """The server with agent 1001 in `support`, and the supervisor ann, whose phone is
    SUPERVISOR_PHONE, signed in to the wallboard."""
    await server.configure(acd_yaml({"1001": "support"}, max_wrap_up=1))
    await server.admin("supervisor", "add", "ann", stdin=PASSWORD + "\n")
    await server.admin("supervisor", "phone", "ann", SUPERVISOR_PHONE)
    await server.start()


async def test_listen_whisper_barge_from_the_page_spy_on_the_agents_exact_leg_and_are_recorded(
    lab: LabInstance, server: ServerProcess, ami: tuple[Manager, Tap], page: Page
) -> None:
    _manager, tap = ami
    await _board(server)
    async with phones(
        Softphone(lab, "1001", "answer"), Softphone(lab, SUPERVISOR_PHONE, "answer_media")
    ):
        await server.log_in("1001")
        await sign_in(page, server)
        await expect(page.locator("#link")).to_have_text("live")
        call = place_call(lab, "support", "5557001", hangup_after_ms=14_000)
        row = page.locator('#agents tr[data-agent="1001"]')
        await expect(row.locator(".badge")).to_have_text("On call", timeout=15_000)
        await row.click()
        await expect(page.locator("#panel-call")).to_contain_text("5557001")
        await expect(page.get_by_role("textbox", name="Your phone")).to_have_value(SUPERVISOR_PHONE)

        asked = time.monotonic()
        await page.locator("#spy-listen").click()
        bar = page.locator("#spy")
        await expect(bar).to_contain_text("Listening to agent 1001")
        _, start_event = await tap.first(
            lambda e: e.get("Event") == "ChanSpyStart", what="ChanSpyStart", within=10
        )
        dialled = [e for _, e in tap.events if e.get("Event") == "DialBegin"]
        [leg] = [e["DestUniqueid"] for e in dialled if e["DestChannel"].startswith("PJSIP/1001-")]
        assert start_event["SpyeeUniqueid"] == leg, start_event  # the agent's exact leg
        assert start_event["SpyeeChannel"].startswith("PJSIP/1001-"), start_event
        assert start_event["SpyerChannel"].startswith(f"PJSIP/{SUPERVISOR_PHONE}-"), start_event
        await expect(bar).not_to_contain_text("ringing")
        assert time.monotonic() - asked < 5

        await asyncio.sleep(1.5)  # a stretch long enough to measure
        await page.locator("#switch-whisper").click()
        await tap.first(lambda e: _key(e, "5"), what="ChanSpy's key 5 (whisper), received")
        await expect(bar).to_contain_text("Whispering to agent 1001")
        await asyncio.sleep(1.0)
        await page.locator("#switch-barge").click()
        await tap.first(lambda e: _key(e, "6"), what="ChanSpy's key 6 (barge)")
        await expect(bar).to_contain_text("Barging in on agent 1001")
        await page.set_viewport_size({"width": 1920, "height": 1080})
        await page.screenshot(path=str(SHOTS / "wallboard-barge-lab-1920.png"))
        assert _starts(tap) == 1  # the same ChanSpy on the same leg throughout
        assert not [e for _, e in tap.events if e.get("Event") == "ChanSpyStop"]
        originates = [e for _, e in tap.events if e.get("Event") == "OriginateResponse"]
        assert len(originates) == 1  # the supervisor was called once

        assert await call.wait(within_s=30) == 0  # the caller hangs up: ChanSpy's E ends it
        await expect(bar).to_be_hidden(timeout=10_000)
        await expect(page.locator("#spy-outcome")).to_have_text("Monitoring ended")
        assert await _live(server) == []

    async def stored() -> bool:
        _, body = await server.get("/api/v1/monitoring/sessions?agent=1001")
        return len(body["sessions"]) == 3

    await eventually(stored, within=10, what="three stretches stored")
    _, body = await server.get("/api/v1/monitoring/sessions?agent=1001")
    sessions = body["sessions"]
    assert [s["mode"] for s in sessions] == ["listen", "whisper", "barge"]
    assert {s["supervisor"] for s in sessions} == {"test"} or len(
        {s["supervisor"] for s in sessions}
    ) == 1
    assert {s["call"] for s in sessions} == {sessions[0]["call"]}
    assert 1.3 <= sessions[0]["seconds"] <= 3.0, sessions[0]
    assert 0.8 <= sessions[1]["seconds"] <= 2.5, sessions[1]
    assert sessions[0]["ended_at"] <= sessions[1]["started_at"] <= sessions[0]["ended_at"] + 0.5
    _, quota = await server.get("/api/v1/monitoring/quota")
    assert {q["agent"]: q["calls"] for q in quota["agents"]}["1001"] == 1
    assert await server.metric("cti_monitoring_week_calls", agent="1001") == 1.0
    assert await server.metric("cti_monitoring_sessions_total", mode="barge") == 1.0


async def _on_call(server: ServerProcess) -> bool:
    _, body = await server.get("/api/v1/agents/1001")
    return body["agent"]["state"] == "on_call"


def _key(event: dict[str, Any], digit: str) -> bool:
    """A key received on the supervisor's leg (AMI DTMFEnd, as PlayDTMF Receive gives)."""
    return (
        event.get("Event") == "DTMFEnd"
        and event.get("Digit") == digit
        and str(event.get("Uniqueid", "")).startswith("spy-")
    )


def _starts(tap: Tap) -> int:
    return sum(1 for _, e in tap.events if e.get("Event") == "ChanSpyStart")


async def _no_spies(server: ServerProcess) -> bool:
    return await _live(server) == []


async def test_not_ready_clicked_on_the_page_changes_the_agent_and_the_api_agrees(
    lab: LabInstance, server: ServerProcess, page: Page
) -> None:
    await _board(server)
    async with phones(Softphone(lab, "1001", "answer")):
        await server.log_in("1001")
        await sign_in(page, server)
        row = page.locator('#agents tr[data-agent="1001"]')
        await expect(row.locator(".badge")).to_have_text("Ready")
        await row.click()
        await page.get_by_label("Reason").select_option("break")
        await page.get_by_role("button", name="Make not ready").click()
        await expect(row.locator(".badge")).to_have_text("Not ready")
        _, body = await server.get("/api/v1/agents/1001")
        assert (body["agent"]["state"], body["agent"]["reason"]) == ("not_ready", "break")
        assert body["agent"]["status"]["by"] == "supervisor:ann"


async def test_a_spy_on_a_call_that_just_ended_or_an_unregistered_phone_is_refused(
    lab: LabInstance, server: ServerProcess
) -> None:
    started = await start(server, acd_yaml({"1001": "support"}, max_wrap_up=1))
    async with started, phones(Softphone(lab, "1001", "answer")):
        await server.log_in("1001")
        status, body = await server.request(
            "POST", "/api/v1/monitoring", {"agent": "1001", "mode": "listen", "device": "1018"}
        )
        assert (status, body["error"]) == (409, "agent 1001 is not on a call")
        call = place_call(lab, "support", "5557002", hangup_after_ms=4000)
        await eventually(lambda: _on_call(server), within=15, what="the agent talks")
        status, body = await server.request(
            "POST", "/api/v1/monitoring", {"agent": "1001", "mode": "listen", "device": "1018"}
        )
        assert (status, body["error"]) == (409, "device PJSIP/1018 is not registered")
        assert await call.wait(within_s=20) == 0
    assert await _live(server) == []
