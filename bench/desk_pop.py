"""Benchmark: the agent desktop's screen pop against its softphone's ring (issue 15).

    python bench/desk_pop.py [--calls 50] [--warmup 1] [--hold-ms 1500] [--patience 10] [--keep]

One run starts its own lab (a real Asterisk) and `cti serve` as a process on SQLite
(tests/lab/server.py), with one queue `support` (5 rings) and agent 1099, who has no SIPp
phone. Debian's chromium, headless, through Playwright (tests/browser.py's flags and fake
media), opens /desk and signs 1099 in on "This browser": the page's JsSIP softphone
registers over Asterisk's SIP WebSocket and the agent is ready. Then, one at a time,
--calls SIPp callers (5558000, 5558001, ...: the number matches each observation to its
call) dial the queue and hang up --hold-ms after it answers them; nobody clicks Answer,
so the offer is withdrawn at the hang-up and the agent is ready again (the server says so)
before the next call. --warmup calls before them (5557900, ...) are not counted.

The instants, all on this host's one clock (CLOCK_REALTIME):
  entered: the call's `entered_at` in the server's history (GET /api/v1/calls): the
           dialplan's own instant before the queue, placed on the server's timeline
           (cti/ami/timeline.py); time.time() just before SIPp starts when it has none;
  ring:    the page's "Answer" button enabled (desk.js drawCall: exactly while the
           softphone rings), stamped by a MutationObserver;
  pop:     the caller's number in #pop-caller with #pop shown, by the same observer.
Page instants are performance.timeOrigin + performance.now(), taken in the observer's
callback: after the DOM changed, before the frame is painted (page minus host clock is
measured before and after the calls and printed, not corrected). A call whose ring or pop
the page does not show within --patience seconds is lost and counts as infinitely late in
that figure (percentiles never improve by losing calls); percentiles are nearest-rank.

Where the time goes, from more instants of the same calls: the offer's `offered_at` (in the
page's `offer` message: the instant of the event it was decided on, CtiQueueEnter's
Timestamp on the server's timeline, not the decision's), that message's arrival in the page
(the hub sends it once the number's last calls are read) and the SIP INVITE's on the
softphone's WebSocket (a listener added before the page's own, by an init script wrapping
WebSocket), JsSIP's new session (Softphone.on.ringing), and the pop with the number's last
calls drawn (the `offer` message's, #pop-history-title shown; a pop drawn first from the
agent's own state has the number without them).

Prints the figures, then `BENCH desk_ring_p50_ms`, `BENCH desk_ring_p99_ms`, `BENCH
desk_pop_p50_ms`, `BENCH desk_pop_p99_ms` (from entered) and `BENCH
desk_pop_after_ring_p99_ms` (pop minus ring, per call; target <= 50 ms). --keep keeps the
lab's and the server's files (the lab itself is always stopped).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from playwright.async_api import Page, async_playwright, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

REPO: Final = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/desk_pop.py` puts bench/ first, not REPO
    sys.path.insert(0, str(REPO))

from route_figures import percentile  # noqa: E402
from workdir import in_workdir  # noqa: E402

from cti.lab import instance  # noqa: E402
from cti.lab.instance import LabInstance  # noqa: E402
from cti.lab.sipp import SippError, place_call  # noqa: E402
from tests.browser import CHROMIUM, FLAGS, MEDIA_FLAGS  # noqa: E402
from tests.lab.scenarios import acd_yaml, history_written, until_state  # noqa: E402
from tests.lab.server import ServerProcess, eventually  # noqa: E402

AGENT: Final = "1099"
PIN: Final = "1234"
QUEUE: Final = "support"
FIRST_NUMBER: Final = 5558000
WARMUP_NUMBER: Final = 5557900
TARGET_AFTER_RING_MS: Final = 50.0
BUDGET_S: Final = 780.0  # the whole run, within the lab lock's `timeout 900`
OBSERVER_JS: Final = """(() => {
  const now = () => performance.timeOrigin + performance.now();
  const bench = { current: null, seen: {} };
  window.__desk = bench;
  const mark = (kind, at = now(), number = bench.current) => {
    if (number === null) return;
    const seen = (bench.seen[number] ||= {});
    if (!(kind in seen)) seen[kind] = at;
  };
  const Native = window.WebSocket;  // our listener first: it sees a message on arrival
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const at = now();
        if (typeof event.data !== "string") return;
        if (event.data.startsWith("INVITE ")) { mark("invite", at); return; }
        if (!event.data.includes('"offer"')) return;
        const message = JSON.parse(event.data);
        if (message.type !== "offer") return;
        mark("offer", at, message.caller);
        mark("offered_at", message.offered_at * 1000, message.caller);
      });
    }
  };
  let phone = null;  // desk.js sets window.softphone once it has made the softphone
  Object.defineProperty(window, "softphone", {
    configurable: true,
    get: () => phone,
    set: (value) => {
      phone = value;
      const ringing = value.on.ringing;
      value.on.ringing = () => { mark("jssip"); ringing(); };
    },
  });
  document.addEventListener("DOMContentLoaded", () => {
    const [answer, pop, caller, history] = ["answer", "pop", "pop-caller", "pop-history-title"]
      .map((id) => document.getElementById(id));
    const check = () => {
      const at = now();
      if (!answer.disabled) mark("ring", at);
      if (pop.hidden || caller.textContent !== bench.current) return;
      mark("pop", at);
      if (!history.hidden) mark("history", at);
    };
    const observer = new MutationObserver(check);
    observer.observe(answer, { attributes: true, attributeFilter: ["disabled"] });
    const all = { attributes: true, attributeFilter: ["hidden"], childList: true };
    observer.observe(pop, { ...all, subtree: true, characterData: true });
  });
})();"""
SEEN_JS: Final = "(n) => { const s = window.__desk.seen[n]; return Boolean(s && s.ring && s.pop); }"


@dataclass(frozen=True, slots=True)
class Call:
    number: str
    placed_ms: float  # time.time() just before SIPp started
    marks: Mapping[str, float]  # the page's instants by kind (OBSERVER_JS), ms since the epoch
    sipp_status: int | None  # SIPp's exit status (0: the caller's scenario passed)


async def clock_offset_ms(page: Page) -> float:
    """The page's clock minus this host's, in ms (within half the round trip)."""
    before = time.time()
    shown = float(await page.evaluate("() => performance.timeOrigin + performance.now()"))
    return shown - (before + time.time()) / 2 * 1000


async def signed_in(page: Page, server: ServerProcess) -> None:
    """Agent 1099 signed in on the page's softphone, registered and ready."""
    await page.goto(server.url + "/desk")
    await page.get_by_label("Agent id").fill(AGENT)
    await page.get_by_label("PIN").fill(PIN)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#phone-status")).to_contain_text("registered", timeout=15_000)
    await expect(page.locator("#state .badge")).to_have_text("Ready", timeout=15_000)


async def one_call(
    lab: LabInstance, server: ServerProcess, page: Page, number: str, args: argparse.Namespace
) -> Call:
    """Place one caller; what the page saw of it, once the agent is ready again."""
    await page.evaluate("(n) => { window.__desk.current = n; }", number)
    placed = time.time()
    call = place_call(lab, QUEUE, number, hangup_after_ms=args.hold_ms)
    status: int | None = None
    try:
        await page.wait_for_function(SEEN_JS, arg=number, timeout=args.patience * 1000)
    except PlaywrightTimeout:
        print(f"  {number}: no ring or no pop within {args.patience:g} s", flush=True)
    try:
        status = await call.wait(within_s=args.hold_ms / 1000 + 30)
    except (TimeoutError, SippError):
        await call.cancel_and_wait()
    await until_state(server, AGENT, "available", within=20)
    marks = await page.evaluate("(n) => window.__desk.seen[n] || {}", number)
    return Call(number, placed * 1000, dict(marks), status)


async def entered_ms(server: ServerProcess, since: float) -> dict[str, float]:
    """Each caller's entry into the queue from the server's history, ms since the epoch."""
    await eventually(lambda: history_written(server), within=20, what="the call records written")
    _, body = await server.get(f"/api/v1/calls?queue={QUEUE}&limit=1000&since={since:.3f}")
    return {str(c["caller"]): float(c["entered_at"]) * 1000 for c in body["calls"]}


Span = Callable[[Call], float | None]


def mark(kind: str) -> Callable[[Call], float | None]:
    return lambda c: c.marks.get(kind)


def spread(calls: Sequence[Call], start: Span, end: Span) -> str:
    """p50 / p99 of end - start over the calls with both instants."""
    values = [e - s for c in calls if (s := start(c)) is not None and (e := end(c)) is not None]
    if not values:
        return "no call had both"
    p50, p99 = percentile(values, 50), percentile(values, 99)
    return f"{p50:7.1f} / {p99:7.1f} ms ({len(values)} calls)"


def report(calls: Sequence[Call], entered: Mapping[str, float], offsets: Sequence[float]) -> None:
    entry: Span = lambda c: entered.get(c.number, c.placed_ms)  # noqa: E731

    def late(c: Call, kind: str, start: Span) -> float:  # lost: infinitely late
        at, since = c.marks.get(kind), start(c)
        return math.inf if at is None or since is None else at - since

    ring = [late(c, "ring", entry) for c in calls]
    pop = [late(c, "pop", entry) for c in calls]
    after = [late(c, "pop", mark("ring")) for c in calls]
    lost = sum(1 for c in calls if not {"ring", "pop"} <= c.marks.keys())
    from_server = sum(1 for c in calls if c.number in entered)
    failed = sum(1 for c in calls if c.sipp_status != 0)
    print(
        f"{len(calls)} calls measured, {lost} lost (no ring or no pop), {failed} callers whose "
        f"SIPp failed; entered = the server's entered_at for {from_server}, time.time() "
        f"before SIPp for {len(calls) - from_server}"
    )
    print(f"page clock - host clock: {offsets[0]:+.1f} ms before, {offsets[1]:+.1f} ms after")
    print("where the time goes (p50 / p99):")
    steps: list[tuple[str, Span, Span]] = [
        ("SIPp started -> entered the queue", lambda c: c.placed_ms, entry),
        ("entered -> CtiQueueEnter (offered_at)", entry, mark("offered_at")),
        ("offered_at -> INVITE on the softphone's socket", mark("offered_at"), mark("invite")),
        ("INVITE -> JsSIP's new session (ringing)", mark("invite"), mark("jssip")),
        ("JsSIP ringing -> Answer enabled (ring)", mark("jssip"), mark("ring")),
        ("offered_at -> offer message in the page", mark("offered_at"), mark("offer")),
        ("offer message -> pop with last calls drawn", mark("offer"), mark("history")),
        ("ring -> pop (number shown)", mark("ring"), mark("pop")),
        ("ring -> pop with last calls drawn", mark("ring"), mark("history")),
    ]
    for label, start, end in steps:
        print(f"  {label:48} {spread(calls, start, end)}")
    first = sum(1 for c in calls if c.marks.get("pop", math.inf) < c.marks.get("offer", math.inf))
    print(f"  pops first drawn from the agent's state, before the offer message: {first}")
    worst = percentile(after, 99)
    verdict = "met" if worst <= TARGET_AFTER_RING_MS else "NOT met"
    print(f"pop after ring p99 {worst:.1f} ms, target <= {TARGET_AFTER_RING_MS:g} ms: {verdict}")
    print(f"BENCH desk_ring_p50_ms {percentile(ring, 50):.1f} ms")
    print(f"BENCH desk_ring_p99_ms {percentile(ring, 99):.1f} ms")
    print(f"BENCH desk_pop_p50_ms {percentile(pop, 50):.1f} ms")
    print(f"BENCH desk_pop_p99_ms {percentile(pop, 99):.1f} ms")
    print(f"BENCH desk_pop_after_ring_p99_ms {worst:.1f} ms")


async def run_calls(lab: LabInstance, server: ServerProcess, args: argparse.Namespace) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*FLAGS, *MEDIA_FLAGS]
        )
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 800})
            page = await context.new_page()
            page.set_default_timeout(10_000)
            await page.add_init_script(OBSERVER_JS)
            await signed_in(page, server)
            print(f"agent {AGENT} signed in on the page's softphone, ready", flush=True)
            for n in range(args.warmup):
                await one_call(lab, server, page, str(WARMUP_NUMBER + n), args)
            since, offset_before = time.time(), await clock_offset_ms(page)
            calls = []
            for n in range(args.calls):
                calls.append(await one_call(lab, server, page, str(FIRST_NUMBER + n), args))
                if (n + 1) % 10 == 0:
                    print(f"  {n + 1} calls", flush=True)
            offsets = (offset_before, await clock_offset_ms(page))
        finally:
            await browser.close()
    report(calls, await entered_ms(server, since - 1), offsets)


async def bench(args: argparse.Namespace, workdir: Path) -> None:
    """Start a lab and the server, run the calls, and leave nothing running."""
    name = f"bench-desk-{secrets.token_hex(4)}"
    print(f"lab {name}: starting Asterisk ...", flush=True)
    server: ServerProcess | None = None
    done = False
    try:
        lab = await asyncio.to_thread(instance.up, name)
        server = ServerProcess(lab, workdir)
        await server.configure(acd_yaml({AGENT: QUEUE}, ring_limit=5, max_wrap_up=1))
        await server.start()
        await run_calls(lab, server, args)
        done = True
    except BaseException:
        if server is not None:
            print(f"server log tail:\n{server.log_tail()}", file=sys.stderr)
        print(f"the lab's files kept for a look: {instance.home_of(name)}", file=sys.stderr)
        raise
    finally:
        if server is not None:
            await server.kill()
        await asyncio.to_thread(instance.down, name, purge=done and not args.keep)


async def main_async(args: argparse.Namespace) -> None:
    await in_workdir("cti-bench-desk-", BUDGET_S, args.keep, lambda workdir: bench(args, workdir))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=50, help="calls measured")
    parser.add_argument("--warmup", type=int, default=1, help="calls before, not counted")
    parser.add_argument("--hold-ms", type=int, default=1500, help="caller hangs up after")
    parser.add_argument("--patience", type=float, default=10.0, help="s for ring and pop")
    parser.add_argument("--keep", action="store_true", help="keep the lab's and server's files")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
