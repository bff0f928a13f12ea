"""Benchmark: API latency under concurrent load, against a real server and a real Asterisk.

    python bench/api_load.py [--bursts 200,1000] [--repeat 5] [--agents 20] [--keep]
                             [--profile FILE]

One run starts its own lab (a real Asterisk) with --agents SIPp phones that register and
answer nothing, and `cti serve` as a process on SQLite (the embedded default) with five
queues, the agents (each in every queue) logged in through the API on their phones, and
a not-ready reason. No call is placed: this is the API alone.

A burst of N is N requests released at the same instant, each on a connection of its own
(as N browsers reconnecting at once after a network blip would), in a fixed mix:
  reads (12 of 20): the agents, the queues, one agent, a queue's figures, the last calls,
        the findings, /healthz (as a supervisor; /healthz without a token);
  agent commands (5 of 20): an agent's own token sets it not ready with the reason, or
        ready, alternately, each agent taking its turn (C8's own commands);
  admin writes (3 of 20): an admin token replaces a not-ready reason (stored, then
        the engine reloads the configuration: admin.py rule 2).
Latency is from the release to the whole answer read, on this process's clock. An error
is a transport failure, a timeout (30 s), or a status outside what the request may get:
2xx, and for an agent command 409 too (two commands for one agent in flight at once:
the second may find the state changed; the core refuses it whole, nothing is lost).

Each burst size is run --repeat times after a warm-up burst; figures are over all the
requests of a size. Prints p50, p99 and max per kind and overall, the statuses seen, the
CPU seconds of the server, Asterisk and this process during the bursts, then
`BENCH api_p99_ms_200 <n> ms` (target <= 250), `BENCH api_p99_ms_1000 <n> ms` and
`BENCH api_errors_1000 <n>` (target 0). This machine has two cores shared by the server,
Asterisk and this client: the client's own CPU is printed so the figures can be read
with it in mind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import aiohttp

REPO: Final = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/api_load.py` puts bench/ first, not REPO
    sys.path.insert(0, str(REPO))

from cti.lab import instance  # noqa: E402
from cti.lab.instance import LabInstance  # noqa: E402
from cti.lab.sipp import Softphone  # noqa: E402
from tests.lab.server import ServerProcess  # noqa: E402

PIN: Final = "1234"
QUEUES: Final = ("q1", "q2", "q3", "q4", "q5")
REASON: Final = "break"
TIMEOUT_S: Final = 30.0
# The mix, 20 slots: 12 reads, 5 agent commands, 3 admin writes.
MIX: Final = ("read",) * 12 + ("agent",) * 5 + ("admin",) * 3
IDS: Final = {*QUEUES, *(str(1001 + n) for n in range(1000)), *(f"bench{n}" for n in range(10))}


@dataclass(frozen=True, slots=True)
class Request:
    kind: str
    method: str
    path: str
    token: str | None
    body: object = None

    @property
    def label(self) -> str:
        """The route, ids left out: what the service-time table groups by."""
        route = self.path.split("?")[0].split("/")
        return f"{self.method} " + "/".join("ID" if part in IDS else part for part in route)


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str
    status: int  # 0: no answer (transport error or timeout)
    seconds: float
    error: str = ""


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Mix:
    """The requests of a burst, in MIX's order, cycling over agents, queues and reasons."""

    def __init__(self, agents: dict[str, str], supervisor: str, admin: str) -> None:
        self.agents = agents
        self.supervisor = supervisor
        self.admin = admin
        self.turn = 0
        self.ready: dict[str, bool] = dict.fromkeys(agents, True)

    def burst(self, size: int) -> list[Request]:
        return [self._next(MIX[n % len(MIX)]) for n in range(size)]

    def _next(self, kind: str) -> Request:
        self.turn += 1
        n = self.turn
        ids = list(self.agents)
        if kind == "agent":
            agent = ids[n % len(ids)]
            self.ready[agent] = not self.ready[agent]
            token = self.agents[agent]
            if self.ready[agent]:
                return Request(kind, "POST", f"/api/v1/agents/{agent}/ready", token)
            path = f"/api/v1/agents/{agent}/not-ready"
            return Request(kind, "POST", path, token, {"reason": REASON})
        if kind == "admin":
            body = {"label": f"Bench {n}", "max_seconds": 600 + n % 600}
            return Request(kind, "PUT", f"/api/v1/admin/reasons/bench{n % 10}", self.admin, body)
        reads = (
            "/api/v1/agents",
            "/api/v1/queues",
            f"/api/v1/agents/{ids[n % len(ids)]}",
            f"/api/v1/queues/{QUEUES[n % len(QUEUES)]}/figures",
            "/api/v1/calls?limit=50",
            "/api/v1/findings?limit=50",
            "/healthz",
        )
        path = reads[n % len(reads)]
        return Request(kind, "GET", path, None if path == "/healthz" else self.supervisor)


def allowed(request: Request, status: int) -> bool:
    return 200 <= status < 300 or (request.kind == "agent" and status == 409)


async def one(
    session: aiohttp.ClientSession, base: str, request: Request, go: asyncio.Event
) -> Outcome:
    headers = {} if request.token is None else {"Authorization": f"Bearer {request.token}"}
    await go.wait()
    started = time.monotonic()
    try:
        async with asyncio.timeout(TIMEOUT_S):
            async with session.request(
                request.method, base + request.path, json=request.body, headers=headers
            ) as response:
                await response.read()
                status = response.status
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return Outcome(request.kind, 0, time.monotonic() - started, type(exc).__name__)
    seconds = time.monotonic() - started
    return Outcome(request.kind, status, seconds, "" if allowed(request, status) else str(status))


async def burst(base: str, requests: Sequence[Request], settle_s: float = 0.05) -> list[Outcome]:
    """Every request at once, each on its own connection (force_close, no pool limit)."""
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        go = asyncio.Event()
        tasks = [asyncio.create_task(one(session, base, r, go)) for r in requests]
        await asyncio.sleep(settle_s)  # every task is waiting on `go`; then all are released
        go.set()
        return await asyncio.gather(*tasks)


async def service_times(base: str, requests: Sequence[Request]) -> None:
    """One request at a time, each on its own connection: what each route costs alone."""
    seconds: dict[str, list[float]] = {}
    for request in requests:
        outcome = (await burst(base, [request], settle_s=0))[0]
        assert not outcome.error, (request, outcome)
        seconds.setdefault(request.label, []).append(outcome.seconds * 1000)
    print("\nservice time, one request at a time:")
    print(f"  {'route':44} {'n':>4} {'mean ms':>8} {'p50 ms':>8}")
    for label, ms in sorted(seconds.items()):
        print(
            f"  {label:44} {len(ms):>4} {statistics.mean(ms):>8.2f} {statistics.median(ms):>8.2f}"
        )


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0-1) of the values."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def report(size: int, outcomes: Sequence[Outcome], cpu: dict[str, float]) -> tuple[float, int]:
    """Print the figures of one burst size; (p99 in ms, errors)."""
    errors = [o for o in outcomes if o.error]
    print(f"\n{size} concurrent, {len(outcomes)} requests:")
    print(f"  {'kind':7} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in ("read", "agent", "admin", "all"):
        ms = [o.seconds * 1000 for o in outcomes if kind in ("all", o.kind)]
        p50, p99 = statistics.median(ms), percentile(ms, 0.99)
        print(f"  {kind:7} {len(ms):>6} {p50:>8.1f} {p99:>8.1f} {max(ms):>8.1f}")
    statuses = Counter((o.kind, o.status) for o in outcomes)
    print("  statuses: " + ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(statuses.items())))
    print("  CPU s during the bursts: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    if errors:
        print(
            "  errors: "
            + ", ".join(f"{e}: {n}" for e, n in Counter(o.error for o in errors).items())
        )
    all_ms = [o.seconds * 1000 for o in outcomes]
    return percentile(all_ms, 0.99), len(errors)


async def set_up(lab: LabInstance, server: ServerProcess, devices: Sequence[str]) -> Mix:
    yaml = ["queues:", *(f"  - id: {q}" for q in QUEUES), "agents:"]
    member = "{" + ", ".join(f"{q}: 0" for q in QUEUES) + "}"
    yaml += [f'  - id: "{d}"\n    pin: "{PIN}"\n    queues: {member}' for d in devices]
    yaml += ["reasons:", f"  - code: {REASON}\n    label: Break"]
    await server.configure("\n".join(yaml) + "\n")
    await server.start()
    agents = {d: await server.log_in(d, PIN) for d in devices}
    for agent, token in agents.items():
        await server.post(f"/api/v1/agents/{agent}/ready", token=token)
    admin = (await server.admin("token", "create", "--role", "admin", "--name", "bench")).strip()
    assert server.token is not None
    return Mix(agents, server.token, admin)


async def run(lab: LabInstance, server: ServerProcess, args: argparse.Namespace) -> None:
    devices = list(lab.devices)
    phones = [Softphone(lab, d, "no_answer") for d in devices]
    try:
        for phone in phones:
            await phone.start_retrying()
        mix = await set_up(lab, server, devices)
        assert server.proc is not None
        pids = {"server": server.proc.pid, "asterisk": lab.pid, "this client": os.getpid()}
        await burst(server.url, mix.burst(50))  # warm-up: connections, caches, first writes
        await service_times(server.url, mix.burst(args.serial))
        figures: dict[int, tuple[float, int]] = {}
        for size in args.bursts:
            before = {k: cpu_seconds(p) for k, p in pids.items()}
            outcomes: list[Outcome] = []
            for _ in range(args.repeat):
                outcomes += await burst(server.url, mix.burst(size))
            cpu = {k: cpu_seconds(p) - before[k] for k, p in pids.items()}
            figures[size] = report(size, outcomes, cpu)
        assert server.proc.returncode is None, "the server died under the load"
    finally:
        for phone in phones:
            await phone.stop()
    for size, (p99, errors) in figures.items():
        print(f"BENCH api_p99_ms_{size} {p99:.1f} ms")
        print(f"BENCH api_errors_{size} {errors}")


async def main_async(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="cti-bench-api-"))
    name = f"bench-{secrets.token_hex(4)}"
    devices = tuple(str(1001 + n) for n in range(args.agents))
    print(f"lab {name}: starting Asterisk with {len(devices)} phones ...", flush=True)
    server: ServerProcess | None = None
    done = False
    try:
        lab = await asyncio.to_thread(instance.up, name, devices=devices)
        server = ServerProcess(lab, workdir)
        server.profile = args.profile
        await run(lab, server, args)
        done = True
    except BaseException:
        if server is not None:
            print(f"server log tail:\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        if server is not None:  # SIGTERM: a clean stop writes the profile
            await server.kill(signal.SIGTERM if args.profile else signal.SIGKILL)
        await asyncio.to_thread(instance.down, name, purge=done and not args.keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--bursts", type=lambda s: [int(n) for n in s.split(",")], default=[200, 1000]
    )
    parser.add_argument("--repeat", type=int, default=5, help="bursts of each size")
    parser.add_argument("--serial", type=int, default=400, help="requests one at a time")
    parser.add_argument("--agents", type=int, default=20, help="agent phones (1001...)")
    parser.add_argument("--keep", action="store_true", help="keep the lab's files")
    parser.add_argument("--profile", type=Path, help="run the server under cProfile, to here")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
