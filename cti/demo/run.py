"""`cti demo`: the lab's Asterisk, the server attached to it, SIPp agents, callers, customers.

Rule 1: everything the demo starts, it stops on Ctrl-C, SIGTERM or after --seconds: its
campaigns (paused), callers, softphones, customers, the server, then the lab's Asterisk.
Rule 2: the server runs in this process exactly as `cti serve` would, on the lab's
configuration, with its database under .cti/demo/ (relative to the working directory).
Rule 3: the demo configures two queues and its agents (PIN 1234) through the same store
`cti admin` uses, logs the agents in through the API, and shows the ACD at work: one agent
never answers (ring-limit misses, then "no answer"; a supervisor sets it ready again every
30 s), the others answer, talk and hang up first, then wrap up until the queue's maximum.
Rule 4 (outbound, unless --no-outbound): a queue per dial mode with its own agents (the
devices after the inbound ones: they answer, talk a few seconds, hang up) and a campaign
per mode, created, loaded (CSV) and started through the API with an admin token, as a user
would. Customers behind the trunk do what each number's last digit says (CUSTOMER_DIGITS):
by MIX most answer, some are busy, some never answer, some fail. The demo is the preview
agent (with its own token): it takes the next contact, shows it, skips a lapsed customer
the first time it sees one, and dials the others.
Rule 5: dialling never runs dry: a campaign with under LOW_WATER contacts pending or
dialling gets another batch; one that finished between two looks is followed by a new one
of its mode (<mode>-<n+1>). Campaigns an earlier run left unfinished in the demo's queues
are finished before the server starts, so they never dial again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import re
import signal
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Final

import aiohttp

from cti import logs, settings
from cti.domain.campaign import CampaignStatus
from cti.lab import instance
from cti.lab.rootfs import LabError
from cti.lab.sipp import CustomerKind, Customers, SippError, Softphone, customer_number
from cti.lab.traffic import Traffic, TrafficProfile
from cti.storage.campaign_store import CampaignStore
from cti.storage.config_import import import_files
from cti.storage.config_store import ConfigStore
from cti.storage.database import open_database
from cti.wiring import serve

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
TRAFFIC: Final = TrafficProfile(queues=("support", "sales"), patience_ms=(20_000, 90_000))
# Outbound (rules 4, 5): agents per dial mode, each mode its own queue and campaign.
OUTBOUND_AGENTS: Final = {"preview": 1, "progressive": 2, "predictive": 3}
OUTBOUND_PREFIX: Final = "outbound-"  # the demo's outbound queues are outbound-<mode>
OUTBOUND_WRAP_UP_S: Final = 3
OUTBOUND_EVERY_S: Final = 2.0  # the preview agent's and the campaign keeper's round
PREVIEW_READ_S: Final = 1.5  # the preview agent reads the contact and the script
LOW_WATER: Final = 8
MIX: Final[tuple[CustomerKind, ...]] = (  # a batch: 14 answer, 3 busy, 1 never, 2 fail
    *("answer", "answer_after_ring", "busy", "answer", "answer_after_ring"),
    *("unavailable", "answer", "answer_after_ring", "no_answer", "answer"),
    *("answer_after_ring", "busy", "answer", "answer_after_ring", "answer"),
    *("unavailable", "answer_after_ring", "answer", "busy", "answer_after_ring"),
)
PLANS: Final = ("basic", "lapsed", "plus", "premium")  # the preview agent skips "lapsed"
WHERE_TO_LOOK: Final = """
CTI demo running: {inbound} inbound agents logged in (the first never answers), calls coming.
  metrics:        {base}/metrics   (cti_queue_*, cti_offers_total, cti_ring_limit_*)
  queues, agents: {base}/api/v1/queues, {base}/api/v1/agents
  live events:    ws://127.0.0.1:{port}/api/v1/events?token=<token>
  health:         {base}/healthz
  supervisor token: {supervisor}"""
WHERE_OUTBOUND: Final = """\
Outbound: agents {agents} serve outbound-preview, -progressive and -predictive.
  campaigns:      {base}/api/v1/campaigns[/<id>] (preview-N, progressive-N, predictive-N)
  metrics:        cti_campaign_attempts_total, cti_campaign_calls, cti_campaign_pacing_mode
  preview:        the demo is agent {preview}: {base}/api/v1/agents/{preview}/preview
  admin token (campaign changes): {admin}"""
SAMPLE: Final = re.compile(r"^(cti_campaign_\w+)\{(.*)\} (\S+)$", re.MULTILINE)
LABEL: Final = re.compile(r'(\w+)="([^"]*)"')


def run_demo(argv: list[str]) -> int:
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
    args = parser.parse_args(argv)
    wanted = args.agents + (sum(OUTBOUND_AGENTS.values()) if args.outbound else 0)
    if args.agents < 1 or wanted > len(instance.DEFAULT_DEVICES):
        parser.error(f"the lab has {len(instance.DEFAULT_DEVICES)} devices; {wanted} wanted")
    try:
        asyncio.run(_demo(args))
    except (LabError, SippError) as exc:
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
    outbound = _outbound_agents(lab, args.agents) if args.outbound else {}
    supervisor, admin = await _configure(conf.database.url, agents, outbound)
    async with contextlib.AsyncExitStack() as stack:  # rule 1, in the reverse order
        halt = asyncio.Event()  # the server outlives the phones: campaigns pause first
        server = asyncio.create_task(serve(conf, halt), name="cti-serve")
        stack.push_async_callback(_stop_server, halt, server)
        for phone in _phones(lab, agents, outbound):
            await phone.start()
            stack.push_async_callback(_quietly, phone.stop)
        api, dialling = _Api(args.http_port, supervisor), None
        for agent in agents:
            await api.log_in(agent)
        if outbound:
            await stack.enter_async_context(Customers(lab))
            dialling = await _Outbound.begin(_Api(args.http_port, admin), api, outbound)
            stack.push_async_callback(dialling.close)
        traffic = Traffic(lab, replace(TRAFFIC, calls_per_minute=args.calls_per_minute))
        traffic.start()
        stack.push_async_callback(traffic.stop)
        _print_where_to_look(args.http_port, agents, outbound, supervisor, admin)
        if args.seconds is not None:
            asyncio.get_running_loop().call_later(args.seconds, stop.set)
        await _report_until(stop, api, dialling)


async def _stop_server(halt: asyncio.Event, server: asyncio.Task[None]) -> None:
    halt.set()
    await server


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
    # The customers who answer wait for Asterisk's BYE: the agent ends each call.
    return inbound + [
        Softphone(lab, device, "answer_hangup_first", talk_ms=4000 + 1000 * (n % 4))
        for n, device in enumerate(outbound)
    ]


def _outbound_agents(lab: instance.LabInstance, inbound: int) -> dict[str, str]:
    """Device (agent id) to outbound queue: the devices after the inbound ones (rule 4)."""
    queues = [OUTBOUND_PREFIX + mode for mode, n in OUTBOUND_AGENTS.items() for _ in range(n)]
    return dict(zip(lab.devices[inbound:], queues, strict=False))


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


async def _configure(url: str, agents: list[str], outbound: dict[str, str]) -> tuple[str, str]:
    """Queues, reasons and agents in the demo's database; supervisor and admin tokens."""
    database = await open_database(url)
    try:
        store = ConfigStore(database)
        path = DEMO_DIR / "acd.yaml"
        path.write_text(_acd_yaml(agents, outbound))
        await import_files(store, [path])
        await _finish_leftovers(CampaignStore(database))
        return (
            await store.create_token("demo", "supervisor"),
            await store.create_token("demo-admin", "admin"),
        )
    finally:
        await database.close()


def _acd_yaml(agents: list[str], outbound: dict[str, str]) -> str:
    queues = "".join(
        f"  - {{id: {OUTBOUND_PREFIX}{mode}, max_wrap_up: {OUTBOUND_WRAP_UP_S}}}\n"
        for mode in (OUTBOUND_AGENTS if outbound else ())
    )
    inbound = "{support: 0, sales: 1}"
    members = [(a, inbound) for a in agents] + [(a, f"{{{q}: 0}}") for a, q in outbound.items()]
    lines = "".join(f'  - {{id: "{a}", pin: "{PIN}", queues: {q}}}\n' for a, q in members)
    return QUEUES_YAML.replace("reasons:", queues + "reasons:") + "agents:\n" + lines


async def _finish_leftovers(campaigns: CampaignStore) -> None:
    """Rule 5: an earlier run's campaigns would dial again as soon as the server starts."""
    for stored in await campaigns.list_campaigns():
        queue, status = stored.config.queue, stored.status
        if queue.startswith(OUTBOUND_PREFIX) and status is not CampaignStatus.FINISHED:
            await campaigns.set_status(stored.config.id, CampaignStatus.FINISHED)


class _Api:
    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.root = f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.timeout = aiohttp.ClientTimeout(total=5)

    async def call(
        self, method: str, path: str, body: object = None, *, csv: str | None = None
    ) -> tuple[int, object]:
        """A route under /api/v1 (or /metrics); its status and JSON (or text) answer."""
        url = self.root + (path if path == "/metrics" else "/api/v1" + path)
        headers = {**self.headers, "Content-Type": "text/csv"} if csv else self.headers
        async with (
            aiohttp.ClientSession(timeout=self.timeout, headers=headers) as session,
            session.request(method, url, json=None if csv else body, data=csv) as response,
        ):
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()

    async def expect(
        self, method: str, path: str, body: object = None, *, csv: str | None = None
    ) -> dict[str, object]:
        """Like call, for a request that must succeed: its JSON answer, else ClientError."""
        status, answer = await self.call(method, path, body, csv=csv)
        if status >= 300 or not isinstance(answer, dict):
            raise aiohttp.ClientError(f"{method} {path}: {status} {answer}")
        return answer

    async def log_in(self, agent: str) -> str:
        """The agent's token ("" when it could not log in)."""
        for _ in range(50):  # the server may still be connecting to Asterisk
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                # Takeover: a demo started again on its own database finds its agents
                # still logged in from the last run (the server takes them back, C1).
                body = {"pin": PIN, "device": agent, "takeover": True}
                status, answer = await self.call("POST", f"/agents/{agent}/login", body)
                if status == 200 and isinstance(answer, dict):
                    return str(answer["token"])
            await asyncio.sleep(0.2)
        print(f"[demo] agent {agent} could not log in")
        return ""


class _Outbound:
    """The demo's campaigns (rules 4, 5) and its preview agent, through the API."""

    def __init__(self, admin: _Api, agent: _Api, preview_agent: str) -> None:
        self.admin, self.agent, self.preview_agent = admin, agent, preview_agent
        self.current: dict[str, str] = {}  # dial mode -> its campaign now
        self.serials = itertools.count()  # contacts' numbers, unique within a run
        self.skipped: set[object] = set()  # contacts the preview agent skipped once
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def begin(cls, admin: _Api, api: _Api, outbound: dict[str, str]) -> _Outbound:
        """Log the outbound agents in, start a campaign per mode, keep them dialling."""
        tokens = {agent: await api.log_in(agent) for agent in outbound}
        preview = next(a for a, q in outbound.items() if q == OUTBOUND_PREFIX + "preview")
        self = cls(admin, _Api(admin.port, tokens[preview]), preview)
        for mode in OUTBOUND_AGENTS:
            await self._new_campaign(mode)
        self.task = asyncio.create_task(self._run(), name="demo-outbound")
        return self

    async def close(self) -> None:
        """Rule 1: nothing new is dialled; calls in progress end."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        for campaign in self.current.values():
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                await self.admin.call("POST", f"/campaigns/{campaign}/pause", {})

    async def _run(self) -> None:
        while True:
            try:
                await self._keep_dialling()
                await self._preview()
            except (aiohttp.ClientError, TimeoutError, KeyError, TypeError) as exc:
                print(f"[demo] outbound: {exc!r}")
            await asyncio.sleep(OUTBOUND_EVERY_S)

    async def _new_campaign(self, mode: str) -> None:
        listed = await self.admin.expect("GET", "/campaigns")
        assert isinstance(listed["campaigns"], list)
        taken = {c["id"] for c in listed["campaigns"]}
        campaign = next(f"{mode}-{n}" for n in itertools.count(1) if f"{mode}-{n}" not in taken)
        await self.admin.expect("PUT", f"/campaigns/{campaign}", _campaign_body(mode))
        await self._load(campaign)
        await self.admin.expect("POST", f"/campaigns/{campaign}/start", {})
        self.current[mode] = campaign
        print(f"[demo] campaign {campaign} started ({mode} dialling, {len(MIX)} contacts)")

    async def _load(self, campaign: str) -> None:
        rows = []
        for serial in itertools.islice(self.serials, len(MIX)):
            number = customer_number(MIX[serial % len(MIX)], serial)
            rows.append(f"{number},Customer {serial},{PLANS[serial % len(PLANS)]}\n")
        csv = "number,name,plan\n" + "".join(rows)
        await self.admin.expect("POST", f"/campaigns/{campaign}/contacts", csv=csv)

    async def _keep_dialling(self) -> None:
        """Rule 5."""
        for mode, campaign in list(self.current.items()):
            view = await self._view(campaign)
            counts = _by_status(view)
            if view["status"] == CampaignStatus.FINISHED:
                await self._new_campaign(mode)
            elif counts["pending"] + counts["dialling"] < LOW_WATER:
                await self._load(campaign)
                print(f"[demo] campaign {campaign}: {len(MIX)} more contacts loaded")

    async def _preview(self) -> None:
        """The preview agent's turn: the next contact, read, then dialled or skipped."""
        path = f"/agents/{self.preview_agent}/preview"
        status, answer = await self.agent.call("POST", path, {"campaign": self.current["preview"]})
        if status != 200 or not isinstance(answer, dict):
            return  # busy on a call, wrapping up, or nothing due: the next round
        shown = answer["agent"]["outbound"]
        fields = shown["fields"]
        skip = fields.get("plan") == "lapsed" and shown["contact"] not in self.skipped
        choice = "skips it (lapsed)" if skip else "dials"
        who = f"{shown['number']}, {fields.get('name')}, plan {fields.get('plan')}"
        print(f"[demo] preview: agent {self.preview_agent} sees {who}; {choice}")
        await asyncio.sleep(PREVIEW_READ_S)
        if not skip:
            status, answer = await self.agent.call("POST", path + "/dial", {})
            if status == 200:
                return
            print(f"[demo] preview: the dial was refused ({answer}); skipping it")
        self.skipped.add(shown["contact"])
        await self.agent.expect("POST", path + "/skip", {})

    async def lines(self) -> list[str]:
        """Each campaign's state now, from its API view and its /metrics samples."""
        _, text = await self.admin.call("GET", "/metrics")
        found = []
        for campaign in self.current.values():
            view = await self._view(campaign)
            found.append(_campaign_line(view, _metrics_of(str(text), campaign)))
        return found

    async def _view(self, campaign: str) -> dict[str, object]:
        view = (await self.admin.expect("GET", f"/campaigns/{campaign}"))["campaign"]
        assert isinstance(view, dict)
        return view


def _campaign_body(mode: str) -> dict[str, object]:
    """Dial all day (UTC); retry busy, unanswered and failed dials once, 20 s later; an
    abandoned call is not retried (its number would be quiet for 72 h anyway)."""
    retry = {"delay": 20, "max_attempts": 2}
    return {
        "name": f"Demo {mode}",
        "queue": OUTBOUND_PREFIX + mode,
        "caller_id": "5550100",
        "script": "Hello, this is the demo calling about your plan.",
        "shown_fields": ["name", "plan"],
        "ring_timeout": 15,
        "window": {"start": "00:00", "end": "23:59:59"},
        "retries": {result: retry for result in ("busy", "no_answer", "congestion", "failed")},
        "pacing": {"mode": mode},
    }


def _metrics_of(text: str, campaign: str) -> dict[str, dict[str, float]]:
    """The campaign's /metrics samples: by metric name, then by its other labels' values."""
    found: dict[str, dict[str, float]] = {}
    for name, labels, value in SAMPLE.findall(text):
        pairs = dict(LABEL.findall(labels))
        if pairs.pop("campaign", None) == campaign:
            found.setdefault(name, {})[",".join(pairs.values())] = float(value)
    return found


def _by_status(view: dict[str, object]) -> dict[str, int]:
    progress = view["progress"]
    assert isinstance(progress, dict)
    return dict(progress["by_status"])


def _campaign_line(view: dict[str, object], metrics: dict[str, dict[str, float]]) -> str:
    attempts = {r: int(n) for r, n in metrics.get("cti_campaign_attempts_total", {}).items() if n}
    calls = metrics.get("cti_campaign_calls", {})
    pacing = [mode for mode, on in metrics.get("cti_campaign_pacing_mode", {}).items() if on]
    rate = metrics.get("cti_campaign_abandon_rate", {}).get("", 0.0)
    by_result = ", ".join(f"{n} {result}" for result, n in sorted(attempts.items()))
    contacts = ", ".join(f"{n} {status}" for status, n in _by_status(view).items() if n)
    return (
        f"{view['id']} ({view['status']}): {sum(attempts.values())} attempts"
        + (f" ({by_result})" if by_result else "")
        + f"; {calls.get('ringing', 0):.0f} ringing, {calls.get('held', 0):.0f} held now"
        + f"; pacing {'/'.join(pacing) or '-'}, abandon rate {100 * rate:.1f} %"
        + f"; contacts: {contacts or 'none'}"
    )


def _print_where_to_look(
    port: int, agents: list[str], outbound: dict[str, str], supervisor: str, admin: str
) -> None:
    base, inbound = f"http://127.0.0.1:{port}", len(agents)
    print(WHERE_TO_LOOK.format(base=base, port=port, inbound=inbound, supervisor=supervisor))
    if outbound:
        preview = next(a for a, q in outbound.items() if q.endswith("preview"))
        agents_text = ", ".join(outbound)
        print(WHERE_OUTBOUND.format(base=base, agents=agents_text, preview=preview, admin=admin))
    print("Ctrl-C stops the campaigns, callers, softphones, customers, the server and the lab.\n")


async def _report_until(stop: asyncio.Event, api: _Api, dialling: _Outbound | None) -> None:
    loop = asyncio.get_running_loop()
    ready_again = loop.time() + READY_AGAIN_EVERY_S
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), STATUS_EVERY_S)
        if stop.is_set():
            return
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, KeyError, TypeError):
            _, queues = await api.call("GET", "/queues")
            _, listed = await api.call("GET", "/agents")
            print(f"[demo] {_summary(queues, listed)}")
            if loop.time() >= ready_again:
                ready_again = loop.time() + READY_AGAIN_EVERY_S
                await _ready_again(api, listed)
        if dialling is not None:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError, KeyError):
                for line in await dialling.lines():
                    print(f"[demo] {line}")


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
