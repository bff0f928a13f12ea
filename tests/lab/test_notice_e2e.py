"""The outage notice against the lab (P20), set and cleared from the wallboard in headless
chromium: while set, the next SIPp caller of the queue hears it before queueing (its
CtiNotice UserEvent, then CtiQueueEnter; the metric counts it); once cleared, the next
caller queues at once. Asterisk is observed through a plain AMI session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from panoramisk import Manager
from playwright.async_api import Page, expect

from cti.lab.instance import LabInstance
from cti.lab.sipp import place_call
from tests.browser import PASSWORD, sign_in
from tests.lab.ami_tap import Tap
from tests.lab.scenarios import acd_yaml
from tests.lab.server import ServerProcess, eventually
from tests.web.test_wallboard import SHOTS

pytestmark = pytest.mark.lab
QUEUE = "support"


@pytest.fixture
async def board(lab: LabInstance, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    await asyncio.to_thread(lab.cli, "channel request hangup all")
    process = ServerProcess(lab, tmp_path)
    await process.configure(acd_yaml({"1001": "support"}))  # nobody logged in: callers wait
    await process.admin("supervisor", "add", "ann", stdin=PASSWORD + "\n")
    await process.start()
    yield process
    await process.kill()


def _user_events(tap: Tap, name: str, caller: str | None = None) -> list[dict[str, Any]]:
    return [
        e
        for _, e in tap.events
        if e.get("Event") == "UserEvent"
        and e.get("UserEvent") == name
        and (caller is None or e.get("CallerIDNum") == caller)
    ]


async def test_a_notice_set_from_the_page_is_heard_by_the_next_caller_and_not_once_cleared(
    lab: LabInstance, board: ServerProcess, page: Page, ami: tuple[Manager, Tap]
) -> None:
    _manager, tap = ami
    await sign_in(page, board)
    await expect(page.locator("#link")).to_have_text("live")
    await page.get_by_label("Queue", exact=True).select_option(QUEUE)
    await page.get_by_label("Prompt").fill("beep")
    await page.get_by_label("Text").fill("Network outage in the north: fixed by 18:00")
    await page.get_by_role("button", name="Set notice").click()
    notice = page.locator(f'#notices li[data-queue="{QUEUE}"]')
    await expect(notice).to_contain_text("Network outage in the north")
    await page.screenshot(path=str(SHOTS / "wallboard-notice-1280.png"), full_page=True)

    first = place_call(lab, QUEUE, "5558001", hangup_after_ms=2500)
    await tap.first(
        lambda e: bool(_user_events(tap, "CtiNotice", "5558001")), what="the first caller's notice"
    )
    await tap.first(
        lambda e: bool(_user_events(tap, "CtiQueueEnter", "5558001")), what="then it queues"
    )
    [heard] = _user_events(tap, "CtiNotice", "5558001")
    [entered] = _user_events(tap, "CtiQueueEnter", "5558001")
    assert float(heard["Timestamp"]) < float(entered["Timestamp"])  # before queueing
    assert heard["Queue"] == QUEUE

    async def counted() -> bool:
        return await board.metric("cti_outage_notices_played_total", queue=QUEUE) == 1.0

    await eventually(counted, within=5, what="the metric counts it")
    assert await board.metric("cti_outage_notice_set", queue=QUEUE) == 1.0
    assert await first.wait(within_s=20) == 0

    await notice.get_by_role("button", name=f"Clear the outage notice of {QUEUE}").click()
    await expect(notice).to_have_count(0)
    await expect(page.locator("#no-notices")).to_be_visible()
    second = place_call(lab, QUEUE, "5558002", hangup_after_ms=1500)
    await tap.first(
        lambda e: bool(_user_events(tap, "CtiQueueEnter", "5558002")), what="the second queues"
    )
    assert _user_events(tap, "CtiNotice", "5558002") == []  # at once, no notice
    assert await second.wait(within_s=20) == 0
    assert await board.metric("cti_outage_notices_played_total", queue=QUEUE) == 1.0
    assert await board.metric("cti_outage_notice_set", queue=QUEUE) == 0.0
