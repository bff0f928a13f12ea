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
import re
import signal
import sqlite3
import sys
from collections import Counter
from pathlib import Path

import pytest

from cti.domain.outbound.pacing import DialMode
from cti.lab import instance, process
from cti.storage.campaign_store import CampaignStore
from cti.storage.config_store import ConfigStore
from cti.storage.database import open_database
from cti.storage.tokens import Role
from tests.lab.conftest import unique_lab_name
from tests.lab.server import free_port

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


async def run_demo(workdir: Path, name: str) -> tuple[int, str]:
    """The demo's exit status and output; stopped with SIGTERM if it overruns."""
    log = workdir / "demo.log"
    argv = ["demo", "--name", name, "--http-port", str(free_port())]
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "cti", *argv, "--seconds", str(DEMO_SECONDS)),
            cwd=workdir,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            async with asyncio.timeout(DEMO_SECONDS + SETUP_AND_TEARDOWN_S):
                await proc.wait()
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                async with asyncio.timeout(60):
                    await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, log.read_text(errors="replace")


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
        assert inbound_answered(database) >= 1
        assert await wallboard_sign_in_works(output, database)
        passed = True
    finally:  # keep the lab's files (Asterisk's log) when something failed
        await asyncio.to_thread(instance.down, name, purge=passed)
