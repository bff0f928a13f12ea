"""Benchmark: routing latency in the lab, the CTI server beside Asterisk's own app_queue.

    python bench/route_latency.py [--rate 20] [--seconds 25] [--breakdown] [--keep]

Routing latency: from a caller entering the queue with an agent free to the agent's phone
receiving the INVITE. One run starts its own lab (a real Asterisk) and 20 SIPp agent
phones that answer at once and hang up after --talk-ms, then sends the same traffic (one
SIPp caller process, --rate new calls per second for --seconds through the trunk) to two
systems, one after the other, with the same phones:

  cti:       `cti serve` as a process, the agents logged in through the API to one queue
             (wrap-up 0); the dialled number names the queue (dialplan/cti-dialplan.conf);
  app_queue: the server stopped, the same phones as dynamic members of Asterisk's queue
             `bench` (asterisk-config/queues.conf: leastrecent, ringinuse=no, wrap-up 0),
             reached by the extension app-queue-bench (asterisk-config/extensions.conf).

The lab is the usual one with two changes for this run only: the post-call survey is off
(CTI_SURVEY_ENABLED 0), so that in both systems a caller leaves when the agent hangs up,
and RTP is bound to loopback (bind_rtp_to_loopback says why).

The two instants, on the host's one clock:
  entered: the dialplan's ${STRFTIME(,,%s.%6q)} right before the queue (CTI_ENTERED, sent
           in CtiQueueEnter; BENCH_ENTERED, sent in BenchQueueEnter), read over AMI;
  invited: the agent phone's SIPp message trace of the INVITE (-trace_msg timestamps).
Each call has its own caller number (a prefix per system and SIPp's call number), which
Asterisk sends as the INVITE's From user: that is how an INVITE is matched to its entry.

A call counts only when an agent phone was free at its entry (no call from its INVITE to
the end of that dialog plus --free-margin-ms, so both systems have heard of the hang-up),
and not in the first --warmup-s of its system's traffic. A counted call whose agent never
got an INVITE (the caller gave up after --patience-ms) counts as infinitely late:
percentiles never improve by losing calls. Percentiles are nearest-rank.

It prints the CPU share of Asterisk, the server and itself during each traffic, and the
server's AMI events per call and engine lag (its /metrics). With --breakdown, also where
the time goes, from AMI event times (timestampevents = yes): the UserEvent, its arrival
at an AMI client (this bench's own listener, a stand-in for the server's), the server's
Setvar of CTI_AGENT_DIAL (VarSet), the Redirect's entry into cti-connect (Newexten),
DialBegin, and the INVITE (Asterisk stamps DialBegin after sending the INVITE, so that
last step can be negative); the listener then parses every call and dialplan event, which
costs the systems under test some CPU. --keep keeps the lab's and server's files and
writes every instant of every call to marks.json.

Ends with `BENCH route_p99_vs_app_queue <r> x` (CTI p99 / app_queue p99) and the figures
behind it. The machine is shared and noisy; both systems run in the same run for that.
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
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from panoramisk import Manager
from prometheus_client.parser import text_string_to_metric_families

REPO: Final = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/route_latency.py` puts bench/ first, not REPO
    sys.path.insert(0, str(REPO))

from cti.lab import instance  # noqa: E402
from cti.lab.instance import LabInstance  # noqa: E402
from cti.lab.ports import pick_sipp_block  # noqa: E402
from cti.lab.sipp import CALLER_IP, SippError, Softphone, _Run  # noqa: E402
from tests.lab.server import ServerProcess, eventually  # noqa: E402

CTI_QUEUE: Final = "bench"  # the server's queue (configured by this bench)
APP_QUEUE: Final = "bench"  # app_queue's queue (queues.conf)
APP_QUEUE_EXTEN: Final = "app-queue-bench"  # extensions.conf: from the trunk to Queue(bench)
PREFIX: Final = {"cti": "71", "app_queue": "72"}  # caller number = prefix + SIPp call number
PIN: Final = "1234"
BUDGET_S: Final = 600.0  # the whole run, whatever happens

# One SIPp caller process places every call of a system; [prefix][call_number] is unique.
CALLER_XML: Final = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!-- Bench caller (written by bench/route_latency.py): dials [service] as caller
     [prefix][call_number] and waits for the far end's BYE (the agent hangs up first);
     with no BYE within @PATIENCE_MS@ ms of the queue's answer it hangs up itself. -->
<scenario name="bench_caller">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[prefix][call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:[prefix][call_number]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[prefix][call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:[prefix][call_number]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv request="BYE" timeout="@PATIENCE_MS@" ontimeout="give_up"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
  <nop next="done"/>
  <label id="give_up"/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[prefix][call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: sip:[prefix][call_number]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200"/>
  <label id="done"/>
</scenario>
"""


# --- what Asterisk tells over AMI ---------------------------------------------------------


@dataclass(slots=True)
class AmiMarks:
    """First instant of each mark per caller number, from one plain AMI session."""

    marks: defaultdict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    channels: dict[str, str] = field(default_factory=dict)  # caller's Uniqueid -> caller

    def on_event(self, _manager: Any, message: Any) -> None:
        """panoramisk callback: sync, and never raises (a bad event is just not a mark)."""
        with contextlib.suppress(KeyError, ValueError, TypeError):
            self._note(message, time.time())

    def _note(self, event: Any, heard: float) -> None:
        name, at = event.get("Event"), float(event.get("Timestamp", "nan"))
        caller = str(event.get("CallerIDNum", ""))
        if name == "UserEvent" and event["UserEvent"] in ("CtiQueueEnter", "BenchQueueEnter"):
            caller = str(event["CallerNum"])
            self.channels[str(event.get("Uniqueid", ""))] = caller
            self._mark(caller, "entered", float(event["Entered"]))
            self._mark(caller, "announced", at)
            self._mark(caller, "heard", heard)
        elif name == "VarSet" and event.get("Variable") == "CTI_AGENT_DIAL":
            self._mark(caller, "agent_dial_set", at)
        elif name == "Newexten" and event.get("Context") == "cti-connect":
            self._mark(caller, "connect", at)
        elif name == "DialBegin":
            self._mark(caller, "dial_begin", at)

    def _mark(self, caller: str, mark: str, at: float) -> None:
        if caller and not math.isnan(at):
            self.marks[caller].setdefault(mark, at)


@contextlib.asynccontextmanager
async def ami_listener(lab: LabInstance, *, breakdown: bool) -> AsyncIterator[AmiMarks]:
    """An AMI session noting marks. Without breakdown it takes only UserEvents (class user):
    the call and dialplan classes are ~120 events a call, whose parsing here would take CPU
    from the systems under test (about 15 % of a core at 20 calls/s)."""
    marks = AmiMarks()
    manager = Manager(
        host=lab.host,
        port=lab.ports.ami,
        username=lab.ami_user,
        secret=lab.ami_secret,
        events="user,call,dialplan" if breakdown else "user",
        ping_delay=10**6,
    )
    manager.register_event("*", marks.on_event)
    async with asyncio.timeout(10):
        await manager.connect()
    try:
        yield marks
    finally:
        manager.close()


# --- what the agent phones saw ------------------------------------------------------------

TRACE_HEAD: Final = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)$", re.M)
FROM_USER: Final = re.compile(r"^From:.*?<?sips?:([^@;>]+)@", re.M)
CALL_ID: Final = re.compile(r"^Call-ID:\s*(\S+)", re.M | re.I)


@dataclass(frozen=True, slots=True)
class PhoneCall:
    device: str
    invited: float  # the INVITE reached the phone
    ended: float  # the dialog's last message (the BYE's answer): the phone is free again


def read_traces(phones: Iterable[Softphone]) -> dict[str, PhoneCall]:
    """Per caller number (the INVITE's From user), the call its agent phone took."""
    calls: dict[str, PhoneCall] = {}
    for phone in phones:
        assert phone.trace_dir is not None
        for path in phone.trace_dir.glob("*_messages.log"):
            for caller, invited, ended in _dialogs(path.read_text(errors="replace")):
                calls.setdefault(caller, PhoneCall(phone.device, invited, ended))
    return calls


def _dialogs(text: str) -> Iterable[tuple[str, float, float]]:
    """(caller, INVITE received, last message) of each call in a SIPp -trace_msg log."""
    invites: dict[str, tuple[str, float]] = {}
    last: dict[str, float] = {}
    heads = list(TRACE_HEAD.finditer(text))
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        block = text[head.end() : following.start() if following else len(text)]
        found = CALL_ID.search(block)
        if found is None:
            continue
        dialog = found.group(1)
        # SIPp writes local time; the same host's local zone turns it back into epoch.
        at = datetime.strptime(head.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        last[dialog] = at
        lines = [line for line in block.splitlines() if line.strip()]
        sender = FROM_USER.search(block)
        received_invite = len(lines) > 1 and "received" in lines[0] and lines[1][:7] == "INVITE "
        if received_invite and sender and dialog not in invites:
            invites[dialog] = (sender.group(1), at)
    for call_id, (caller, invited) in invites.items():
        yield caller, invited, last[call_id]


# --- traffic ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrafficRun:
    status: int  # SIPp's exit status: 0 when every call went as scripted
    cpu: dict[str, float]  # share of one core each watched process used meanwhile
    notes: list[str] = field(default_factory=list)  # more to print about the run


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


async def start_phone(phone: Softphone, attempts: int = 3) -> None:
    """Start and register; again on failure (other labs on this host race for SIPp ports)."""
    for attempt in range(1, attempts + 1):
        try:
            await phone.start()
            return
        except SippError:
            if attempt == attempts:
                raise


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
    lab: LabInstance, server: ServerProcess, devices: Sequence[str], args: argparse.Namespace
) -> TrafficRun:
    yaml = [f"queues:\n  - id: {CTI_QUEUE}\n    max_wrap_up: 0\nagents:"]
    yaml += [f'  - id: "{d}"\n    pin: "{PIN}"\n    queues: {{{CTI_QUEUE}: 0}}' for d in devices]
    await server.configure("\n".join(yaml) + "\n")
    await server.start()
    for device in devices:
        await server.log_in(device, PIN)

    async def all_available() -> bool:
        states = [(await server.get(f"/api/v1/agents/{d}"))[1] for d in devices]
        return all(s["agent"]["state"] == "available" for s in states)

    await eventually(all_available, within=20, what="every agent available in the server")
    assert server.proc is not None
    run = await place_calls(lab, CTI_QUEUE, PREFIX["cti"], {"server": server.proc.pid}, args)
    return replace(run, notes=[await engine_figures(server, round(args.rate * args.seconds))])


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


async def run_app_queue(
    lab: LabInstance, devices: Sequence[str], args: argparse.Namespace
) -> TrafficRun:
    for device in devices:
        await asyncio.to_thread(lab.cli, f"queue add member PJSIP/{device} to {APP_QUEUE}")

    async def all_members_free() -> bool:
        out = await asyncio.to_thread(lab.cli, f"queue show {APP_QUEUE}")
        return out.count("Not in use") == len(devices)

    await eventually(all_members_free, within=20, what="every app_queue member not in use")
    return await place_calls(lab, APP_QUEUE_EXTEN, PREFIX["app_queue"], {}, args)


# --- figures ------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


@dataclass(frozen=True, slots=True)
class Figures:
    system: str
    traffic: TrafficRun
    entered: int
    counted: list[str]  # caller numbers of the calls that count
    latencies_ms: list[float]
    lost: int  # counted calls whose agent never got an INVITE

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)


def figures(
    system: str,
    traffic: TrafficRun,
    marks: Mapping[str, Mapping[str, float]],
    calls: Mapping[str, PhoneCall],
    args: argparse.Namespace,
) -> Figures:
    entered = {
        c: m["entered"] for c, m in marks.items() if c.startswith(PREFIX[system]) and "entered" in m
    }
    start = min(entered.values(), default=0.0) + args.warmup_s
    busy: defaultdict[str, list[PhoneCall]] = defaultdict(list)
    for call in calls.values():
        busy[call.device].append(call)
    margin = args.free_margin_ms / 1000

    def agent_free(at: float) -> bool:
        return any(
            not any(c.invited <= at < c.ended + margin for c in busy[device])
            for device in args.devices
        )

    counted = sorted(c for c, t in entered.items() if t >= start and agent_free(t))
    latencies = [
        (calls[c].invited - entered[c]) * 1000 if c in calls else math.inf for c in counted
    ]
    if any(value < 0 for value in latencies):
        raise RuntimeError(f"{system}: an INVITE before its queue entry: clocks disagree")
    lost = latencies.count(math.inf)
    return Figures(system, traffic, len(entered), counted, latencies, lost)


def breakdown(
    counted: Iterable[str], marks: Mapping[str, Mapping[str, float]], steps: Sequence[str]
) -> list[str]:
    """p50 and p99 (ms) of each step between consecutive marks, over calls with all marks."""
    complete = [marks[c] for c in counted if all(s in marks.get(c, {}) for s in steps)]
    rows = [[mark[s] for s in steps] for mark in complete]
    lines = [f"  {len(rows)} calls with every mark"]
    for i in range(1, len(steps)):
        gaps = [(row[i] - row[i - 1]) * 1000 for row in rows]
        lines.append(
            f"  {steps[i - 1]:>14} -> {steps[i]:<14} "
            f"p50 {percentile(gaps, 50):7.2f} ms   p99 {percentile(gaps, 99):7.2f} ms"
        )
    return lines


CTI_STEPS: Final = ("entered", "announced", "heard", "agent_dial_set", "connect")
CTI_STEPS_FULL: Final = (*CTI_STEPS, "dial_begin", "invited")
APP_QUEUE_STEPS: Final = ("entered", "dial_begin", "invited")


def report(
    results: Sequence[Figures],
    marks: Mapping[str, Mapping[str, float]],
    calls: Mapping[str, PhoneCall],
    args: argparse.Namespace,
) -> None:
    with_phone = {c: {**m, "invited": calls[c].invited} for c, m in marks.items() if c in calls}
    for result in results:
        cpu = ", ".join(f"{name} {share:.0%}" for name, share in result.traffic.cpu.items())
        print(
            f"{result.system}: {round(args.rate * args.seconds)} calls placed "
            f"(SIPp exit {result.traffic.status}), {result.entered} entered the queue, "
            f"{len(result.counted)} counted (an agent free, after the warm-up), "
            f"{result.lost} of them never reached an agent; "
            f"p50 {result.p50:.2f} ms, p99 {result.p99:.2f} ms"
        )
        print(f"  CPU during the traffic, share of one core: {cpu}")
        print("\n".join(result.traffic.notes), end="\n" if result.traffic.notes else "")
        if args.breakdown:
            steps = CTI_STEPS_FULL if result.system == "cti" else APP_QUEUE_STEPS
            print("  where the time goes (AMI event times; 'heard': this bench's AMI client):")
            print("\n".join(breakdown(result.counted, with_phone, steps)))
    cti, app_queue = results
    print(f"BENCH route_p50_cti_ms {cti.p50:.2f} ms")
    print(f"BENCH route_p99_cti_ms {cti.p99:.2f} ms")
    print(f"BENCH route_p50_app_queue_ms {app_queue.p50:.2f} ms")
    print(f"BENCH route_p99_app_queue_ms {app_queue.p99:.2f} ms")
    print(f"BENCH route_samples_cti {len(cti.counted)} calls")
    print(f"BENCH route_samples_app_queue {len(app_queue.counted)} calls")
    print(f"BENCH route_p99_vs_app_queue {cti.p99 / app_queue.p99:.2f} x")


# --- the run ------------------------------------------------------------------------------


async def both_systems(
    lab: LabInstance, server: ServerProcess, phones: Sequence[Softphone], args: argparse.Namespace
) -> None:
    """The CTI server's run, then app_queue's, with the same phones; prints the figures."""
    async with contextlib.AsyncExitStack() as stack:
        for phone in phones:  # one by one: each picks free ports, then binds them
            await start_phone(phone)
            stack.push_async_callback(phone.stop)
        async with ami_listener(lab, breakdown=args.breakdown) as listener:
            print(f"{len(phones)} agent phones registered; cti ...", flush=True)
            traffic = {"cti": await run_cti(lab, server, args.devices, args)}
            await wait_for_quiet(lab)
            await server.kill(signal.SIGTERM)
            print("app_queue ...", flush=True)
            traffic["app_queue"] = await run_app_queue(lab, args.devices, args)
            await wait_for_quiet(lab)
            await asyncio.sleep(0.5)  # the last events on their way to the listener
    calls = read_traces(phones)  # now that the phones have stopped, their traces are complete
    if args.keep:  # every instant of every call, for a closer look
        dump = {
            c: {**m, **(asdict(calls[c]) if c in calls else {})} for c, m in listener.marks.items()
        }
        (args.scenario.parent / "marks.json").write_text(json.dumps(dump, indent=1))
        (args.scenario.parent / "channels.json").write_text(json.dumps(listener.channels))
    results = [figures(s, traffic[s], listener.marks, calls, args) for s in PREFIX]
    print(f"run took {time.monotonic() - args.started:.0f} s")
    report(results, listener.marks, calls, args)


async def bench(args: argparse.Namespace, workdir: Path) -> None:
    """Start a lab, run both systems, and leave nothing running, whatever happens."""
    name = f"bench-{secrets.token_hex(4)}"
    args.scenario = workdir / "bench_caller.xml"
    args.scenario.write_text(CALLER_XML.replace("@PATIENCE_MS@", str(args.patience_ms)))
    print(f"lab {name}: starting Asterisk ...", flush=True)
    server: ServerProcess | None = None
    phones: list[Softphone] = []
    done = False
    try:
        lab = await asyncio.to_thread(instance.up, name, devices=tuple(args.devices))
        if await asyncio.to_thread(bind_rtp_to_loopback, lab):
            print("RTP bound to loopback in this lab (see bind_rtp_to_loopback)", flush=True)
        # Survey off (both systems): a caller leaves as soon as the agent hangs up.
        await asyncio.to_thread(lab.cli, "dialplan set global CTI_SURVEY_ENABLED 0")
        server = ServerProcess(lab, workdir)
        phones = [
            Softphone(lab, d, "answer_hangup_first", talk_ms=args.talk_ms, trace=True)
            for d in args.devices
        ]
        await both_systems(lab, server, phones, args)
        done = True
    except BaseException:
        if server is not None:
            print(f"server log tail:\n{server.log_tail()}", file=sys.stderr)
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
    workdir = Path(tempfile.mkdtemp(prefix="cti-bench-route-"))
    try:
        async with asyncio.timeout(BUDGET_S):
            await bench(args, workdir)
    finally:
        if args.keep:
            print(f"kept: the server's files in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="new calls per second")
    parser.add_argument("--seconds", type=float, default=25.0, help="traffic per system")
    parser.add_argument("--talk-ms", type=int, default=300, help="agent hangs up after")
    parser.add_argument("--patience-ms", type=int, default=5000, help="caller gives up after")
    parser.add_argument("--agents", type=int, default=20, help="agent phones (1001...)")
    parser.add_argument("--warmup-s", type=float, default=1.0)
    parser.add_argument("--free-margin-ms", type=float, default=100.0)
    parser.add_argument("--breakdown", action="store_true", help="where the time goes")
    parser.add_argument("--keep", action="store_true", help="keep the lab's files and traces")
    args = parser.parse_args()
    args.devices = [str(1001 + n) for n in range(args.agents)]
    args.started = time.monotonic()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
