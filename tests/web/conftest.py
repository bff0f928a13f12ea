"""Fixtures of the pages' tests: a browser (tests/browser.py) and a real `cti serve`."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.conftest import SERVED_YAML
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
