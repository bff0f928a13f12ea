"""The lab's fixtures: one real Asterisk per test session (torn down at the end), a fresh
`cti serve` per test, a plain AMI session with its event tap, the customers behind the trunk.

A lab that cannot start fails the tests with the lab's own message (what to do), never
skips them: a skipped end-to-end suite looks green and proves nothing.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from panoramisk import Manager

from cti.lab import instance
from cti.lab.instance import LabInstance
from cti.lab.render import RenderError
from cti.lab.rootfs import LabError
from cti.lab.sipp import Customers
from tests.browser import browser, page
from tests.lab.ami_tap import Tap, connect
from tests.lab.server import ServerProcess
from tests.postgres import postgres_server

__all__ = ["browser", "page", "postgres_server"]  # fixtures (the outage test's database,
# the wallboard's browser), used by name


def unique_lab_name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Iterator[LabInstance]:
    name = unique_lab_name("pytest")
    try:
        started = instance.up(name, devices=instance.DEFAULT_DEVICES)
    except (LabError, RenderError) as exc:
        instance.down(name)
        pytest.fail(f"the lab did not start: {exc}", pytrace=False)
    yield started
    # Keep the instance's files (Asterisk's log, SIPp traces) when something failed.
    instance.down(name, purge=request.session.testsfailed == 0)


@pytest.fixture
async def server(lab: LabInstance, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """A `cti serve` of its own for the test (not started: configure it first), killed after."""
    await asyncio.to_thread(lab.cli, "channel request hangup all")
    process = ServerProcess(lab, tmp_path)
    yield process
    await process.kill()


@pytest.fixture
async def ami(lab: LabInstance) -> AsyncIterator[tuple[Manager, Tap]]:
    manager, tap = await connect(lab), Tap()
    manager.register_event("*", tap.on_event)
    yield manager, tap
    manager.close()


@pytest.fixture
async def customers(lab: LabInstance) -> AsyncIterator[Customers]:
    customers = Customers(lab)
    await customers.start()
    try:
        yield customers
    finally:
        await customers.stop()
