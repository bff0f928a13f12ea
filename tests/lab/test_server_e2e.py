"""End to end: a real Asterisk (the lab), SIPp callers, and `cti serve` as a process.

C1: waiting callers are seen live, survive a SIGKILL of the server in their original order,
and the AMI link recovers on its own when Asterisk restarts. A SIGTERM is a clean stop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from cti.lab.instance import LabInstance
from cti.lab.sipp import place_call
from tests.lab.server import ServerProcess, eventually

pytestmark = pytest.mark.lab


@pytest.fixture
async def server(lab: LabInstance, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    # A killed SIPp caller sends no BYE, so its channel would wait on in the lab's Asterisk;
    # each test starts from an empty Asterisk.
    await asyncio.to_thread(lab.cli, "channel request hangup all")
    process = ServerProcess(lab, tmp_path)
    await process.configure("queues: []\n")  # nothing routed: callers only wait
    await process.start()
    yield process
    await process.kill()


async def test_a_waiting_caller_is_on_metrics_and_the_api_until_it_hangs_up(
    lab: LabInstance, server: ServerProcess
) -> None:
    call = place_call(lab, "e2e-live", "5551001", hangup_after_ms=4000)

    async def one_waiting() -> bool:
        waiting = await server.metric("cti_queue_calls_waiting", queue="e2e-live")
        return waiting == 1 and await server.waiting("e2e-live") == ["5551001"]

    await eventually(one_waiting, within=5, what="caller waiting on /metrics and the API")
    assert await call.wait(within_s=15) == 0

    async def none_waiting() -> bool:
        waiting = await server.metric("cti_queue_calls_waiting", queue="e2e-live")
        return waiting == 0 and await server.waiting("e2e-live") == []

    await eventually(none_waiting, within=5, what="queue back to 0 after the hang-up")
    assert (
        await server.metric("cti_queue_calls_left_total", queue="e2e-live", outcome="abandoned")
        == 1
    )


async def test_three_waiting_callers_are_readopted_in_order_after_sigkill(
    lab: LabInstance, server: ServerProcess
) -> None:
    callers = ["5552001", "5552002", "5552003"]
    calls = []
    for caller in callers:
        calls.append(place_call(lab, "e2e-restart", caller, hangup_after_ms=60_000))
        await eventually(lambda c=caller: _has(server, "e2e-restart", c), within=5, what=caller)
    assert await server.waiting("e2e-restart") == callers

    await server.kill()
    (server.workdir / "again").mkdir()
    restarted = ServerProcess(lab, server.workdir / "again")
    await restarted.configure("queues: []\n")
    await restarted.start()
    try:
        readopted = await eventually(
            lambda: server_waiting(restarted, 3), within=10, what="three callers re-adopted"
        )
        assert readopted == callers
        assert await restarted.metric("cti_ami_resync_corrections_total") == 3
    finally:
        await restarted.kill()
        for call in calls:
            await call.cancel_and_wait()


async def test_a_hung_asterisk_is_reported_within_the_watchdog_time_then_recovered(
    lab: LabInstance, server: ServerProcess
) -> None:
    watchdog = 1.0 * (3 + 1)  # (max_missed_pings + 1) x ping_interval, as configured

    os.kill(lab.pid, signal.SIGSTOP)  # the TCP session stays open; only pings can tell
    stopped = time.monotonic()
    try:
        await eventually(_reports_down(server), within=watchdog + 1.5, what="/healthz: AMI down")
        assert time.monotonic() - stopped <= watchdog + 1.5
    finally:
        os.kill(lab.pid, signal.SIGCONT)
    await eventually(_back_up(server, 1), within=20, what="AMI reconnected on its own")
    assert await server.metric("cti_ami_reconnects_total") == 1


async def test_asterisk_restart_is_survived_and_counted(
    lab: LabInstance, server: ServerProcess
) -> None:
    await asyncio.to_thread(lab.restart_asterisk)

    await eventually(_back_up(server, 1), within=30, what="AMI reconnected after the restart")
    assert await server.metric("cti_ami_reconnects_total") == 1
    assert await server.metric("cti_ami_connected") == 1


async def test_a_sigterm_is_a_clean_stop_logged_to_the_log_file_only(
    lab: LabInstance, tmp_path: Path
) -> None:
    """Exit 0, and no WARNING or ERROR record: a link stopped on purpose is not a link that
    went down. With log.file set, the records go there and stderr stays empty."""
    log_file = tmp_path / "cti.log"
    server = ServerProcess(lab, tmp_path, log_file=log_file)
    await server.configure("queues: []\n")
    await server.start()

    try:
        await server.kill(signal.SIGTERM)
    finally:
        await server.kill()

    assert server.proc is not None and server.proc.returncode == 0, server.log_tail()
    records = log_file.read_text().splitlines()
    assert any(" INFO cti.ami.link: AMI logged in to " in r for r in records)  # it was up
    assert records[-1].endswith(" INFO cti.wiring: stopped"), records[-5:]
    assert [r for r in records if " WARNING " in r or " ERROR " in r] == []
    assert server.log.read_text() == ""


def _reports_down(server: ServerProcess) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        status, body = await server.get("/healthz")
        return status == 503 and body["ami"]["connected"] is False

    return check


def _back_up(server: ServerProcess, reconnects: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        status, body = await server.get("/healthz")
        return status == 200 and body["ami"]["reconnects"] == reconnects

    return check


async def _has(server: ServerProcess, queue: str, caller: str) -> bool:
    return caller in await server.waiting(queue)


async def server_waiting(server: ServerProcess, count: int) -> list[str] | None:
    waiting = await server.waiting("e2e-restart")
    return waiting if len(waiting) == count else None
