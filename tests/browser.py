"""The pages in a real browser: Debian's chromium, headless, driven by Playwright (its own
browser downloads never used). The fixtures `browser` and `page`, for tests/web and the lab.

Chromium runs with a fresh profile and without its background networking (this machine's
network is closed: every such connection would be refused, many at a time).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Final

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.lab.server import ServerProcess

CHROMIUM: Final = "/usr/bin/chromium"
FLAGS: Final = (
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PASSWORD: Final = "correct horse battery"  # the supervisor ann's
# WebRTC without a person (DESIGN.md section 8): the microphone's prompt granted, a fake
# device (a tone, or the file a test names), peer connections on loopback, and host
# candidates by address rather than mDNS names, which Asterisk cannot resolve.
MEDIA_FLAGS: Final = (
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
)


@contextlib.asynccontextmanager
async def _chromium(args: list[str]) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=args
        )
        try:
            yield launched
        finally:
            await launched.close()


@contextlib.asynccontextmanager
async def page_of(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    opened = await context.new_page()
    opened.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        await context.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with _chromium(list(FLAGS)) as launched:
        yield launched


@pytest.fixture
async def media_browser() -> AsyncIterator[Browser]:
    """The browser with fake media (MEDIA_FLAGS), for the softphone's tests."""
    async with _chromium([*FLAGS, *MEDIA_FLAGS]) as launched:
        yield launched


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    async with page_of(browser) as opened:
        yield opened


@pytest.fixture
async def media_page(media_browser: Browser) -> AsyncIterator[Page]:
    """A page of the browser with fake media."""
    async with page_of(media_browser) as opened:
        yield opened


async def sign_in(
    page: Page, server: ServerProcess | str, password: str = PASSWORD, name: str = "ann"
) -> None:
    """Sign ann (or `name`) in through the sign-in page of the server (or the server at
    this URL)."""
    url = server if isinstance(server, str) else server.url
    await page.goto(url + "/signin")
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
