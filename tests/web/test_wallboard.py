"""The sign-in page and the wallboard in headless chromium (issue 14), against a real
`cti serve`: the server is observed through the page only, but for the changes the test
makes through the API, as an agent's desktop would."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from playwright.async_api import Page, expect

from tests.browser import sign_in
from tests.lab.server import ServerProcess

SHOTS: Final = Path(__file__).parent / "shots"  # screenshots for a person to look at


async def test_a_supervisor_signs_in_and_sees_queues_and_agents(
    page: Page, board: ServerProcess
) -> None:
    await page.goto(board.url + "/")
    await expect(page).to_have_url(board.url + "/signin")  # not signed in yet

    await sign_in(page, board)

    await expect(page).to_have_url(board.url + "/")
    await expect(page.locator("#link")).to_have_text("live")
    await expect(page.locator("#who")).to_have_text("ann (supervisor)")
    await expect(page.locator(".tile h3")).to_have_text(["sales", "support"])
    rows = page.locator("#agents tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("1001")
    await expect(rows.nth(0).locator(".badge")).to_have_text("Logged out")
    await expect(page.locator("#no-callers")).to_be_visible()
    await page.screenshot(path=str(SHOTS / "wallboard-empty-1280.png"), full_page=True)
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await page.screenshot(path=str(SHOTS / "wallboard-empty-1920.png"), full_page=True)


async def test_a_change_shows_at_once_without_a_reload(page: Page, board: ServerProcess) -> None:
    """The live feed: an admin adds an agent through the API after ann's page is up; its
    row appears, and the queue tile counts it, with no reload (the page is the same one)."""
    token = (await board.admin("token", "create", "--role", "admin", "--name", "t")).strip()
    await sign_in(page, board)
    await expect(page.locator("#agents tbody tr")).to_have_count(2)
    await page.evaluate("window.sameDocument = true")

    body = {"name": "Cleo", "queues": {"support": 0}}
    status, answer = await board.request("PUT", "/api/v1/admin/agents/1003", body, token=token)
    assert status == 200, answer

    row = page.locator('#agents tr[data-agent="1003"]')
    await expect(row).to_contain_text("Cleo")
    await expect(row.locator(".badge")).to_have_text("Logged out")
    assert await page.evaluate("window.sameDocument") is True


async def test_a_wrong_password_says_so_and_the_sixth_try_is_refused(
    page: Page, board: ServerProcess
) -> None:
    for _ in range(5):
        await sign_in(page, board, "not the password")
        await expect(page.locator("#error")).to_have_text("wrong name or password")
    await sign_in(page, board)  # the right one, too soon
    await expect(page.locator("#error")).to_contain_text("too many failed sign-ins: try again in")
    await expect(page).to_have_url(board.url + "/signin")
    await page.screenshot(path=str(SHOTS / "signin-refused-1280.png"))


async def test_signing_out_returns_to_the_sign_in_page_and_the_board_is_closed(
    page: Page, board: ServerProcess
) -> None:
    await sign_in(page, board)
    await expect(page.locator("#link")).to_have_text("live")

    await page.get_by_role("button", name="Sign out").click()

    await expect(page).to_have_url(board.url + "/signin")
    await page.goto(board.url + "/")
    await expect(page).to_have_url(board.url + "/signin")
