"""Fixtures for the API tests: one running API per test (see tests/api/harness.py), or a
real `cti serve` process (`served`) where the process itself is under test (its pools,
its stop, its answers under load)."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

import pytest

from tests.api.harness import Api, running_api
from tests.lab.server import ServerProcess, no_asterisk

SERVED_YAML: Final = """\
queues:
  - id: support
  - id: sales
reasons:
  - code: break
agents:
  - id: "1001"
    pin: "1234"
    queues: {support: 0}
  - id: "1002"
    pin: "1234"
    queues: {support: 0, sales: 0}
"""


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(tmp_path) as running:
        yield running


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """A real `cti serve` process on SQLite, without Asterisk (its AMI port is closed), with
    SERVED_YAML's queues, agents and reasons, and a supervisor token."""
    process = ServerProcess(no_asterisk(), tmp_path)
    await process.configure(SERVED_YAML)
    await process.start(ami=False)
    try:
        yield process
    finally:
        await process.kill(signal.SIGTERM)
