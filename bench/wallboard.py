"""Benchmark: the supervisors' wallboard under 200 agent state changes a second (issue 14).

    python bench/wallboard.py [--seconds 60] [--rate 200] [--agents 1000] [--queues 50]
                              [--clients 50] [--baseline-seconds 10] [--seed 14]
                              [--page-profile FILE] [--server-profile FILE] [--keep]

The server runs in a process of its own (this file with --serve), assembled as `cti serve`
assembles it (tests/api/harness.py running_api: cti/wiring.py assemble, a temporary SQLite
file, the history writer; call control records instead of reaching Asterisk). No Asterisk:
every device is registered with DeviceStateChanged NOT_IN_USE (what the AMI resync hands
the engine), and --agents agents (each in two of --queues queues, penalties 0 and 1) are
logged in by LogIn commands to the engine, ready. Four not-ready reasons are configured.

The load: Poisson arrivals (seeded) at --rate a second, each to an agent drawn at random:
a ready agent is set not ready with the next of the reasons, a not-ready one ready
(SetNotReady / SetReady handed to Engine.submit, as AMI's inputs are: nothing awaited).
The driver runs on the server's event loop: while the loop is busy, submissions are late,
so the rate the server kept up with and how far behind it fell are printed (latency is
counted from the decision, so such a backlog is not in it). First --baseline-seconds of it
with no live-feed client at all (the server's CPU without the fan-out), then the page and
the clients join, then --seconds of it measured.

The page: /usr/bin/chromium, headless, through Playwright (tests/browser.py's flags),
1920x1080, a supervisor signed in through the sign-in page, on the wallboard. Beside it
--clients aiohttp WebSocket clients on /api/v1/events with a supervisor's bearer token,
each reading every message (so none backpressures): the first, the probe, on the full feed
(it also parses them), the others on the wallboards' (`?feed=board`, hub rule 7a).

The instants, all on this host's one clock (CLOCK_REALTIME):
  decided: time.time() when the engine hands the decision to the hub (Hub.publish,
           wrapped in the server process to stamp it): right after the core decided, before
           the hub's coalescing (cti/api/hub.py rule 7);
  shown:   performance.timeOrigin + performance.now() in a MutationObserver on the agents'
           table body and its rows (an init script: rows added, and cells' text or class
           changed in place), which runs right after the draw that changed the DOM: the
           first time an agent row's state cell (its state class and reason)
           differs from what that row showed before (page and host clocks are compared at
           the start and the end and printed).
An observation is matched to the latest change of that agent decided before it that has
its state and reason; the changes of the agent before that one, never shown, are
superseded (a later change came first, or one went back within a window): counted apart,
not in the percentiles. An agent whose last change the page does not end up showing
(within --settle seconds) counts as lost.

Where the time goes, per change shown: decided -> the `views` message built (its `at`),
-> received by the probe (matched exactly by agent and `since`), -> shown in the page;
also decided -> the probe's `agent_changed` event. In the page, each animation-frame
callback (the page draws in one) is timed, and so is the whole frame (to a message posted
from it: style, layout and paint included). --page-profile writes a CDP Profiler profile of
the page during the run and prints the functions with the most self time; --server-profile
runs the server's measured phase under cProfile and prints its hottest functions.

CPU: the server process's (time.process_time: every thread, including the driver, which
submits the changes) as a share of one core during the run; the fan-out's share is that
less what the same number of changes cost in the baseline. This process (the clients,
Playwright) and the browser (its processes and Playwright's driver) are printed too: this
machine has two cores, which the server, the browser and the clients share.
The page's heap after the run: the bench's own records taken out of the page first, then
CDP HeapProfiler.collectGarbage and Runtime.getHeapUsage (usedSize; MB = 2^20 bytes).

Prints the figures, then `BENCH wallboard_p50_ms <n> ms`, `BENCH wallboard_p99_ms <n> ms`
(target <= 250), `BENCH wallboard_heap_mb <n> MB`, `BENCH wallboard_server_cpu_pct <n> %`
and `BENCH wallboard_fanout_cpu_pct <n> %` (shares of one core).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import logging
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import aiohttp
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

REPO: Final = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/wallboard.py` puts bench/ first, not REPO
    sys.path.insert(0, str(REPO))

from api_load import cpu_seconds  # noqa: E402
from route_figures import percentile  # noqa: E402

from cti.api.hub import Hub  # noqa: E402
from cti.domain.commands import LoadConfig, LogIn, SetNotReady, SetReady  # noqa: E402
from cti.domain.config import AgentProfile, NotReadyReason, QueueConfig  # noqa: E402
from cti.domain.effects import AgentChanged, Rejected  # noqa: E402
from cti.domain.ids import AgentId, DeviceId, Instant, QueueId  # noqa: E402
from cti.domain.state import Decision  # noqa: E402
from cti.storage.config_store import ConfigChange  # noqa: E402
from tests.api.harness import Api, bearer, running_api  # noqa: E402
from tests.browser import CHROMIUM, FLAGS, PASSWORD, sign_in  # noqa: E402
from tests.waiting import eventually  # noqa: E402

REASONS: Final = ("break", "lunch", "training", "meeting")
SUPERVISOR: Final = "ann"  # tests/browser.py's sign_in signs in as ann, with PASSWORD
LINE_LIMIT: Final = 1 << 26  # the child's answer with every change is one JSON line
START_S: Final = 120.0  # the server's set-up: 1,000 logins and their history
NETWORK_S: Final = 30.0  # a WebSocket's connect or close, a CDP call
RECEIVE_S: Final = 120.0  # a client's wait for its next message (the feed idles between phases)
OBSERVER_JS: Final = """(() => {
  const now = () => performance.timeOrigin + performance.now();
  const bench = { seen: [], shown: new Map(), draws: [], rows: 0, observerMs: 0 };
  window.__bench = bench;
  const label = (row) => {
    const cell = row.querySelector("td.state");
    if (!cell) return "";
    const badge = cell.querySelector(".badge");
    const reason = cell.textContent.slice(badge ? badge.textContent.length : 0).trim();
    return `${cell.className.replace(/^state\\s*/, "")}|${reason}`;
  };
  const observe = (records) => {
    const at = now();  // a microtask right after the draw's DOM changes
    const rows = new Set();  // rows added, or changed in place (their cells' text or class)
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.dataset && node.dataset.agent) rows.add(node);
      }
      const where = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const row = where && where.closest("tr[data-agent]");
      if (row) rows.add(row);
    }
    for (const row of rows) {
      if (!row.isConnected) continue;
      const agent = row.dataset.agent;
      const shown = label(row);
      if (bench.shown.get(agent) !== shown) {
        bench.shown.set(agent, shown);
        bench.seen.push([at / 1000, agent, shown]);
      }
    }
    const body = document.querySelector("#agents tbody");
    bench.rows = body ? body.rows.length : 0;
    bench.observerMs += now() - at;
  };
  document.addEventListener("DOMContentLoaded", () => {
    const body = document.querySelector("#agents tbody");
    const what = { childList: true, subtree: true, characterData: true, attributes: true,
      attributeFilter: ["class"] };
    if (body) new MutationObserver(observe).observe(body, what);
  });
  // Each animation-frame callback timed (the page draws in one), and its frame to a message
  // posted from it, which runs once style, layout and paint are done.
  const frame = window.requestAnimationFrame.bind(window);
  const channel = new MessageChannel();
  const open = [];
  channel.port1.onmessage = () => {
    const end = performance.now();
    for (const draw of open.splice(0)) bench.draws.push([draw[0], draw[1], end - draw[2]]);
  };
  window.requestAnimationFrame = (callback) => frame((t) => {
    const start = performance.now();
    try { callback(t); } finally {
      open.push([(performance.timeOrigin + start) / 1000, performance.now() - start, start]);
      channel.port2.postMessage(0);
    }
  });
})();"""
TAKE_JS: Final = """() => {
  const b = window.__bench;
  const shown = Object.fromEntries(b.shown);
  const taken = { seen: b.seen, shown, draws: b.draws, observerMs: b.observerMs };
  b.seen = []; b.draws = []; b.observerMs = 0;
  return taken;
}"""
SETTLED_JS: Final = """(want) =>
  Object.entries(want).every(([agent, label]) => window.__bench.shown.get(agent) === label)"""


# The server's side (the child process) --------------------------------------------------


def configuration(agents: int, queues: int) -> ConfigChange:
    ids = [QueueId(f"q{n:02d}") for n in range(1, queues + 1)]
    profiles = tuple(
        AgentProfile(
            id=AgentId(str(1001 + n)),
            name=f"Agent {1001 + n}",
            queues=MappingProxyType({ids[n % queues]: 0, ids[(n + queues // 2) % queues]: 1}),
        )
        for n in range(agents)
    )
    reasons = tuple(NotReadyReason(code=c, label=c.title(), max_seconds=3600.0) for c in REASONS)
    return ConfigChange(
        queues=tuple(QueueConfig(id=q, name=f"Queue {q[1:]}") for q in ids),
        agents=profiles,
        reasons=reasons,
    )


def accepted(decision: Decision) -> bool:
    return not any(isinstance(note, Rejected) for note in decision.notes)


async def populate(api: Api, agents: int, queues: int) -> None:
    """The queues, agents and reasons stored and loaded; every agent logged in, ready."""
    await api.store.apply(configuration(agents, queues))
    for seeded in ("support", "sales"):  # the harness's seed, whose agents are ours now
        await api.store.delete_queue(QueueId(seeded))
    await api.engine.execute(LoadConfig(at=api.now(), config=await api.store.load()))
    for agent in api.engine.state.config.agents:
        device = DeviceId(f"PJSIP/{agent}")
        api.register(device)  # NOT_IN_USE, as the AMI resync would say
        command = LogIn(at=api.now(), agent=agent, device=device, address="bench")
        decision = await api.engine.execute(command, within=NETWORK_S)
        assert accepted(decision), decision.notes


def stamp_decisions(hub: Hub, decided: dict[tuple[str, float], float]) -> None:
    """Stamp each agent change with the instant the engine hands its decision to the hub."""
    publish = hub.publish

    def stamped(decision: Decision) -> None:
        now = time.time()
        for effect in decision.effects:
            if isinstance(effect, AgentChanged):
                decided[effect.agent, effect.at] = now
        publish(decision)

    hub.publish = stamped  # type: ignore[method-assign]


@contextlib.contextmanager
def profiled(path: str | None) -> Iterator[None]:
    """With a path: cProfile over what runs inside, its figures written there."""
    if path is None:
        yield
        return
    with cProfile.Profile() as profile:
        yield
    profile.dump_stats(path)


@dataclass(slots=True)
class Driver:
    """The changes: each toggles an agent and goes to the engine as AMI's inputs do
    (Engine.submit: enqueued, nothing awaited), so the offered rate does not wait on it."""

    api: Api
    decided: dict[tuple[str, float], float]  # (agent, at) -> the hub was handed its decision
    ready: dict[AgentId, bool]
    turns: Counter[AgentId] = field(default_factory=Counter)
    last: float = 0.0

    def change(self, agent: AgentId) -> tuple[str, str, float]:
        """Not ready with the agent's next reason when it is ready, else ready: the agent,
        what its state cell will say (OBSERVER_JS's label) and the command's instant."""
        at = Instant(max(self.api.now(), self.last + 1e-6))  # one (agent, at) per change
        self.last, by = at, f"agent:{agent}"
        self.ready[agent] = not self.ready[agent]
        if self.ready[agent]:
            self.api.engine.submit(SetReady(at=at, agent=agent, by=by))
            return agent, "available|", at
        self.turns[agent] += 1
        reason = REASONS[self.turns[agent] % len(REASONS)]
        self.api.engine.submit(SetNotReady(at=at, agent=agent, reason=reason, by=by))
        return agent, f"not_ready|{reason}", at

    async def run(self, asked: Any) -> Any:
        """`seconds` of changes at `rate` (Poisson); each change with its instants."""
        rng, agents = random.Random(asked["seed"]), sorted(self.ready)
        submitted: list[tuple[str, str, float]] = []
        behind: list[float] = []
        views, due, hub = self.api.hub.views_sent, 0.0, self.api.hub
        loop = asyncio.get_running_loop()
        cpu, start = time.process_time(), loop.time()
        with profiled(asked["profile"]):
            while (due := due + rng.expovariate(asked["rate"])) < asked["seconds"]:
                await asyncio.sleep(max(0.0, start + due - loop.time()))  # pacing the load
                behind.append(loop.time() - start - due)
                submitted.append(self.change(rng.choice(agents)))
            await self.decided_all(submitted)
        cpu, wall = time.process_time() - cpu, loop.time() - start
        changes = [
            (agent, label, at, self.decided.pop((agent, at)))
            for agent, label, at in submitted
            if (agent, at) in self.decided
        ]
        return {
            "changes": changes, "refused": len(submitted) - len(changes), "cpu_s": cpu,
            "wall_s": wall, "behind_p99_ms": percentile(behind, 99) * 1000,
            "views": hub.views_sent - views, "dropped": hub.dropped, "connections": hub.connections,
        }  # fmt: skip

    async def decided_all(self, submitted: Sequence[tuple[str, str, float]]) -> None:
        """Until the last change is decided (the inbox is in order); one refused is not."""
        if submitted:
            with contextlib.suppress(AssertionError):
                last = submitted[-1]
                await eventually(lambda: (last[0], last[2]) in self.decided, within=NETWORK_S)


async def serve(args: argparse.Namespace) -> None:
    """The child: set up, say where and with which token, then drive as asked on stdin."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    async with running_api(Path(args.serve)) as api:
        await populate(api, args.agents, args.queues)
        await api.store.put_supervisor(SUPERVISOR, "supervisor", PASSWORD)
        driver = Driver(api, {}, dict.fromkeys(api.engine.state.agents, True))
        stamp_decisions(api.hub, driver.decided)
        url = f"http://{api.client.host}:{api.client.port}"
        print(json.dumps({"url": url, "token": api.supervisor}), flush=True)
        while line := await stdin.readline():  # until the bench closes stdin
            print(json.dumps(await driver.run(json.loads(line))), flush=True)


@dataclass(slots=True)
class ServerChild:
    proc: asyncio.subprocess.Process
    log: Path

    async def read(self, within: float) -> Any:
        assert self.proc.stdout is not None
        async with asyncio.timeout(within):
            line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the server process ended; its log:\n{self.log_tail()}")
        return json.loads(line)

    async def drive(self, seconds: float, rate: float, seed: int, profile: Path | None) -> Any:
        assert self.proc.stdin is not None
        asked = {"seconds": seconds, "rate": rate, "seed": seed, "profile": profile}
        self.proc.stdin.write(json.dumps(asked, default=str).encode() + b"\n")
        await self.proc.stdin.drain()
        return await self.read(seconds + START_S)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.asynccontextmanager
async def server_child(args: argparse.Namespace, workdir: Path) -> AsyncIterator[ServerChild]:
    log = workdir / "server.log"
    sizes = ("--agents", str(args.agents), "--queues", str(args.queues))
    with log.open("ab") as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve", str(workdir), *sizes,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
            limit=LINE_LIMIT,
        )  # fmt: skip
    try:
        yield ServerChild(proc, log)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(NETWORK_S):
                await proc.wait()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# The clients' side ------------------------------------------------------------------------


@dataclass(eq=False)
class Listener:
    """A supervisor's WebSocket client: reads every message; the probe also parses them."""

    probe: bool
    messages: int = 0
    octets: int = 0
    ended: str = ""
    views: dict[tuple[str, float], tuple[float, float]] = field(default_factory=dict)
    events: dict[tuple[str, float], float] = field(default_factory=dict)
    view_sizes: list[int] = field(default_factory=list)

    def take(self, text: str, received: float) -> None:
        self.messages += 1
        self.octets += len(text)
        if not self.probe:
            return
        body = json.loads(text)
        if body["type"] == "views":  # (agent, since) -> (the message's `at`, received)
            self.view_sizes.append(len(text))
            for agent in body["agents"]:
                self.views.setdefault((agent["agent"], agent.get("since")), (body["at"], received))
        elif body["type"] == "agent_changed":
            self.events.setdefault((body["agent"], body["at"]), received)


async def listen(session: aiohttp.ClientSession, url: str, token: str, into: Listener) -> None:
    async with asyncio.timeout(NETWORK_S):
        feed = "" if into.probe else "?feed=board"  # the probe also times agent_changed
        ws = await session.ws_connect(
            url + "/api/v1/events" + feed, headers=bearer(token), max_msg_size=0
        )
    try:
        while True:
            message = await ws.receive(timeout=RECEIVE_S)
            if message.type is not aiohttp.WSMsgType.TEXT:
                into.ended = f"{message.type.name} {ws.close_code}"
                return
            into.take(message.data, time.time())
    finally:
        async with asyncio.timeout(NETWORK_S):
            await ws.close()


@contextlib.asynccontextmanager
async def listeners(url: str, token: str, count: int) -> AsyncIterator[list[Listener]]:
    """`count` clients, the first the probe, each past its snapshot when this yields."""
    found = [Listener(probe=n == 0) for n in range(count)]
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(listen(session, url, token, one)) for one in found]
        try:
            await eventually(
                lambda: all(one.messages for one in found), within=60, what="snapshots"
            )
            yield found
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def open_board(browser: Browser, url: str, agents: int) -> Page:
    """The wallboard signed in, its observer installed, every agent's row drawn."""
    context = await browser.new_context(viewport={"width": 1920, "height": 1080})
    page = await context.new_page()
    page.set_default_timeout(60_000)
    await page.add_init_script(OBSERVER_JS)
    await sign_in(page, url)
    await page.wait_for_url(url + "/")
    await page.wait_for_function(
        "n => window.__bench && window.__bench.rows >= n", arg=agents, polling=100
    )
    return page


async def heap_mb(page: Page) -> float:
    """The page's JS heap in use after a garbage collection, in MB (2^20 bytes)."""
    cdp = await page.context.new_cdp_session(page)
    async with asyncio.timeout(NETWORK_S):
        await cdp.send("HeapProfiler.collectGarbage")
        usage = await cdp.send("Runtime.getHeapUsage")
        await cdp.detach()
    return float(usage["usedSize"]) / 2**20


async def clock_offset_ms(page: Page) -> float:
    """The page's clock minus this host's, in ms (within half the round trip)."""
    before = time.time()
    shown = await page.evaluate("() => performance.timeOrigin + performance.now()")
    return float(shown) - (before + time.time()) / 2 * 1000


def descendants_cpu(root: int, besides: int) -> float:
    """CPU seconds of the processes below `root` (not `besides`): the browser, its driver."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children[int(stat[1])].append(int(entry.name))
    total, todo = 0.0, [p for p in children[root] if p != besides]
    while todo:
        pid = todo.pop()
        todo += children[pid]
        with contextlib.suppress(OSError):
            total += cpu_seconds(pid)
    return total


# The figures --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    agent: str
    label: str
    at: float  # the command's instant, which the views say as the agent's `since`
    decided: float


@dataclass(slots=True)
class Matched:
    shown: list[tuple[Change, float]] = field(default_factory=list)  # each with its instant
    superseded: int = 0
    lost: int = 0


def match(
    changes: Sequence[Change], seen: Iterable[tuple[float, str, str]], now: Mapping[str, str]
) -> Matched:
    """Each observation to the latest pending change it shows (see the module's doc);
    `now` is what each row shows at the end."""
    own: dict[str, deque[Change]] = defaultdict(deque)
    for change in sorted(changes, key=lambda c: c.decided):
        own[change.agent].append(change)
    shown: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for at, agent, label in sorted(seen):
        shown[agent].append((at, label))
    out = Matched()
    for agent, queue in own.items():
        pending: list[Change] = []
        for at, label in shown[agent]:
            while queue and queue[0].decided <= at:
                pending.append(queue.popleft())
            hits = [n for n, change in enumerate(pending) if change.label == label]
            if hits:  # else the state shown before the run
                out.shown.append((pending[hits[-1]], at))
                out.superseded += hits[-1]
                pending = pending[hits[-1] + 1 :]
        left = pending + list(queue)
        lost = bool(left) and left[-1].label != now.get(agent)
        out.lost += lost
        out.superseded += len(left) - lost
    return out


def row(name: str, ms: Sequence[float]) -> str:
    if not ms:
        return f"  {name:42} {0:>6}"
    p50, p99 = percentile(ms, 50), percentile(ms, 99)
    return f"  {name:42} {len(ms):>6} {p50:>8.1f} {p99:>8.1f} {max(ms):>8.1f}"


def breakdown(matched: Matched, probe: Listener) -> list[str]:
    """Latency rows, ms: decision to DOM and its steps (the probe's receipts)."""
    parts: dict[str, list[float]] = defaultdict(list)
    for change, at in matched.shown:
        parts["decided -> page DOM"].append((at - change.decided) * 1000)
        received = probe.views.get((change.agent, change.at))
        if received is not None:
            parts["decided -> views built (coalescing)"].append(
                (received[0] - change.decided) * 1000
            )
            parts["views built -> received by the probe"].append((received[1] - received[0]) * 1000)
            parts["received by the probe -> page DOM"].append((at - received[1]) * 1000)
        event = probe.events.get((change.agent, change.at))
        if event is not None:
            parts["decided -> agent_changed received"].append((event - change.decided) * 1000)
    order = (
        "decided -> views built (coalescing)", "views built -> received by the probe",
        "received by the probe -> page DOM", "decided -> agent_changed received",
        "decided -> page DOM",
    )  # fmt: skip
    head = f"  {'latency, ms':42} {'n':>6} {'p50':>8} {'p99':>8} {'max':>8}"
    return [head, *(row(name, parts[name]) for name in order)]


def hottest(profile: Any, most: int = 12) -> list[str]:
    """The functions with the most self time in a CDP Profiler profile."""
    frames = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    spent: Counter[str] = Counter()
    for node, delta in zip(profile["samples"], profile["timeDeltas"][1:], strict=False):
        frame = frames[node]
        where = f" {Path(frame['url']).name}:{frame['lineNumber'] + 1}" if frame["url"] else ""
        spent[(frame["functionName"] or "(anonymous)") + where] += delta
    total = sum(spent.values()) or 1
    return [
        f"  {us / 1000:9.0f} ms {100 * us / total:5.1f} %  {name}"
        for name, us in spent.most_common(most)
    ]


# The run --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Measured:
    run: Any  # the child's answer for the measured phase
    baseline: Any
    page: Any  # TAKE_JS's records
    matched: Matched
    probe: Listener
    clients: list[Listener]
    heap: tuple[float, float]  # MB, before and after the run
    offsets: tuple[float, float]  # page clock minus host clock, ms, before and after
    cpu: dict[str, float]  # CPU seconds of this process and the browser during the run
    settled: bool


@contextlib.asynccontextmanager
async def page_profile(page: Page, path: Path | None) -> AsyncIterator[None]:
    """With a path: the page's CPU profile while inside, written there and summed up."""
    if path is None:
        yield
        return
    cdp = await page.context.new_cdp_session(page)
    async with asyncio.timeout(NETWORK_S):
        await cdp.send("Profiler.enable")
        await cdp.send("Profiler.start")
    yield
    async with asyncio.timeout(NETWORK_S):
        profile = (await cdp.send("Profiler.stop"))["profile"]
    await asyncio.to_thread(path.write_text, json.dumps(profile))
    print("page, self time during the run:", *hottest(profile), sep="\n")


async def settle(page: Page, probe: Listener, changes: Sequence[Change], within: float) -> bool:
    """Whether the page came to show every agent's last change, and the probe got them."""
    last = {c.agent: c for c in sorted(changes, key=lambda c: c.decided)}
    want = {agent: c.label for agent, c in last.items()}
    try:
        await page.wait_for_function(SETTLED_JS, arg=want, polling=100, timeout=within * 1000)
        await eventually(
            lambda: all((c.agent, c.at) in probe.views for c in last.values()),
            within=within,
            what="the probe's views of every agent's last change",
        )
    except (PlaywrightTimeout, AssertionError) as exc:
        print(f"not settled: {exc!s:.300}")
        return False
    return True


async def measure(
    args: argparse.Namespace,
    server: ServerChild,
    page: Page,
    clients: list[Listener],
    baseline: Any,
) -> Measured:
    await page.evaluate(TAKE_JS)  # the snapshot's draws are not the run's
    heap_before, offset_before = await heap_mb(page), await clock_offset_ms(page)
    mine, browser = time.process_time(), descendants_cpu(os.getpid(), server.proc.pid)
    async with page_profile(page, args.page_profile):
        run = await server.drive(args.seconds, args.rate, args.seed + 1, args.server_profile)
        cpu = {
            "this process": time.process_time() - mine,
            "the browser": descendants_cpu(os.getpid(), server.proc.pid) - browser,
        }
        changes = [Change(*c) for c in run["changes"]]
        settled = await settle(page, clients[0], changes, args.settle)
    taken = await page.evaluate(TAKE_JS)
    heap = (heap_before, await heap_mb(page))
    offsets = (offset_before, await clock_offset_ms(page))
    matched = match(changes, taken["seen"], taken["shown"])
    return Measured(run, baseline, taken, matched, clients[0], clients, heap, offsets, cpu, settled)


def share(seconds: float, wall: float) -> float:
    return 100 * seconds / wall if wall else 0.0


def report_load(args: argparse.Namespace, m: Measured) -> None:
    """What was offered and what the server and the clients did with it."""
    run, wall = m.run, m.run["wall_s"]
    print(
        f"\n{args.agents} agents in {args.queues} queues (two each), 1 page + {args.clients} "
        f"WebSocket clients; {args.seconds:g} s of changes at {args.rate:g}/s (Poisson)"
    )
    print(
        f"changes decided: {len(run['changes'])} in {wall:.1f} s, "
        f"{len(run['changes']) / wall:.0f}/s (refused {run['refused']}); submissions behind "
        f"schedule p99 {run['behind_p99_ms']:.0f} ms (the server's loop was busy)"
    )
    sizes = m.probe.view_sizes
    print(
        f"server: {run['views']} views messages ({run['views'] / wall:.1f}/s, mean "
        f"{statistics.mean(sizes) / 1000 if sizes else 0:.0f} kB); connections "
        f"{run['connections']}, dropped as too slow {run['dropped']}"
    )
    ended = Counter(c.ended for c in m.clients if c.ended)
    mb = sum(c.octets for c in m.clients) / 2**20
    messages = sum(c.messages for c in m.clients)
    print(f"clients: {messages} messages, {mb:.0f} MB; connections ended: {dict(ended)}")


def report_page(m: Measured) -> None:
    print(*breakdown(m.matched, m.probe), sep="\n")
    in_views = sum((c[0], c[2]) not in m.probe.views for c in m.run["changes"])
    print(
        f"superseded before shown: {m.matched.superseded} in the page ({in_views} never in a "
        f"views message); lost: {m.matched.lost}{'' if m.settled else ' (not settled)'}"
    )
    draws, frames = [d[1] for d in m.page["draws"]], [d[2] for d in m.page["draws"]]
    print(row("page: animation-frame callback (draw), ms", draws))
    print(row("page: its frame (style, layout, paint), ms", frames))
    print(f"  page: the bench's observer {m.page['observerMs']:.0f} ms in all")
    print(f"page clock - host clock: {m.offsets[0]:+.1f} ms before, {m.offsets[1]:+.1f} ms after")
    print(f"page heap: {m.heap[0]:.1f} MB before the run, {m.heap[1]:.1f} MB after")


def report_cpu(m: Measured) -> tuple[float, float | None]:
    """Shares of one core: the server's in the run, and its fan-out's: the run's CPU less
    the baseline's CPU per change times the run's changes (the rates may differ)."""
    run, wall = m.run, m.run["wall_s"]
    server = share(run["cpu_s"], wall)
    per_change = run["cpu_s"] / max(1, len(run["changes"])) * 1000
    said, fanout = f"; {per_change:.2f} ms a change", None
    if m.baseline:
        alone = m.baseline["cpu_s"] / max(1, len(m.baseline["changes"]))
        fanout = share(run["cpu_s"] - alone * len(run["changes"]), wall)
        said += f", {alone * 1000:.2f} ms without clients: fan-out {fanout:.0f} %"
    others = ", ".join(f"{k} {share(v, wall):.0f} %" for k, v in m.cpu.items())
    print(f"CPU, share of one core (2 here): server {server:.0f} %{said}; {others}")
    return server, fanout


def report(args: argparse.Namespace, m: Measured) -> None:
    report_load(args, m)
    report_page(m)
    server, fanout = report_cpu(m)
    shown_ms = [(at - change.decided) * 1000 for change, at in m.matched.shown]
    print(f"BENCH wallboard_p50_ms {percentile(shown_ms, 50):.0f} ms")
    print(f"BENCH wallboard_p99_ms {percentile(shown_ms, 99):.0f} ms")
    print(f"BENCH wallboard_heap_mb {m.heap[1]:.1f} MB")
    print(f"BENCH wallboard_server_cpu_pct {server:.0f} %")
    if fanout is not None:
        print(f"BENCH wallboard_fanout_cpu_pct {fanout:.0f} %")


async def bench(args: argparse.Namespace, workdir: Path) -> None:
    async with server_child(args, workdir) as server:
        hello = await server.read(START_S)
        url, token = hello["url"], hello["token"]
        baseline = None
        if args.baseline_seconds > 0:
            print(f"baseline: {args.baseline_seconds:g} s with no client ...", flush=True)
            baseline = await server.drive(args.baseline_seconds, args.rate, args.seed, None)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=list(FLAGS)
            )
            try:
                page = await open_board(browser, url, args.agents)
                async with listeners(url, token, args.clients) as clients:
                    print(f"run: {args.seconds:g} s with the page and the clients ...", flush=True)
                    measured = await measure(args, server, page, clients, baseline)
            finally:
                await browser.close()
    if args.server_profile:
        print("server, the hottest functions during the run:")
        pstats.Stats(str(args.server_profile)).sort_stats("tottime").print_stats(12)
    report(args, measured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="the measured run")
    parser.add_argument("--rate", type=float, default=200.0, help="state changes a second")
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--queues", type=int, default=50)
    parser.add_argument("--clients", type=int, default=50, help="WebSocket clients beside the page")
    parser.add_argument("--baseline-seconds", type=float, default=10.0, help="load, no client")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--settle", type=float, default=30.0, help="s for the last changes to show")
    parser.add_argument("--page-profile", type=Path, help="CDP CPU profile of the page, to here")
    parser.add_argument("--server-profile", type=Path, help="cProfile of the server, to here")
    parser.add_argument("--keep", action="store_true", help="keep the server's files")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the child: the server's side
    args = parser.parse_args()
    if args.agents < 2 or args.queues < 1 or args.clients < 1:
        parser.error("at least 2 agents (the harness's own two are reused), 1 queue, 1 client")
    if args.serve:
        asyncio.run(serve(args))
        return
    workdir = Path(tempfile.mkdtemp(prefix="cti-bench-wallboard-"))
    try:
        asyncio.run(bench(args, workdir))
    except BaseException:
        print(f"the server's log: {workdir / 'server.log'}", file=sys.stderr)
        raise
    if args.keep:
        print(f"the server's files: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
