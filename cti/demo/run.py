"""`cti demo`: the lab's Asterisk, the server attached to it, SIPp agents, callers, customers.

Rule 1: everything the demo starts, it stops on Ctrl-C, SIGTERM or after --seconds: its
campaigns (paused), callers, softphones, customers, the server, then the lab's Asterisk.
A server that stops by itself stops the demo the same way.
Rule 2: the server runs in this process exactly as `cti serve` would, on the lab's
configuration, with its database under .cti/demo/ (relative to the working directory).
Rule 3: the demo configures two queues and its agents (PIN 1234) through the same store
`cti admin` uses, logs the agents in through the API, and shows the ACD at work: one agent
never answers (ring-limit misses, then "no answer"; a supervisor sets it ready again every
30 s), the others answer, talk and hang up first, then wrap up until the queue's maximum.
Its inbound agents are scheduled on queue from the minute it starts (cti/demo/schedule.py),
so adherence and attendance have something to judge.
Rule 4: the console shows where to look and the live status (cti/demo/status.py), never
the server's log (hundreds of lines a minute would scroll the addresses and tokens away):
that is appended to .cti/demo/server.log, whose path the where-to-look block prints.
The outbound side, its campaigns and the preview agent, is cti/demo/outbound.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import signal
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Final

import aiohttp

from cti import logs, settings
from cti.api.client import ApiClient, UnexpectedAnswer
from cti.demo import outbound as out
from cti.demo import schedule, status
from cti.lab import instance
from cti.lab.rootfs import LabError
from cti.lab.sipp import Customers, SippError, Softphone
from cti.lab.traffic import Traffic, TrafficProfile
from cti.storage.campaign_store import CampaignStore
from cti.storage.config_import import import_files
from cti.storage.config_store import ConfigStore
from cti.storage.database import open_database
from cti.wiring import serve

DEMO_DIR: Final = Path(".cti/demo")
SERVER_LOG: Final = "server.log"
DEMO_SUPERVISOR: Final = "demo"  # signs in to the wallboard with the password printed
STATUS_EVERY_S: Final = 10.0
READY_AGAIN_EVERY_S: Final = 30.0
LOGIN_TRIES: Final = 50  # 10 s: the server may still be connecting to Asterisk
PIN: Final = "1234"
DESK_AGENT: Final = "1099"  # no SIPp phone: a person signs in on the desktop's softphone
QUEUES_YAML: Final = """\
queues:
  - {id: support, ring_limit: 3, ring_cadence: 2, max_wrap_up: 8, record: true}
  - {id: sales, ring_limit: 2, ring_cadence: 2, max_wrap_up: 5}
reasons:
  - {code: break, max_seconds: 900}
"""
TRAFFIC: Final = TrafficProfile(queues=("support", "sales"), patience_ms=(20_000, 90_000))


def run_demo(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    wanted = args.agents + (sum(out.AGENTS.values()) if args.outbound else 0)
    if args.agents < 1 or wanted > len(instance.DEFAULT_DEVICES):
        parser.error(f"the lab has {len(instance.DEFAULT_DEVICES)} devices; {wanted} wanted")
    try:
        asyncio.run(_demo(args))
    except (LabError, SippError) as exc:
        print(f"cti demo: {exc}")
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cti demo", description=__doc__)
    parser.add_argument("--name", default="demo", help="lab instance name")
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--calls-per-minute", type=float, default=12.0)
    parser.add_argument("--agents", type=int, default=4, help="inbound softphones registered")
    parser.add_argument(
        "--outbound",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="customers behind the trunk and a campaign per dial mode (default: on)",
    )
    parser.add_argument(
        "--seconds", type=float, help="stop after this many seconds (default: at Ctrl-C)"
    )
    return parser


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
    logs.configure(conf.log.level, conf.log.format, conf.log.file)  # rule 4
    agents = list(lab.devices[: args.agents])
    outbound = out.agents_by_queue(lab.devices[args.agents :]) if args.outbound else {}
    desk = DESK_AGENT if conf.softphone.websocket_url else None
    people = agents + ([desk] if desk else [])
    supervisor, admin, password = await _configure(conf.database.url, people, outbound)
    api = ApiClient(f"http://127.0.0.1:{args.http_port}", supervisor)
    async with contextlib.AsyncExitStack() as stack:  # rule 1, in the reverse order
        _start_server(stack, conf, stop)
        tokens = await _start_agents(stack, api, _phones(lab, agents, outbound), stop)
        with contextlib.suppress(*status.FAILURES):  # the demo goes on without a schedule
            await schedule.publish(api.with_token(admin), agents, conf.centre.zone())
        dialling = await _start_outbound(stack, lab, api.with_token(admin), outbound, tokens)
        traffic = Traffic(lab, replace(TRAFFIC, calls_per_minute=args.calls_per_minute))
        traffic.start()
        stack.push_async_callback(traffic.stop)
        blocks = [
            status.where_to_look(
                api, Path(conf.log.file), len(agents), supervisor, (DEMO_SUPERVISOR, password)
            )
        ]
        if desk:
            blocks.append(status.where_desk(api, desk, PIN))
        if dialling is not None:
            blocks.append(status.where_outbound(api, outbound, dialling.preview_agent, admin))
        print("\n".join([*blocks, status.STOPPING]))
        if args.seconds is not None:
            asyncio.get_running_loop().call_later(args.seconds, stop.set)
        await _report_until(stop, api, dialling)


def _start_server(
    stack: contextlib.AsyncExitStack, conf: settings.Settings, stop: asyncio.Event
) -> None:
    halt = asyncio.Event()  # the server outlives the phones: campaigns pause first
    server = asyncio.create_task(serve(conf, halt), name="cti-serve")

    def stopped(_: asyncio.Task[None]) -> None:
        if not halt.is_set():  # rule 1: it stopped by itself; why is in its log
            print(f"[demo] the server stopped; its log: {conf.log.file}")
            stop.set()

    server.add_done_callback(stopped)
    stack.push_async_callback(_stop_server, halt, server)


async def _stop_server(halt: asyncio.Event, server: asyncio.Task[None]) -> None:
    halt.set()
    await server


async def _start_agents(
    stack: contextlib.AsyncExitStack, api: ApiClient, phones: list[Softphone], stop: asyncio.Event
) -> dict[str, str]:
    """Every softphone registered, its agent logged in on it; the agents' tokens."""
    for phone in phones:
        await phone.start()
        stack.push_async_callback(_quietly, phone.stop)
    return {phone.device: await _log_in(api, phone.device, stop) for phone in phones}


async def _start_outbound(
    stack: contextlib.AsyncExitStack,
    lab: instance.LabInstance,
    admin: ApiClient,
    outbound: dict[str, str],
    tokens: dict[str, str],
) -> out.Outbound | None:
    if not outbound:
        return None
    await stack.enter_async_context(Customers(lab))
    preview = out.preview_agent(outbound)
    desks = {agent: admin.with_token(tokens[agent]) for agent in out.nailed_agents(outbound)}
    dialling = await out.Outbound.begin(admin, admin.with_token(tokens[preview]), preview, desks)
    stack.push_async_callback(dialling.close)
    return dialling


async def _quietly(stop: Callable[[], Awaitable[None]]) -> None:
    with contextlib.suppress(Exception):
        await stop()


def _phones(
    lab: instance.LabInstance, agents: list[str], outbound: dict[str, str]
) -> list[Softphone]:
    inbound = [
        Softphone(lab, device, "no_answer")
        if n == 0
        else Softphone(
            lab, device, "answer_hangup_first", ring_ms=1500 * n, talk_ms=6000 + 3000 * n
        )
        for n, device in enumerate(agents)
    ]
    # The customers who answer wait for Asterisk's BYE: the agent ends each call, the
    # preview agent by hanging up its phone, the others (on a nailed-up line, which their
    # phones keep up) from the desk (cti/demo/outbound.py rule 4).
    nailed = set(out.nailed_agents(outbound))
    return inbound + [
        Softphone(lab, device, "answer")
        if device in nailed
        else Softphone(lab, device, "answer_hangup_first", talk_ms=4000 + 1000 * (n % 4))
        for n, device in enumerate(outbound)
    ]


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
        log=replace(conf.log, format="text", file=str(DEMO_DIR.resolve() / SERVER_LOG)),
    )


async def _configure(url: str, agents: list[str], outbound: dict[str, str]) -> tuple[str, str, str]:
    """Queues, reasons and agents in the demo's database; supervisor and admin tokens, and
    a new password of the supervisor `demo` who signs in to the wallboard."""
    database = await open_database(url)
    try:
        store = ConfigStore(database)
        path = DEMO_DIR / "acd.yaml"
        path.write_text(_acd_yaml(agents, outbound))
        await import_files(store, [path])
        await out.finish_leftovers(CampaignStore(database))
        password = secrets.token_urlsafe(12)  # a new one each run: shown once, below
        await store.put_supervisor(DEMO_SUPERVISOR, "supervisor", password)
        return (
            await store.create_token("demo", "supervisor"),
            await store.create_token("demo-admin", "admin"),
            password,
        )
    finally:
        await database.close()


def _acd_yaml(agents: list[str], outbound: dict[str, str]) -> str:
    queues = out.queues_yaml() if outbound else ""
    inbound = "{support: 0, sales: 1}"
    members = [(a, inbound) for a in agents] + [(a, f"{{{q}: 0}}") for a, q in outbound.items()]
    lines = "".join(f'  - {{id: "{a}", pin: "{PIN}", queues: {q}}}\n' for a, q in members)
    return QUEUES_YAML.replace("reasons:", queues + "reasons:") + "agents:\n" + lines


async def _log_in(api: ApiClient, agent: str, stop: asyncio.Event) -> str:
    """The agent's token ("" when it could not log in, or the demo is stopping)."""
    # Takeover: a demo started again on its own database finds its agents still logged in
    # from the last run (the server takes them back, C1).
    body = {"pin": PIN, "device": agent, "takeover": True}
    for _ in range(LOGIN_TRIES):
        if stop.is_set():
            break
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, UnexpectedAnswer):
            answer = await api.expect("POST", f"{status.API}/agents/{agent}/login", body)
            return str(answer["token"])
        await asyncio.sleep(0.2)
    print(f"[demo] agent {agent} could not log in")
    return ""


async def _report_until(stop: asyncio.Event, api: ApiClient, dialling: out.Outbound | None) -> None:
    """A status line every STATUS_EVERY_S; agents without answer set ready again (rule 3)."""
    loop = asyncio.get_running_loop()
    ready_again = loop.time() + READY_AGAIN_EVERY_S
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), STATUS_EVERY_S)
        if stop.is_set():
            return
        with contextlib.suppress(*status.FAILURES):
            print(f"[demo] {await status.inbound_line(api)}")
            if loop.time() >= ready_again:
                ready_again = loop.time() + READY_AGAIN_EVERY_S
                await _ready_again(api)
        if dialling is not None:
            with contextlib.suppress(*status.FAILURES):
                for line in await status.campaign_lines(dialling.admin, dialling.campaigns):
                    print(f"[demo] {line}")


async def _ready_again(api: ApiClient) -> None:
    """A supervisor forces agents that missed their offers back to ready (C8)."""
    listed = await api.expect("GET", f"{status.API}/agents")
    assert isinstance(listed["agents"], list)
    for agent in listed["agents"]:
        if agent.get("reason") == "no answer":
            await api.request("POST", f"{status.API}/agents/{agent['agent']}/ready", {})
