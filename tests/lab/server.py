"""The server under test: `cti serve` as a real process, pointed at the lab's Asterisk.

Tests drive and observe it only through its public surface (HTTP API, /metrics).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from cti.lab.instance import LabInstance

T = TypeVar("T")
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    def __init__(self, lab: LabInstance, workdir: Path, *, ping_interval: float = 1.0) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.config = workdir / "cti.toml"
        self.log = workdir / "server.log"
        self.config.write_text(
            lab.server_config.read_text()
            + f"ping_interval = {ping_interval}\nmax_backoff = 2.0\n"
            + f'\n[http]\nhost = "127.0.0.1"\nport = {self.port}\n'
            + f'\n[database]\nurl = "sqlite+aiosqlite:///{workdir}/cti.db"\n'
            + f'spool = "{workdir}/history.spool"\n'
            + '\n[log]\nformat = "text"\nlevel = "INFO"\n'
        )
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "cti.cli",
                "serve",
                "--config",
                str(self.config),
                stdout=log,
                stderr=log,
            )
        await eventually(self._ami_connected, within=30, what="server up, AMI connected")

    async def _ami_connected(self) -> bool:
        _, body = await self.get("/healthz")
        return bool(body["ami"]["connected"])

    async def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(sig)
            async with asyncio.timeout(20):
                await self.proc.wait()

    async def get(self, path: str) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session,
            session.get(self.url + path) as response,
        ):
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()

    async def metric(self, name: str, **labels: str) -> float | None:
        _, text = await self.get("/metrics")
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return float(sample.value)
        return None

    async def waiting(self, queue: str) -> list[str]:
        """Callers waiting in `queue`, in the server's order, from the public API."""
        _, body = await self.get("/api/v1/queues")
        for entry in body["queues"]:
            if entry["queue"] == queue:
                return [call["caller"] for call in entry["calls"]]
        return []

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text().splitlines()[-lines:])
        return ""


async def eventually(
    check: Callable[[], Awaitable[T]], *, within: float, what: str, every: float = 0.2
) -> T:
    """Poll until `check` returns a truthy value; fail naming `what` and the last value."""
    last: Any = None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        with contextlib.suppress(aiohttp.ClientError, OSError, KeyError):
            last = await check()
            if last:
                return last
        await asyncio.sleep(every)
    raise AssertionError(f"not within {within} s: {what} (last: {last!r})")
