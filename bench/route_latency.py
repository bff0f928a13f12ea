"""Benchmark: routing latency in the lab: the CTI server, its floor, and Asterisk's app_queue.

    python bench/route_latency.py [--rate 20] [--agents 20] [--seconds 25] [--runs 3]
                                  [--arrivals poisson|even] [--talk-ms 300]
                                  [--breakdown] [--keep]

Routing latency: from a caller entering the queue with an agent free to the agent's phone
receiving the INVITE. One run starts its own lab (a real Asterisk) and 20 SIPp agent
phones that answer at once and hang up after --talk-ms, then sends the same traffic (one
SIPp caller process, tests/sipp/bench_caller.xml, --rate new calls per second for
--seconds through the trunk, evenly spaced or, with --arrivals poisson, at random as
independent callers arrive: caller_scenario says how) to three systems, one after the
other, with the same phones:

  cti:       `cti serve` as a process, the agents logged in through the API to one queue
             (wrap-up 0); the dialled number names the queue (dialplan/cti-dialplan.conf).
             With an agent free the server keeps offers armed (pre-armed routing,
             contract v11): [cti-queue] takes one in [cti-take] and Dials its agent in
             [cti-connect] at once, telling the server by CtiArmTaken. With no arm free
             (a fallback) or no agent free, [cti-queue] sends UserEvent CtiQueueEnter and
             plays music, the server decides and sends the actions of
             cti.ami.control.plan(ConnectCall) (Setvar, Redirect);
  floor:     the server stopped (it withdraws its arms: checked); the same number,
             dialplan and actions on the event path, the decision made by
             bench/floor_router.py, a process with one AMI session of class `user` that
             answers each CtiQueueEnter at once with the phone free longest (in practice
             round robin; callers wait first come first served when none is) and no
             state, storage or bookkeeping to speak of;
  app_queue: the server stopped, the same phones as dynamic members of Asterisk's queue
             `bench` (asterisk-config/queues.conf: leastrecent, ringinuse=no, wrap-up 0),
             reached by the extension app-queue-bench (asterisk-config/extensions.conf).

The floor is the lower bound of deciding outside Asterisk over AMI after the caller has
arrived (the event path): whatever decides then, Asterisk must tell it of the caller (an
event out, over the socket), it must answer (an action back, run by the manager) and the
caller's channel must then leave its music and start Dial. The floor has all of that and
nothing more than the contract's own actions (cti.ami.control.plan: one Setvar and the
Redirect) and a decision that takes tens of microseconds. Pre-armed routing takes the
round trip away for callers who find an agent free, so there cti is measured against
app_queue itself; callers who waited go by the event path in both, and there cti is
measured against the floor.

--runs paired runs of the three systems follow one another in the same lab; each ratio
is the median of the runs' (route_figures.py). With --talk-ms long enough that the
phones are busy most of the time (1100 at 20 calls/s), many callers wait, and the figures
of callers that waited (from their phone being free again to its INVITE) compare the
server with the floor: route_p99_waited_vs_floor.

The phases run in that order: the server's first, in the same lab state as the runs
before the floor existed; the floor next, on the same dialplan path once the server is
gone (SIGTERM, then no channel left, so nothing of its is in flight); app_queue last,
because its dynamic members are the one change to Asterisk that outlives a phase.

The lab is the usual one with two changes for this run only: the post-call survey is off
(CTI_SURVEY_ENABLED 0), so that in every system a caller leaves when the agent hangs up,
and RTP is bound to loopback (bind_rtp_to_loopback says why).

The two instants, on the host's one clock:
  entered: the dialplan's ${STRFTIME(,,%s.%6q)} right before the queue (CTI_ENTERED, sent
           in CtiQueueEnter; BENCH_ENTERED, sent in BenchQueueEnter), read over AMI;
  invited: the agent phone's SIPp message trace of the INVITE (-trace_msg timestamps).
Each call has its own caller number (a prefix per system and SIPp's call number), which
Asterisk sends as the INVITE's From user: that is how an INVITE is matched to its entry.
Which calls count and how percentiles are taken: bench/route_figures.py.

It prints the CPU share of Asterisk, the server or the floor router, and itself during
each traffic, the server's AMI events per call and engine lag (its /metrics), and what
the floor router did. With --breakdown, also where the time goes, from AMI event times
(timestampevents = yes): the UserEvent, its arrival at an AMI client (this bench's own
listener for cti, a stand-in for the server's; the router itself for floor, with the
instant its actions were written), the offer's Setvar (VarSet), the Redirect's entry into
cti-connect (Newexten), DialBegin, and the INVITE (Asterisk stamps DialBegin after sending
the INVITE, so that last step can be negative); the listener then parses every call and
dialplan event, which costs the systems under test some CPU. --keep keeps the lab's and
server's files and writes every instant of every call to marks.json.

Ends with `BENCH route_p99_vs_app_queue <r> x` (CTI p99 / app_queue p99) and the figures
behind it, among them route_p50_vs_app_queue, route_fallback_pct (counted cti callers that
did not take an arm), route_p99_floor_vs_app_queue and route_p99_cti_vs_floor. The machine
is shared and noisy; all systems run in the same run for that.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Final

from prometheus_client.parser import text_string_to_metric_families

REPO: Final = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/route_latency.py` puts bench/ first, not REPO
    sys.path.insert(0, str(REPO))

from floor_router import STUCK_S, RouterSummary, floor_router  # noqa: E402
from route_figures import DEFAULT_TALK_MS, TrafficRun, figures, report, summary  # noqa: E402
from route_marks import AmiMarks, ami_listener, read_traces  # noqa: E402
from workdir import in_workdir  # noqa: E402

from cti.lab import instance  # noqa: E402
from cti.lab.instance import LabInstance  # noqa: E402
from cti.lab.ports import pick_sipp_block  # noqa: E402
from cti.lab.sipp import CALLER_IP, SCENARIOS, Softphone, _Run  # noqa: E402
from tests.lab.server import ServerProcess, eventually  # noqa: E402

CTI_QUEUE: Final = "bench"  # the server's queue (configured by this bench)
APP_QUEUE: Final = "bench"  # app_queue's queue (queues.conf)
APP_QUEUE_EXTEN: Final = "app-queue-bench"  # extensions.conf: from the trunk to Queue(bench)
# Caller number = prefix + SIPp's call number; the order is the order of the phases.
PREFIX: Final = {"cti": "71", "floor": "73", "app_queue": "72"}
# Run as a copy with its patience filled in (the scenario says why).
CALLER_SCENARIO: Final = SCENARIOS / "bench_caller.xml"
PIN: Final = "1234"
BUDGET_S: Final = 600.0  # the whole run, whatever happens
POISSON_SPREAD: Final = 20  # --arrivals poisson: each INVITE's mean wait, in call gaps

# --- traffic ------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def place_calls(
    lab: LabInstance,
    service: str,
    prefix: str,
    watch: Mapping[str, int],
    args: argparse.Namespace,
) -> TrafficRun:
    """Place rate x seconds calls to service from the trunk, watching the CPU of `watch`."""
    calls = round(args.rate * args.seconds)
    port = pick_sipp_block()
    argv = ["sipp", "-sf", str(args.scenario), "-i", CALLER_IP, "-nostdin"]
    argv += ["-p", str(port), "-cp", str(port + 1), "-mp", str(port + 2)]
    argv += [f"{lab.host}:{lab.ports.sip}", "-s", service, "-key", "prefix", prefix]
    argv += ["-r", str(args.rate), "-m", str(calls), "-recv_timeout", "10000"]
    watch = {**watch, "asterisk": lab.pid, "this bench": os.getpid()}
    before, started = {name: cpu_seconds(pid) for name, pid in watch.items()}, time.monotonic()
    # _Run records the PID (so `cti lab down` stops a SIPp left behind) and kills on exit.
    within_s = args.seconds + args.patience_ms / 1000 + 30
    status = await _Run(lab, None).run(argv, within_s=within_s)
    elapsed = time.monotonic() - started
    cpu = {name: (cpu_seconds(pid) - before[name]) / elapsed for name, pid in watch.items()}
    return TrafficRun(status, cpu)


def caller_scenario(args: argparse.Namespace) -> str:
    """The caller's scenario with its patience filled in; with --arrivals poisson, each
    call first waits an exponential time of mean POISSON_SPREAD call gaps before its INVITE.
    SIPp starts calls evenly at --rate; displaced by independent exponential waits that
    long, their INVITEs are as good as a Poisson process at that rate (bursts and lulls as
    random callers make them), with its gaps' mean still 1/rate."""
    text = CALLER_SCENARIO.read_text().replace("@PATIENCE_MS@", str(args.patience_ms))
    if args.arrivals == "even":
        return text
    mean_ms = POISSON_SPREAD * 1000 / args.rate
    pause = f'<pause distribution="exponential" mean="{mean_ms:.0f}"/>'
    return text.replace(
        '<scenario name="bench_caller">', f'<scenario name="bench_caller">\n  {pause}', 1
    )


def bind_rtp_to_loopback(lab: LabInstance) -> bool:
    """Bind the lab's RTP to its loopback address, as its SIP and AMI are; True if changed.

    Without media_address, each call from the trunk makes Asterisk look up its own host
    name (acl.c "Unable to lookup 'vm'", then A.ROOT-SERVERS.NET) on a PJSIP thread. In a
    chroot with no /etc/hosts that is a DNS query, and where DNS drops queries now and then
    the thread waits 5 s: no new call is taken meanwhile, so one lookup spoils a whole run.
    Only this bench's own lab is changed, and only while asterisk-config/pjsip.conf does
    not say it already."""
    path = lab.home / "etc" / "pjsip.conf"
    text = path.read_text()
    if "bind_rtp_to_media_address" in text:
        return False
    extra = f"media_address = {lab.host}\nbind_rtp_to_media_address = yes\n"
    for section in ("[agent-device](!)\ntype = endpoint\n", "[trunk]\ntype = endpoint\n"):
        if text.count(section) != 1:
            raise RuntimeError(f"pjsip.conf: no single {section!r} to bind RTP in")
        text = text.replace(section, section + extra)
    path.write_text(text)
    lab.cli("module reload res_pjsip.so")
    return True


async def wait_for_quiet(lab: LabInstance) -> None:
    """Until Asterisk has no channel left (every call of the last system is over)."""

    async def quiet() -> bool:
        out = await asyncio.to_thread(lab.cli, "core show channels count")
        return bool(re.search(r"^0 active channels", out, re.M))

    try:
        await eventually(quiet, within=30, what="no channel left in Asterisk", every=0.5)
    except AssertionError:
        print(await asyncio.to_thread(lab.cli, "core show channels verbose"), file=sys.stderr)
        raise


async def run_cti(
    lab: LabInstance,
    server: ServerProcess,
    devices: Sequence[str],
    args: argparse.Namespace,
    run: int,
) -> TrafficRun:
    yaml = [f"queues:\n  - id: {CTI_QUEUE}\n    max_wrap_up: 0\nagents:"]
    yaml += [f'  - id: "{d}"\n    pin: "{PIN}"\n    queues: {{{CTI_QUEUE}: 0}}' for d in devices]
    await server.configure("\n".join(yaml) + "\n")
    await server.start()
    for device in devices:  # after run 1 the server restores the logins its last run left
        _, seen = await server.get(f"/api/v1/agents/{device}")
        if seen["agent"]["state"] == "logged_out":
            await server.log_in(device, PIN)

    async def all_available() -> bool:
        states = [(await server.get(f"/api/v1/agents/{d}"))[1] for d in devices]
        return all(s["agent"]["state"] == "available" for s in states)

    await eventually(all_available, within=20, what="every agent available in the server")
    assert server.proc is not None
    await eventually(lambda: armed(lab), within=20, what="the server arming the queue")
    watch = {"server": server.proc.pid}
    traffic = await place_calls(lab, CTI_QUEUE, prefix("cti", run), watch, args)
    notes = [await engine_figures(server, round(args.rate * args.seconds))]
    return replace(traffic, notes=notes)


async def armed(lab: LabInstance) -> bool:
    """The queue's first slot is armed (pre-armed routing: the server keeps it armed)."""
    return bool((await arm_values(lab)).get(1))


async def engine_figures(server: ServerProcess, calls: int) -> str:
    """From the server's /metrics: AMI events per call and the engine's processing lag."""
    _, text = await server.get("/metrics")
    events: Counter[str] = Counter()
    lag: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "cti_ami_events_total":
                events[sample.labels["event"]] += int(sample.value)
            elif sample.name == "cti_event_processing_lag_seconds_bucket":
                lag[float(sample.labels["le"])] = sample.value
    total = lag.get(math.inf, 0.0)

    def bound(p: float) -> str:  # the histogram's bucket holding the p-th percentile
        le = min((le for le, n in lag.items() if n >= p / 100 * total), default=math.nan)
        return f"<= {le * 1000:g} ms"

    per_call = max(calls, 1)
    most = ", ".join(f"{name} {n / per_call:.0f}" for name, n in events.most_common(6))
    return (
        f"  server: {events.total() / per_call:.0f} AMI events per call (most: {most}); "
        f"engine lag (receipt to effects run, cti_event_processing_lag_seconds) "
        f"p50 {bound(50)}, p99 {bound(99)}"
    )


async def run_floor(
    lab: LabInstance, marks: AmiMarks, args: argparse.Namespace, log: Path, run: int
) -> TrafficRun:
    """The floor: the server's path with bench/floor_router.py deciding (the server is down)."""
    async with floor_router(lab, args.devices, log) as router:
        watch = {"router": router.pid}
        traffic = await place_calls(lab, CTI_QUEUE, prefix("floor", run), watch, args)
        await wait_for_quiet(lab)  # every Dial over: the router has nothing left to hear
    assert router.summary is not None
    marks.add(router.summary.marks)
    return replace(traffic, notes=[router_figures(router.summary)])


def router_figures(summary: RouterSummary) -> str:
    line = (
        f"  floor router: {summary.offers} offers ({summary.re_offers} again after a dial "
        f"that did not answer), {summary.waited} callers waited for a phone, "
        f"{summary.blind_picks} phones taken back after {STUCK_S:g} s without a result, "
        f"{summary.failed_actions} actions failed"
    )
    failures = summary.failures + summary.errors
    return line + (f" (first: {'; '.join(failures)})" if failures else "")


async def run_app_queue(
    lab: LabInstance, devices: Sequence[str], args: argparse.Namespace, run: int
) -> TrafficRun:
    for device in devices:
        await asyncio.to_thread(lab.cli, f"queue add member PJSIP/{device} to {APP_QUEUE}")

    async def all_members_free() -> bool:
        out = await asyncio.to_thread(lab.cli, f"queue show {APP_QUEUE}")
        return out.count("Not in use") == len(devices)

    await eventually(all_members_free, within=20, what="every app_queue member not in use")
    return await place_calls(lab, APP_QUEUE_EXTEN, prefix("app_queue", run), {}, args)


# --- the run ------------------------------------------------------------------------------


async def all_systems(
    lab: LabInstance, server: ServerProcess, phones: Sequence[Softphone], args: argparse.Namespace
) -> None:
    """--runs paired runs of cti, floor, then app_queue (the module's docstring says why in
    that order), with the same phones; prints the figures."""
    traffic: list[dict[str, TrafficRun]] = []
    async with contextlib.AsyncExitStack() as stack:
        for phone in phones:  # one by one: each picks free ports, then binds them
            await phone.start_retrying()
            stack.push_async_callback(phone.stop)
        async with ami_listener(lab, breakdown=args.breakdown) as listener:
            for run in range(args.runs):
                print(f"run {run + 1}: {len(phones)} agent phones registered; cti ...", flush=True)
                found = {"cti": await run_cti(lab, server, args.devices, args, run)}
                await wait_for_quiet(lab)
                await server.kill(signal.SIGTERM)
                await arms_withdrawn(lab)
                print("floor ...", flush=True)
                found["floor"] = await run_floor(lab, listener, args, args.router_log, run)
                print("app_queue ...", flush=True)
                found["app_queue"] = await run_app_queue(lab, args.devices, args, run)
                await wait_for_quiet(lab)
                await remove_members(lab, args.devices)
                traffic.append(found)
            await asyncio.sleep(0.5)  # the last events on their way to the listener
    calls = read_traces(phones)  # now that the phones have stopped, their traces are complete
    if args.keep:  # every instant of every call, for a closer look
        dump = {
            c: {**m, **(asdict(calls[c]) if c in calls else {})} for c, m in listener.marks.items()
        }
        (args.scenario.parent / "marks.json").write_text(json.dumps(dump, indent=1))
        (args.scenario.parent / "channels.json").write_text(json.dumps(listener.channels))
    results = [
        {
            system: figures(system, prefix(system, run), found[system], listener.marks, calls, args)
            for system in PREFIX
        }
        for run, found in enumerate(traffic)
    ]
    print(f"run took {time.monotonic() - args.started:.0f} s")
    for run in results:
        report(run, listener.marks, calls, args)
    summary(results, args)


def prefix(system: str, run: int) -> str:
    """Caller numbers of the system's calls in that run (PREFIX, then the run)."""
    return f"{PREFIX[system]}{run}"


async def arm_values(lab: LabInstance) -> dict[int, str]:
    """The queue's arm slots as Asterisk holds them (its globals), by slot."""
    out = await asyncio.to_thread(lab.cli, "dialplan show globals")
    found = re.finditer(rf"^\s*CTI_ARM_{CTI_QUEUE}_(\d+)=(.*)$", out, re.M)
    return {int(match[1]): match[2].strip() for match in found}


async def arms_withdrawn(lab: LabInstance) -> None:
    """The stopped server left no arm behind (it withdraws them at its stop): the floor's
    callers all go by the event path, as its design says."""
    left = {slot: value for slot, value in (await arm_values(lab)).items() if value}
    if left:
        raise RuntimeError(f"the stopped server left arms behind: {left}")


async def remove_members(lab: LabInstance, devices: Sequence[str]) -> None:
    """app_queue's dynamic members out again, so the next run's cti phase sees the lab as
    the first one did."""
    for device in devices:
        await asyncio.to_thread(lab.cli, f"queue remove member PJSIP/{device} from {APP_QUEUE}")


async def bench(args: argparse.Namespace, workdir: Path) -> None:
    """Start a lab, run the three systems, and leave nothing running, whatever happens."""
    name = f"bench-{secrets.token_hex(4)}"
    args.scenario = workdir / CALLER_SCENARIO.name
    args.router_log = workdir / "floor-router.log"
    args.scenario.write_text(caller_scenario(args))
    print(f"lab {name}: starting Asterisk ...", flush=True)
    server: ServerProcess | None = None
    phones: list[Softphone] = []
    done = False
    try:
        lab = await asyncio.to_thread(instance.up, name, devices=tuple(args.devices))
        if await asyncio.to_thread(bind_rtp_to_loopback, lab):
            print("RTP bound to loopback in this lab (see bind_rtp_to_loopback)", flush=True)
        # Survey off (every system): a caller leaves as soon as the agent hangs up.
        await asyncio.to_thread(lab.cli, "dialplan set global CTI_SURVEY_ENABLED 0")
        server = ServerProcess(lab, workdir)
        phones = [
            Softphone(lab, d, "answer_hangup_first", talk_ms=args.talk_ms, trace=True)
            for d in args.devices
        ]
        await all_systems(lab, server, phones, args)
        done = True
    except BaseException:
        if server is not None:
            print(f"server log tail:\n{server.log_tail()}", file=sys.stderr)
        if args.router_log.exists():
            print(f"floor router's stderr:\n{args.router_log.read_text()[-3000:]}", file=sys.stderr)
        print(
            f"kept for a look: the lab's files ({name}); `cti lab down` not needed", file=sys.stderr
        )
        raise
    finally:
        if server is not None:
            await server.kill()
        await asyncio.to_thread(instance.down, name, purge=done and not args.keep)
        for phone in phones:
            if phone.trace_dir is not None and not args.keep:
                shutil.rmtree(phone.trace_dir, ignore_errors=True)
        if args.keep:
            print(f"kept: the lab's files ({name}) and the SIPp traces in /tmp/cti-lab-sipp-*")


async def main_async(args: argparse.Namespace) -> None:
    await in_workdir("cti-bench-route-", BUDGET_S, args.keep, lambda workdir: bench(args, workdir))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="new calls per second")
    parser.add_argument("--seconds", type=float, default=25.0, help="traffic per system")
    parser.add_argument("--talk-ms", type=int, default=DEFAULT_TALK_MS, help="agent hangs up after")
    parser.add_argument("--patience-ms", type=int, default=5000, help="caller gives up after")
    parser.add_argument("--agents", type=int, default=20, help="agent phones (1001...)")
    parser.add_argument("--warmup-s", type=float, default=1.0)
    parser.add_argument("--free-margin-ms", type=float, default=100.0)
    parser.add_argument("--breakdown", action="store_true", help="where the time goes")
    parser.add_argument(
        "--arrivals", choices=("even", "poisson"), default="poisson",
        help="callers evenly spaced, or random (Poisson) arrivals at the same rate",
    )  # fmt: skip
    parser.add_argument("--runs", type=int, default=3, help="paired runs (ratios: medians)")
    parser.add_argument("--keep", action="store_true", help="keep the lab's files and traces")
    args = parser.parse_args()
    args.devices = [str(1001 + n) for n in range(args.agents)]
    args.started = time.monotonic()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
