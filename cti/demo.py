"""`cti demo`: the lab's Asterisk, the server attached to it, SIPp agents and callers.

Rule 1: everything the demo starts, it stops on Ctrl-C (or SIGTERM): callers, softphones,
the server, then the lab's Asterisk.
Rule 2: the server runs in this process exactly as `cti serve` would, on the lab's
configuration, with its database under .cti/demo/.
Rule 3: the demo configures two queues and its agents (PIN 1234) through the same store
`cti admin` uses, logs the agents in through the API, and shows the ACD at work: one agent
never answers (ring-limit misses, then "no answer"; a supervisor sets it ready again every
30 s), the others answer, talk and hang up first, then wrap up until the queue's maximum.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from dataclasses import replace
from pathlib import Path

import aiohttp

from cti import logs, settings
from cti.lab import instance
from cti.lab.rootfs import LabError
from cti.lab.sipp import Softphone
from cti.lab.traffic import Traffic, TrafficProfile
from cti.main import serve
from cti.storage.config_import import import_files
from cti.storage.config_store import ConfigStore
from cti.storage.database import open_database

DEMO_DIR = Path(".cti/demo")
STATUS_EVERY_S = 10.0
READY_AGAIN_EVERY_S = 30.0
PIN = "1234"
QUEUES_YAML = """\
queues:
  - {id: support, ring_limit: 3, ring_cadence: 2, max_wrap_up: 8}
  - {id: sales, ring_limit: 2, ring_cadence: 2, max_wrap_up: 5}
reasons:
  - {code: break, max_seconds: 900}
"""


def run_demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cti demo", description=__doc__)
    parser.add_argument("--name", default="demo", help="lab instance name")
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--calls-per-minute", type=float, default=12.0)
    parser.add_argument("--agents", type=int, default=4, help="softphones registered")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_demo(args))
    except LabError as exc:
        print(f"cti demo: {exc}")
        return 2
    return 0


async def _demo(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("starting the lab's Asterisk (the first run builds its root filesystem: ~1 min)")
    lab = await asyncio.to_thread(instance.up, args.name)
    try:
        await _with_lab(lab, args, stop)
    finally:
        await asyncio.to_thread(instance.down, args.name)
        print("demo stopped; the lab is down")


async def _with_lab(
    lab: instance.LabInstance, args: argparse.Namespace, stop: asyncio.Event
) -> None:
    conf = await asyncio.to_thread(_demo_settings, lab, args.http_port)
    logs.configure(conf.log.level, conf.log.format)
    agents = list(lab.devices[: args.agents])
    token = await _configure(conf.database.url, agents)
    server = asyncio.create_task(serve(conf, stop), name="cti-serve")
    phones = [
        Softphone(lab, device, "no_answer")
        if n == 0
        else Softphone(
            lab, device, "answer_hangup_first", ring_ms=1500 * n, talk_ms=6000 + 3000 * n
        )
        for n, device in enumerate(agents)
    ]
    traffic = Traffic(
        lab,
        TrafficProfile(
            queues=("support", "sales"),
            calls_per_minute=args.calls_per_minute,
            patience_ms=(20_000, 90_000),
        ),
    )
    try:
        for phone in phones:
            await phone.start()
        api = _Api(args.http_port, token)
        for agent in agents:
            await api.log_in(agent)
        traffic.start()
        _print_where_to_look(args.http_port, len(phones), token)
        await _report_until(stop, api, agents)
    finally:
        await traffic.stop()
        for phone in phones:
            with contextlib.suppress(Exception):
                await phone.stop()
        stop.set()
        await server


def _demo_settings(lab: instance.LabInstance, port: int) -> settings.Settings:
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    conf = settings.load(str(lab.server_config))
    return replace(
        conf,
        http=replace(conf.http, port=port),
        database=replace(
            conf.database,
            url=f"sqlite+aiosqlite:///{DEMO_DIR.resolve()}/cti.db",
            spool=str(DEMO_DIR / "history.spool"),
        ),
        log=replace(conf.log, format="text"),
    )


async def _configure(url: str, agents: list[str]) -> str:
    """Queues, reasons and agents in the demo's database; a supervisor token."""
    database = await open_database(url)
    try:
        store = ConfigStore(database)
        yaml_text = (
            QUEUES_YAML
            + "agents:\n"
            + "".join(
                f'  - {{id: "{a}", pin: "{PIN}", queues: {{support: 0, sales: 1}}}}\n'
                for a in agents
            )
        )
        path = DEMO_DIR / "acd.yaml"
        path.write_text(yaml_text)
        await import_files(store, [path])
        return await store.create_token("demo", "supervisor")
    finally:
        await database.close()


class _Api:
    def __init__(self, port: int, token: str) -> None:
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.timeout = aiohttp.ClientTimeout(total=5)

    async def call(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        async with (
            aiohttp.ClientSession(timeout=self.timeout, headers=self.headers) as session,
            session.request(method, self.base + path, json=body) as response,
        ):
            return response.status, await response.json()

    async def log_in(self, agent: str) -> None:
        for _ in range(50):  # the server may still be connecting to Asterisk
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                # Takeover: a demo started again on its own database finds its agents
                # still logged in from the last run (the server takes them back, C1).
                body = {"pin": PIN, "device": agent, "takeover": True}
                status, _ = await self.call("POST", f"/agents/{agent}/login", body)
                if status == 200:
                    return
            await asyncio.sleep(0.2)
        print(f"[demo] agent {agent} could not log in")


def _print_where_to_look(port: int, agents: int, token: str) -> None:
    base = f"http://127.0.0.1:{port}"
    print(
        f"\nCTI demo running: {agents} agents logged in (the first never answers), calls coming.\n"
        f"  metrics:        {base}/metrics   (cti_queue_*, cti_offers_total, cti_ring_limit_*)\n"
        f"  queues, agents: {base}/api/v1/queues, {base}/api/v1/agents\n"
        f"  live events:    ws://127.0.0.1:{port}/api/v1/events?token=<token>\n"
        f"  health:         {base}/healthz\n"
        f"  supervisor token: {token}\n"
        "Ctrl-C stops the callers, the softphones, the server and the lab.\n"
    )


async def _report_until(stop: asyncio.Event, api: _Api, agents: list[str]) -> None:
    loop = asyncio.get_running_loop()
    ready_again = loop.time() + READY_AGAIN_EVERY_S
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), STATUS_EVERY_S)
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, KeyError, TypeError):
            _, queues = await api.call("GET", "/queues")
            _, listed = await api.call("GET", "/agents")
            print(f"[demo] {_summary(queues, listed)}")
            if loop.time() >= ready_again:
                ready_again = loop.time() + READY_AGAIN_EVERY_S
                await _ready_again(api, listed)


def _summary(queues: object, listed: object) -> str:
    assert isinstance(queues, dict) and isinstance(listed, dict)
    waiting = ", ".join(f"{q['queue']}: {q['waiting']} waiting" for q in queues["queues"])
    states = ", ".join(
        f"{a['agent']} {a['state']}" + (f" ({a['reason']})" if a.get("reason") else "")
        for a in listed["agents"]
    )
    return f"{waiting} | {states}"


async def _ready_again(api: _Api, listed: object) -> None:
    """A supervisor forces agents that missed their offers back to ready (C8)."""
    assert isinstance(listed, dict)
    for agent in listed["agents"]:
        if agent.get("reason") == "no answer":
            await api.call("POST", f"/agents/{agent['agent']}/ready", {})
