"""End to end, `cti demo` (issue 4): the demo run as a user runs it, `python -m cti demo`
in a fresh working directory (its database is .cti/demo/cti.db there), with its own lab
instance and HTTP port, stopping by itself after --seconds.

What is asserted is read back from the demo's database once it has exited (attempts by
campaign and result, the campaigns' dial modes, inbound call records), from its console
(the status lines, and nothing of the server's log, which is in the file the console names)
and from the lab (Asterisk and every SIPp stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from cti.domain.outbound.pacing import DialMode
from cti.lab import instance, process
from cti.storage.campaign_store import CampaignStore
from cti.storage.config_store import ConfigStore
from cti.storage.database import open_database
from cti.storage.tokens import Role
from tests import waiting
from tests.browser import media_browser, page_of, sign_in
from tests.lab.conftest import unique_lab_name
from tests.lab.server import free_port
from tests.web.test_wallboard import SHOTS

__all__ = ["media_browser"]  # the fixture, used by name
pytestmark = pytest.mark.lab

DEMO_SECONDS = 75
SETUP_AND_TEARDOWN_S = 120  # lab up, softphones registered; then everything stopped
# A record as the server logs it in text format: "2026-01-02 10:11:12,345 INFO cti.x: ...".
LOG_RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: ")
# What the console may show: the demo's own lines and its where-to-look block.
CONSOLE_LINE = re.compile(
    r"\[demo\] |  |CTI demo running: |Outbound: |Agent desktop: |Ctrl-C stops |starting the lab's "
    r"|demo stopped"
)


@contextlib.asynccontextmanager
async def demo_running(
    workdir: Path, name: str, seconds: int = DEMO_SECONDS
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`cti demo` running for `seconds`, its console in workdir/demo.log; on leaving, the
    demo has exited (stopped with SIGTERM if it overran)."""
    argv = ["demo", "--name", name, "--http-port", str(free_port()), "--seconds", str(seconds)]
    with (workdir / "demo.log").open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "cti", *argv),
            cwd=workdir,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            yield proc
            async with asyncio.timeout(seconds + SETUP_AND_TEARDOWN_S):
                await proc.wait()
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                async with asyncio.timeout(60):
                    await proc.wait()


async def run_demo(workdir: Path, name: str) -> tuple[int, str]:
    """The demo's exit status and output; stopped with SIGTERM if it overruns."""
    async with demo_running(workdir, name) as proc:
        pass
    assert proc.returncode is not None
    return proc.returncode, (workdir / "demo.log").read_text(errors="replace")


def server_log_of(console: str) -> Path:
    """The server's log file, as the console's where-to-look block names it; its lines are
    the server's, and none of them reached the console."""
    named = re.search(r"^  server log: +(\S+)$", console, re.MULTILINE)
    assert named, f"the console names no server log: {console[:2000]}"
    stray = [line for line in console.splitlines() if line and not CONSOLE_LINE.match(line)]
    assert stray == [], stray[:20]
    # Issue 15: the desktop's address and an agent without a SIPp phone, for a person.
    assert re.search(r"^Agent desktop: +http://\S+/desk +\(agent 1099, PIN 1234,", console, re.M)
    assert not LOG_RECORD.search(console), "a server log record on the console"
    log = Path(named[1])
    records = [line for line in log.read_text().splitlines() if LOG_RECORD.match(line)]
    assert any("cti.wiring: listening on" in line for line in records), records[:20]
    assert any(line.endswith("cti.wiring: stopped") for line in records), records[-20:]
    return log


async def attempts_by_mode(database: Path) -> dict[DialMode, Counter[str]]:
    """Each dial mode's attempts by result, over every campaign of that mode."""
    opened = await open_database(f"sqlite+aiosqlite:///{database}")
    try:
        modes = {c.config.id: c.config.mode for c in await CampaignStore(opened).list_campaigns()}
    finally:
        await opened.close()
    found: dict[DialMode, Counter[str]] = {mode: Counter() for mode in DialMode}
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT campaign_id, result, count(*) FROM dial_attempts GROUP BY 1, 2")
        for campaign, result, count in rows:
            found[modes[campaign]][result] += count
    return found


async def wallboard_sign_in_works(console: str, database: Path) -> bool:
    """The console names the wallboard and a sign-in that the demo's database takes."""
    shown = re.search(r"wallboard: +http://\S+/ +\(sign in as (\S+), password (\S+)\)", console)
    assert shown, f"no wallboard sign-in on the console: {console[:2000]}"
    opened = await open_database(f"sqlite+aiosqlite:///{database}")
    try:
        role = await ConfigStore(opened).verify_password(shown[1], shown[2])
    finally:
        await opened.close()
    return role is Role.SUPERVISOR


def inbound_answered(database: Path) -> int:
    with sqlite3.connect(database) as db:
        query = "SELECT count(*) FROM call_records WHERE queue IN ('support', 'sales') AND answered"
        return int(db.execute(query).fetchone()[0])


async def test_the_demo_dials_in_every_mode_answers_callers_and_stops_by_itself(
    tmp_path: Path,
) -> None:
    """Preview, progressive and predictive campaigns each record attempts and connect at
    least one customer, the demo's preview agent skips at least one contact, inbound
    callers are answered; after --seconds the demo exits 0 with its lab down."""
    name, passed = unique_lab_name("demotest"), False
    try:
        status, output = await run_demo(tmp_path, name)
        assert status == 0, output[-3000:]
        lab = instance.load(name)
        assert not lab.status().pid_alive, "the demo's Asterisk still runs"
        assert process.recorded_pids(lab.sipp_pids) == [], "SIPp left running"
        assert "demo stopped; the lab is down" in output
        assert server_log_of(output) == (tmp_path / ".cti" / "demo" / "server.log").resolve()
        database = tmp_path / ".cti" / "demo" / "cti.db"
        found = await attempts_by_mode(database)
        for mode in DialMode:
            assert found[mode]["connected"] >= 1, (mode, found)
            shown = re.search(rf"\[demo\] {mode}-1 \(running\): [1-9][0-9]* attempts", output)
            assert shown, f"no status line for the {mode} campaign"
        assert found[DialMode.PREVIEW]["skipped"] >= 1, found
        # issue 18: the progressive agents are on nailed-up lines: nobody is abandoned
        assert found[DialMode.PROGRESSIVE]["abandoned"] == 0, found
        assert inbound_answered(database) >= 1
        assert await wallboard_sign_in_works(output, database)
        passed = True
    finally:  # keep the lab's files (Asterisk's log) when something failed
        await asyncio.to_thread(instance.down, name, purge=passed)


async def console_line(workdir: Path, pattern: str, within: float = 150) -> re.Match[str]:
    """The first match of pattern on the running demo's console, once printed."""
    async with asyncio.timeout(within):
        while True:
            shown = re.search(pattern, (workdir / "demo.log").read_text(errors="replace"), re.M)
            if shown:
                return shown
            await asyncio.sleep(0.5)


def talked(database: Path, agent: str) -> list[tuple[str, str | None, str | None]]:
    """The calls `agent` talked on: the record's side released first, the wrap-up's code."""
    query = (
        "SELECT r.released_by, w.disposition, t.queue FROM call_segments t"
        " JOIN call_records r ON r.call_id = t.call_id"
        " LEFT JOIN call_segments w ON w.call_id = t.call_id AND w.kind = 'wrap_up'"
        " AND w.agent_id = t.agent_id WHERE t.kind = 'talk' AND t.agent_id = ?"
    )
    with sqlite3.connect(database) as db:
        return [(str(a), b, c) for a, b, c in db.execute(query, (agent,))]


async def test_a_person_takes_a_demo_call_on_the_desktop_and_the_wallboard_counts_it(
    tmp_path: Path, media_browser: Browser
) -> None:
    """Issue 15's 'done when', as a newcomer does it: `cti demo` runs, the console names the
    desktop and agent 1099; in Chromium (a fake microphone) 1099 signs in on the page's
    softphone, takes one of the demo's calls with audio both ways, hangs up, wraps it up,
    and the wallboard (signed in as the console says) counts the call on 1099's row."""
    name, passed = unique_lab_name("demodesk"), False
    try:
        async with demo_running(tmp_path, name, seconds=150) as proc:
            desk = await console_line(tmp_path, r"^Agent desktop: +(http://\S+)/desk +\(agent 1099")
            board = await console_line(
                tmp_path, r"wallboard: +(http://\S+)/ +\(sign in as (\S+), password (\S+)\)"
            )
            async with page_of(media_browser) as page:
                await take_one_call(page, desk[1])
                async with page_of(media_browser) as wallboard:
                    await sign_in(wallboard, board[1], board[3], board[2])
                    calls = wallboard.locator('#agents tr[data-agent="1099"] td:nth-child(6)')
                    await expect(calls).to_have_text("1", timeout=15_000)
                    await wallboard.screenshot(
                        path=str(SHOTS / "demo-wallboard-after-desk-call-1280.png"), full_page=True
                    )
            proc.send_signal(signal.SIGINT)  # the person presses Ctrl-C
        assert proc.returncode == 0
        [(released_by, _, queue)] = talked(tmp_path / ".cti" / "demo" / "cti.db", "1099")
        assert (released_by, queue in ("support", "sales")) == ("agent", True)
        passed = True
    finally:
        await asyncio.to_thread(instance.down, name, purge=passed)


async def take_one_call(page: Page, base: str) -> None:
    """Sign 1099 in on the page's softphone, answer the first call, talk, hang up, wrap up."""
    await page.goto(base + "/desk")
    await page.get_by_label("Agent id").fill("1099")
    await page.get_by_label("PIN").fill("1234")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#phone-status")).to_contain_text("registered", timeout=15_000)
    await expect(page.locator("#state .badge")).to_have_text("Ready")
    answer = page.get_by_role("button", name="Answer", exact=True)
    await expect(answer).to_be_enabled(timeout=90_000)  # 12 calls a minute, among 5 agents
    await answer.click()
    await expect(page.locator("#state .badge")).to_have_text("On call", timeout=10_000)

    async def both_ways() -> bool:
        counted: Any = await page.evaluate("window.softphone.packets()")
        return bool(counted["sent"] >= 50 and counted["received"] >= 50)

    await waiting.eventually(both_ways, within=15, every=0.2, what="audio from and to the browser")
    await page.get_by_role("button", name="Hang up").click()
    await expect(page.locator("#wrap")).to_be_visible(timeout=10_000)
    codes = page.locator("#wrap-codes input")
    if await codes.count():
        await codes.first.check()
    await page.screenshot(path=str(SHOTS / "demo-desk-wrap-up-1280.png"), full_page=True)
    await page.get_by_role("button", name="Done").click()
    await expect(page.locator("#wrap")).to_be_hidden()
    await expect(page.locator("#today-calls")).to_have_text("1", timeout=15_000)
