"""The AMI link against the lab's Asterisk: fail fast, never late (C1, DESIGN.md §4)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator

import pytest

from cti import settings
from cti.ami import actions
from cti.ami.link import AmiLink, AmiUnavailable, LinkCallbacks, LinkSettings
from cti.lab.instance import LabInstance
from tests.waiting import eventually

pytestmark = pytest.mark.lab


def _link(lab: LabInstance, up: asyncio.Event, down: list[str]) -> AmiLink:
    ami = settings.load(str(lab.server_config)).ami
    return AmiLink(
        LinkSettings(
            host=ami.host,
            port=ami.port,
            username=ami.username,
            secret=ami.secret,
            ping_interval=0.5,
            max_missed_pings=3,
            action_timeout=10.0,
        ),
        LinkCallbacks(
            on_frame=lambda _: None,
            on_malformed=lambda f, r: None,
            on_up=up.set,
            on_down=down.append,
        ),
    )


@pytest.fixture
async def running(lab: LabInstance) -> AsyncIterator[tuple[AmiLink, asyncio.Event, list[str]]]:
    up, down = asyncio.Event(), []
    link = _link(lab, up, down)
    task = asyncio.create_task(link.run())
    async with asyncio.timeout(10):
        await up.wait()
    yield link, up, down
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_call_control_fails_at_once_while_the_link_is_down(lab: LabInstance) -> None:
    link = _link(lab, asyncio.Event(), [])  # never started: no session
    started = time.monotonic()

    with pytest.raises(AmiUnavailable, match="Redirect"):
        await link.send(actions.redirect("PJSIP/x-1", "cti-connect", "s"))

    assert time.monotonic() - started < 0.1


async def test_an_action_in_flight_fails_when_the_link_dies_not_at_its_timeout(
    lab: LabInstance, running: tuple[AmiLink, asyncio.Event, list[str]]
) -> None:
    link, _, down = running
    os.kill(lab.pid, signal.SIGSTOP)  # Asterisk stops answering; the session stays open
    try:
        started = time.monotonic()
        with pytest.raises(AmiUnavailable):
            await link.send(actions.core_show_channels(), within=10.0)
        elapsed = time.monotonic() - started
    finally:
        os.kill(lab.pid, signal.SIGCONT)

    assert elapsed < 0.5 * (3 + 1) + 1.0  # the watchdog's bound, well before the 10 s timeout
    assert down and "pings unanswered" in down[0]


async def test_the_link_logs_in_again_by_itself_after_the_watchdog_closed_it(
    lab: LabInstance, running: tuple[AmiLink, asyncio.Event, list[str]]
) -> None:
    link, up, down = running
    up.clear()
    os.kill(lab.pid, signal.SIGSTOP)
    try:
        await eventually(lambda: bool(down), within=10, what="the watchdog closed the link")
    finally:
        os.kill(lab.pid, signal.SIGCONT)

    async with asyncio.timeout(15):
        await up.wait()
    assert link.logins == 2 and link.reconnects == 1
    assert (await link.send(actions.ping()))["Response"] == "Success"
