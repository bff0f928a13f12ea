"""The sign-in page and the wallboard in headless chromium (issue 14), against a real
`cti serve`: the server is observed through the page only, but for the changes the test
makes through the API, as an agent's desktop would."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from playwright.async_api import Page, expect

from cti.domain.ids import CallId, ChannelId, QueueId
from cti.domain.inputs import CallerQueued
from cti.domain.queue import WaitingCall
from tests.api.harness import Api
from tests.browser import PASSWORD, sign_in
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


async def test_an_urgent_caller_raises_an_alert_and_the_tiles_show_levels_and_today(
    page: Page, driven: Api
) -> None:
    """Issue 14: today's figures on the tile, a threshold's level in words beside its
    colour, and the alerts as they happen, newest first (P10, the longest wait)."""
    url = str(driven.client.make_url("")).rstrip("/")
    await sign_in(page, url)
    await expect(page.locator("#link")).to_have_text("live")
    support = page.locator('.tile[data-queue="support"]')
    await expect(support.locator(".today")).to_contain_text("Offered4")
    await expect(support.locator(".today")).to_contain_text("Abandon %25 %")
    await expect(support.locator(".today")).to_contain_text("Service level (20 s)50 %")
    await expect(support.locator(".today")).to_contain_text("✖ alert")  # 50 % < 70 %
    await expect(support.locator(".today")).to_contain_text("ASA0:19")
    await expect(support.locator(".today")).to_contain_text("AHT1:33")
    await expect(support.locator("dd.at-alert").first).to_contain_text("0 ✖ alert")  # ready
    alerts = page.locator("#alerts li")
    await expect(alerts).to_have_count(1)  # judged at start: the service level is below 70 %
    await expect(alerts.first).to_contain_text("support: today's service level is 50 % (alert")
    await expect(page.locator("#no-alerts")).to_be_hidden()

    entry = WaitingCall(
        call=CallId("u1"), channel=ChannelId("u1"), queue=QueueId("support"), priority=5,
        caller="+15550007777", entered_at=driven.now(),
    )  # fmt: skip
    driven.engine.submit(CallerQueued(at=driven.now(), entry=entry))

    await expect(alerts.first).to_contain_text("Urgent caller +15550007777 (priority 5)")
    await expect(alerts.first.locator(".flag")).to_have_text("✖ alert")
    driven.clock.advance(61)  # the caller waits on: the longest wait reaches 60 s
    await expect(alerts.first).to_contain_text("support: a caller has waited 1:0")
    await expect(alerts.first.locator(".flag")).to_have_text("⚠ warn")
    await expect(alerts).to_have_count(3)  # newest first
    wait = support.locator("dd", has_text="⚠ warn")
    await expect(wait).to_contain_text("1:0")
    await expect(support).to_have_class("tile level-alert")
    await page.screenshot(path=str(SHOTS / "wallboard-alerts-1280.png"), full_page=True)
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await page.screenshot(path=str(SHOTS / "wallboard-alerts-1920.png"), full_page=True)


async def test_the_agents_table_sorts_filters_and_moves_a_changed_row_to_its_place(
    page: Page, driven: Api
) -> None:
    """Rows are kept and updated in place (cti/web/rows.js): a sort puts them in order, a
    live change moves only the changed row to where the order now puts it, the filter
    takes rows out and gives them back."""
    token = await driven.log_in("1001")
    await driven.log_in("1002")
    await sign_in(page, str(driven.client.make_url("")).rstrip("/"))
    rows = page.locator("#agents tbody tr")
    await expect(rows.locator(".badge")).to_have_text(["Ready", "Ready"])
    await page.evaluate("window.sameDocument = true")

    await page.get_by_role("button", name="State", exact=True).click()  # ascending: ready first
    await driven.call("POST", "/api/v1/agents/1001/not-ready", token, {"reason": "lunch"})
    await expect(rows).to_contain_text(["1002", "1001"])  # moved behind, live
    await page.get_by_role("button", name="State", exact=True).click()  # descending
    await expect(rows).to_contain_text(["1001", "1002"])
    await page.get_by_role("button", name="State", exact=True).click()  # ascending again
    await expect(rows).to_contain_text(["1002", "1001"])

    await page.get_by_label("Filter").fill("lunch")
    await expect(rows).to_contain_text(["1001"])
    await driven.call("POST", "/api/v1/agents/1001/ready", token, {})
    await expect(rows).to_have_count(0)  # no longer matches: out of the table
    await page.get_by_label("Filter").fill("")
    await expect(rows).to_contain_text(["1001", "1002"])  # both ready: by id
    await expect(rows.locator(".badge")).to_have_text(["Ready", "Ready"])
    assert await page.evaluate("window.sameDocument") is True


async def test_a_viewer_sees_the_board_with_numbers_masked_and_no_actions(
    page: Page, driven: Api
) -> None:
    """P22: a wall display's account (role viewer) gets the live board, every caller's
    number masked, in the callers, the agents' current calls and the alerts; choosing a
    row opens no actions, and there is no notice form nor break requests' section (the
    feed sends a viewer none)."""
    await driven.store.put_supervisor("wall", "viewer", PASSWORD)
    await driven.log_in("1001")
    driven.caller_queued("c1", "+15550001234")
    await driven.until_state("1001", "offered")
    driven.answered("c1", "1001")
    await driven.until_state("1001", "on_call")
    driven.caller_queued("u1", "+15550007777", priority=5)

    await sign_in(page, str(driven.client.make_url("")).rstrip("/"), name="wall")
    await expect(page.locator("#link")).to_have_text("live")
    await expect(page.locator("#who")).to_have_text("wall (view only: numbers masked)")
    await expect(page.locator("#callers tbody tr")).to_contain_text(["********7777"])
    row = page.locator('#agents tr[data-agent="1001"]')
    await expect(row).to_contain_text("********1234 · support")
    await expect(page.locator("#alerts li").first).to_contain_text("Urgent caller ********7777")
    await expect(page.locator("#notice-form")).to_be_hidden()
    await expect(page.locator("section.breaks")).to_be_hidden()
    await expect(page.locator("section.notices")).to_be_visible()
    await row.click()
    await expect(row).not_to_have_class("selected")
    await expect(page.locator("#agent-panel")).to_be_hidden()
    assert "+1555000" not in await page.content()
    await expect(page.locator("#no-callers")).to_be_hidden()
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(SHOTS / "wallboard-viewer-1280.png"), full_page=True)
