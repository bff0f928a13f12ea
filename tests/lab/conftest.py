"""The lab's fixtures: one real Asterisk per test session (torn down at the end), a fresh
`cti serve` per test, a plain AMI session with its event tap, the customers behind the trunk.

Every test on the lab starts with no armed offer in Asterisk. A server that an earlier
test SIGKILLed leaves its arms behind (on purpose: valid while it is away,
dialplan/README.md). A test that plays the engine itself would then see its callers take
one, and its own offer would cancel that Dial (DialEnd CANCEL where it expects ANSWER).

A lab that cannot start fails the tests with the lab's own message (what to do), never
skips them: a skipped end-to-end suite looks green and proves nothing.
"""

from __future__ import annotations

import asyncio
import re
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

LEFT_ARM = re.compile(
    r"^\s*(CTI_ARM_(?!SLOTS=)\w+)=\S", re.M
)  # set; CTI_ARM_SLOTS is the contract's
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


async def clear_left_arms(lab: LabInstance) -> list[str]:
    """Empty every arm slot set in the lab's dialplan globals; the names emptied."""
    names = LEFT_ARM.findall(await asyncio.to_thread(lab.cli, "dialplan show globals"))
    if names:
        manager = await connect(lab)
        try:
            for name in names:
                async with asyncio.timeout(5):
                    await manager.send_action({"Action": "Setvar", "Variable": name, "Value": ""})
        finally:
            manager.close()
    return names


@pytest.fixture(autouse=True)
async def no_arms_left(request: pytest.FixtureRequest) -> None:
    """No armed offer left in the lab when a test on it starts (module docstring)."""
    if "lab" in request.fixturenames:
        await clear_left_arms(request.getfixturevalue("lab"))


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
