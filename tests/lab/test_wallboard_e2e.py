"""The wallboard against the lab (issue 14): a SIPp caller entering a queue shows on the
page within a second of the server having it, and leaves it as quickly when it hangs up.
The page is observed in headless chromium; the API is read only to know when the server
had the change, so that the page's delay is what is measured."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from cti.lab.instance import LabInstance
from cti.lab.sipp import place_call
from tests.browser import PASSWORD, sign_in
from tests.lab.server import ServerProcess, eventually
from tests.web.test_wallboard import SHOTS

pytestmark = pytest.mark.lab
QUEUE = "wallboard-e2e"


@pytest.fixture
async def board(lab: LabInstance, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    await asyncio.to_thread(lab.cli, "channel request hangup all")  # an empty Asterisk
    process = ServerProcess(lab, tmp_path)
    await process.configure("queues: []\n")  # nothing routed: callers only wait
    await process.admin("supervisor", "add", "ann", stdin=PASSWORD + "\n")
    await process.start()
    yield process
    await process.kill()


async def test_a_caller_shows_within_a_second_and_leaves_when_it_hangs_up(
    lab: LabInstance, board: ServerProcess, page: Page
) -> None:
    await sign_in(page, board)
    await expect(page.locator("#link")).to_have_text("live")

    call = place_call(lab, QUEUE, "5551234", hangup_after_ms=3000)
    await eventually(
        lambda: _waiting(board, ["5551234"]), within=10, every=0.01, what="the server has it"
    )
    row = page.locator("#callers tbody tr")
    await expect(row).to_have_count(1, timeout=1000)
    await expect(row).to_contain_text("5551234", timeout=1000)
    await expect(row).to_contain_text(QUEUE, timeout=1000)
    tile = page.locator(f'.tile[data-queue="{QUEUE}"] .waiting')
    await expect(tile).to_have_text("1", timeout=1000)
    await page.screenshot(path=str(SHOTS / "wallboard-caller-1280.png"), full_page=True)

    assert await call.wait(within_s=15) == 0
    await eventually(lambda: _waiting(board, []), within=10, every=0.01, what="it has left")
    await expect(row).to_have_count(0, timeout=1000)
    await expect(tile).to_have_text("0", timeout=1000)
    await expect(page.locator("#no-callers")).to_be_visible()


async def _waiting(board: ServerProcess, expected: list[str]) -> bool:
    return await board.waiting(QUEUE) == expected


async def test_an_urgent_caller_raises_the_alert_at_once(
    lab: LabInstance, board: ServerProcess, page: Page
) -> None:
    """P10: a caller marked urgent by the trunk (X-CTI-Priority) is an alert on the page."""
    await sign_in(page, board)
    await expect(page.locator("#link")).to_have_text("live")
    call = place_call(lab, QUEUE, "5559999", priority=5, hangup_after_ms=3000)
    alert = page.locator("#alerts li").first
    await expect(alert).to_contain_text("Urgent caller 5559999 (priority 5)", timeout=5000)
    await expect(alert.locator(".flag")).to_have_text("✖ alert")
    await expect(page.locator("#callers tbody tr")).to_contain_text("▲ 5")
    await page.screenshot(path=str(SHOTS / "wallboard-urgent-lab-1280.png"), full_page=True)
    assert await call.wait(within_s=15) == 0
