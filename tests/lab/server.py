"""The server under test: `cti serve` as a real process, pointed at the lab's Asterisk (or,
for the API's own tests, at an AMI port where nothing listens: `NO_ASTERISK`).

Tests drive and observe it only through its public surface (HTTP API, /metrics), with the
client the demo uses (cti/api/client.py): tokens in headers, a timeout on every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final, TypeVar

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from cti.api.client import ApiClient
from cti.lab.instance import LabInstance
from tests import waiting

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def no_asterisk() -> str:
    """An [ami] section for a server without Asterisk: a port nobody listens on (the server
    keeps trying to connect, which is what it does in production while Asterisk is down)."""
    return f'[ami]\nhost = "127.0.0.1"\nport = {free_port()}\nusername = "cti"\nsecret = "x"\n'


class ServerProcess:
    def __init__(
        self,
        lab: LabInstance | str,  # the lab, or the [ami] section itself (no_asterisk())
        workdir: Path,
        *,
        ping_interval: float = 1.0,
        log_file: Path | None = None,
        database_url: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.database_url = database_url or f"sqlite+aiosqlite:///{workdir}/cti.db"
        self.port = free_port()
        self.config = workdir / "cti.toml"
        self.log = workdir / "server.log"  # its stdout and stderr (and log, unless log_file)
        self.config.write_text(
            (lab if isinstance(lab, str) else lab.server_config.read_text())
            + f"ping_interval = {ping_interval}\nmax_backoff = 2.0\n"
            + f'\n[http]\nhost = "127.0.0.1"\nport = {self.port}\n'
            + f'\n[database]\nurl = "{self.database_url}"\n'
            + f'spool = "{workdir}/history.spool"\n'
            + '\n[log]\nformat = "text"\nlevel = "INFO"\n'
            + (f'file = "{log_file}"\n' if log_file else "")
        )
        self.proc: asyncio.subprocess.Process | None = None
        self.token: str | None = None  # the supervisor token `get` sends
        self.ami_port: int | None = None  # AMI somewhere else than the lab's (a proxy)
        self.profile: Path | None = None  # run under cProfile, its figures written here at stop

    async def admin(self, *args: str, stdin: str = "") -> str:
        """Run `cti admin` against this server's database; its stdout, or AssertionError."""
        status, out, err = await self.run("admin", *args, stdin=stdin)
        assert status == 0, f"cti admin {' '.join(args)}: {err}"
        return out

    async def run(
        self, command: str, *args: str, within: float = 60, stdin: str = ""
    ) -> tuple[int, str, str]:
        """Run `cti COMMAND --config <this server's> ARGS...` until it exits (within
        `within` seconds), `stdin` its input: its exit status, stdout and stderr."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cti",
            command,
            "--config",
            str(self.config),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(within):
            out, err = await proc.communicate(stdin.encode())
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    async def configure(self, yaml_text: str) -> None:
        """Import queues, agents and reasons, and create the supervisor token."""
        path = self.workdir / "acd.yaml"
        path.write_text(yaml_text)
        await self.admin("import", str(path))
        if self.token is None:
            created = await self.admin("token", "create", "--role", "supervisor", "--name", "lab")
            self.token = created.strip()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, *, ami: bool = True) -> None:
        """Start `cti serve`; wait until AMI is connected (or, `ami=False`, until it answers)."""
        env = None
        if self.ami_port is not None:  # the environment wins over the file (settings rule 2)
            env = {**os.environ, "CTI_AMI_PORT": str(self.ami_port)}
        with self.log.open("ab") as log:
            profiling = ("-m", "cProfile", "-o", str(self.profile)) if self.profile else ()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                *profiling,
                "-m",
                "cti",
                "serve",
                "--config",
                str(self.config),
                stdout=log,
                stderr=log,
                env=env,
            )
        if ami:
            await eventually(self._ami_connected, within=30, what="server up, AMI connected")
        else:
            await eventually(self._answering, within=30, what="server answering HTTP")

    async def _ami_connected(self) -> bool:
        _, body = await self.get("/healthz")
        return bool(body["ami"]["connected"])

    async def _answering(self) -> bool:
        status, _ = await self.get("/healthz")
        return status in (200, 503)

    async def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(sig)
            async with asyncio.timeout(20):
                await self.proc.wait()

    async def get(self, path: str, token: str | None = None) -> tuple[int, Any]:
        return await self.request("GET", path, token=token)

    def api(self, token: str | None = None) -> ApiClient:
        """A client of this server as `token`'s holder (the supervisor token by default)."""
        return ApiClient(self.url, token or self.token)

    async def request(
        self, method: str, path: str, body: Any = None, *, token: str | None = None
    ) -> tuple[int, Any]:
        return await self.api(token).request(method, path, body)

    async def post(self, path: str, body: Any = None, *, token: str | None = None) -> Any:
        """POST to the API; the JSON answer, or UnexpectedAnswer naming the status."""
        return await self.api(token).expect("POST", path, body or {})

    async def log_in(self, agent: str, pin: str = "1234") -> str:
        """Log an agent in on its own device (PJSIP/<agent>); the agent's token."""
        answer = await self.post(f"/api/v1/agents/{agent}/login", {"pin": pin, "device": agent})
        return str(answer["token"])

    def events(self) -> EventTap:
        assert self.token is not None, "configure() first: the tap needs a supervisor token"
        return EventTap(self.api())

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


class EventTap:
    """A supervisor's WebSocket event stream, collected in the background."""

    def __init__(self, api: ApiClient) -> None:
        self._api = api
        self.seen: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def __aenter__(self) -> EventTap:
        self._task = asyncio.create_task(self._read())
        async with asyncio.timeout(10):
            await self._ready.wait()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _read(self) -> None:
        async with self._api.websocket("/api/v1/events") as socket_:
            async for message in socket_:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                event = message.json()
                if event.get("type") == "snapshot":
                    self._ready.set()
                self.seen.append(event)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.seen if e.get("type") == kind]

    def offers(self) -> list[dict[str, Any]]:
        return [e["offer"] for e in self.of("offer_ended")]

    def calls(self) -> list[dict[str, Any]]:
        return [e["record"] for e in self.of("call_ended")]

    def findings(self) -> list[dict[str, Any]]:
        return [e["finding"] for e in self.of("finding")]

    def caller_of(self, call_id: str) -> str:
        for event in self.of("call_waiting"):
            if event["call"]["call"] == call_id:
                return str(event["call"]["caller"])
        raise KeyError(call_id)

    async def wait(self, check: Callable[[EventTap], bool], *, within: float, what: str) -> None:
        await waiting.eventually(lambda: check(self), within=within, what=what, every=0.05)


# What a server still starting (or a key not there yet) raises: "not yet", not a failure.
NOT_YET: Final = (aiohttp.ClientError, OSError, KeyError)


async def eventually(
    check: Callable[[], Awaitable[T]], *, within: float, what: str, every: float = 0.2
) -> T:
    """tests/waiting.py's eventually, polling the server (errors of NOT_YET tolerated)."""
    return await waiting.eventually(check, within=within, what=what, every=every, tolerate=NOT_YET)
