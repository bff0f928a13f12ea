"""Fixtures of the pages' tests: a browser (tests/browser.py) and a real `cti serve`, or the
server as `cti serve` assembles it in this process (tests/api/harness.py), for a test that
drives its telephony (callers) without an Asterisk."""

from __future__ import annotations

import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cti.domain.ids import Instant
from cti.domain.records import VisitOutcome
from cti.domain.today import day_of
from tests.api.conftest import SERVED_YAML
from tests.api.harness import Api, running_api
from tests.api.test_queue_figures import visit, wrapped
from tests.browser import PASSWORD, browser, page
from tests.lab.server import ServerProcess, no_asterisk

__all__ = ["browser", "page"]  # the fixtures, used by name


@pytest.fixture
async def board(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """A real `cti serve` on SQLite without Asterisk, SERVED_YAML's queues and agents, and
    the supervisor ann (PASSWORD)."""
    process = ServerProcess(no_asterisk(), tmp_path)
    await process.configure(SERVED_YAML)
    await process.admin("supervisor", "add", "ann", stdin=PASSWORD + "\n")
    await process.start(ami=False)
    try:
        yield process
    finally:
        await process.kill(signal.SIGTERM)


@pytest.fixture
async def driven(tmp_path: Path) -> AsyncIterator[Api]:
    """The assembled server (tests/api/harness.py: its seed's queues, agents and reasons)
    serving the pages on a local port, with the supervisor ann (PASSWORD) and a few calls of
    today (UTC) in support: three answered (10, 35 and 12 s), one abandoned, two handled."""
    start = day_of(Instant(time.time()), ZoneInfo("UTC")).start
    calls = [
        visit(1, start, 10, VisitOutcome.CONNECTED),
        visit(2, start + 60, 35, VisitOutcome.CONNECTED),  # after T (20 s)
        visit(3, start + 120, 50, VisitOutcome.ABANDONED),
        visit(4, start + 180, 12, VisitOutcome.CONNECTED),
        wrapped("c1", "1001", start, 20),
        wrapped("c2", "1002", start + 60, 10),
    ]
    async with running_api(tmp_path, stored=calls) as api:
        await api.store.put_supervisor("ann", "supervisor", PASSWORD)
        yield api
