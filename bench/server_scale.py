"""Benchmark: the server at contact-centre scale in the lab: its memory, and a full resync.

    python bench/server_scale.py [--agents 1000] [--phones 200] [--calls 500] [--keep]

One run starts its own lab (a real Asterisk with --agents devices), one SIPp answering
phone registered as every device (answers at once, keeps every call), and `cti serve`
with --agents agents in one queue, all logged in through the API. Then --calls SIPp
callers come in at 50 a second and stay, each answered by an agent. Then every call is
hung up, all agents but the first --phones log out, and --calls callers come again: the
first --phones are answered, the rest wait in the queue (the resync's scene). It prints:

  BENCH server_rss_mb_1000ag_500calls <n> MB: the server's resident memory (VmRSS) with
      every agent logged in and every call in progress (target 300); the same process's
      RSS before the agents logged in is printed beside it.
  BENCH resync_seconds_200ag_500calls <n> s: a full resync of a core holding the --phones
      agents with phones, measured in this process with the server's own parts: an AmiLink
      to the lab's Asterisk, fetch_snapshot (the clock sample, CoreShowChannels,
      DeviceStateList and the arm slots) and the core's decision on the snapshot, which
      re-adopts every connected call and every waiting caller (target 2 s). The median of
      --resyncs, each checked to have adopted every call.

  BENCH server_restart_seconds_200ag_500calls <n> s: then `cti serve` started again, from
      its start (the store read, the logins taken back, AMI, the resync) until its API
      shows every call and every waiting caller taken back (no target; 0.05 s polls).

The names say 1000ag_500calls and 200ag_500calls; other sizes get their own names.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import functools
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/server_scale.py` puts bench/ first
    sys.path.insert(0, str(REPO))

from workdir import in_workdir  # noqa: E402

from cti.ami.link import AmiLink, LinkCallbacks, LinkSettings  # noqa: E402
from cti.ami.resync import fetch_snapshot  # noqa: E402
from cti.domain.acd import AcdState, decide  # noqa: E402
from cti.domain.commands import LoadConfig, RestoreLogins  # noqa: E402
from cti.domain.config import AcdConfig, AgentProfile, QueueConfig  # noqa: E402
from cti.domain.effects import Ignored  # noqa: E402
from cti.domain.ids import AgentId, DeviceId, Instant, QueueId  # noqa: E402
from cti.domain.records import Presence  # noqa: E402
from cti.lab import instance  # noqa: E402
from cti.lab.instance import LabInstance  # noqa: E402
from cti.lab.ports import pick_sipp_block  # noqa: E402
from cti.lab.sipp import CALLER_IP, SOFTPHONE_IP, _Run  # noqa: E402
from cti.settings import load  # noqa: E402
from tests.lab.server import ServerProcess, eventually  # noqa: E402

BUDGET_S: Final = 900.0
PIN: Final = "1234"
QUEUE: Final = "support"
CALL_RATE: Final = 50  # callers a second
HOLD_MS: Final = 600_000  # callers stay this long (longer than the run)
LOGINS_AT_ONCE: Final = 20


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


async def answering_phone(lab: LabInstance, devices: list[str]) -> asyncio.Task[int]:
    """One SIPp answering every call at once and keeping it, registered as `devices`."""
    run, port = _Run(lab, None), pick_sipp_block()
    argv = run.argv("agent_answer.xml", port, SOFTPHONE_IP, "-d", "0")
    phone = asyncio.create_task(run.run(argv, within_s=BUDGET_S), name="sipp-phones")
    await asyncio.sleep(0.5)  # listening (the registrations below fail otherwise)
    target = f"{lab.host}:{lab.ports.sip}"
    # One at a time, as the lab's Softphones start: each SIPp picks a free port block and
    # then binds it, so SIPps started together can pick the same block (and exit 1).
    for device in devices:
        for _attempt in range(3):
            if await _register(lab, device, port, target) == 0:
                break
        else:
            raise RuntimeError(f"registration of {device} failed 3 times")
    return phone


async def _register(lab: LabInstance, device: str, uas_port: int, target: str) -> int:
    run = _Run(lab, None)
    keys = ["-key", "device", device, "-key", "uas_port", str(uas_port)]
    keys += ["-key", "expires", "3600", "-m", "1"]
    argv = run.argv("agent_register.xml", pick_sipp_block(), SOFTPHONE_IP, target, *keys)
    return await run.run(argv, within_s=20)


async def callers(lab: LabInstance, count: int) -> asyncio.Task[int]:
    run = _Run(lab, None)
    keys = ["-s", QUEUE, "-key", "caller", "5550", "-key", "priority", "0", "-d", str(HOLD_MS)]
    keys += ["-m", str(count), "-r", str(CALL_RATE), "-l", str(count)]
    target = f"{lab.host}:{lab.ports.sip}"
    argv = run.argv("caller_hangup_after.xml", pick_sipp_block(), CALLER_IP, target, *keys)
    return asyncio.create_task(run.run(argv, within_s=BUDGET_S), name="sipp-callers")


async def log_in_all(server: ServerProcess, agents: list[str]) -> None:
    gate = asyncio.Semaphore(LOGINS_AT_ONCE)

    async def one(agent: str) -> None:
        async with gate:
            await server.log_in(agent, PIN)

    await asyncio.gather(*(one(a) for a in agents))


async def in_progress(server: ServerProcess) -> tuple[int, int]:
    """(callers waiting, agents on a call) as the server's API says."""
    _, queues = await server.get("/api/v1/queues")
    waiting = sum(len(q["calls"]) for q in queues["queues"])
    _, agents = await server.get("/api/v1/agents")
    talking = sum(1 for a in agents["agents"] if a["state"] == "on_call")
    return waiting, talking


def core_with(agents: list[str]) -> AcdState:
    """A core as a restarted server holds it before its first resync: the configuration
    loaded and these agents' logins restored (cti/domain/desk.py on_restore_logins), each
    on its own device, whose state comes with the resync."""
    now = Instant(time.time())
    profiles = {AgentId(a): AgentProfile(id=AgentId(a), queues={QueueId(QUEUE): 0}) for a in agents}
    config = AcdConfig(queues={QueueId(QUEUE): QueueConfig(id=QueueId(QUEUE))}, agents=profiles)
    state = decide(AcdState(), LoadConfig(at=now, config=config), now).state
    logins = tuple(
        Presence(
            agent=AgentId(a),
            at=now,
            device=DeviceId(f"PJSIP/{a}"),
            address="bench",
            logged_in_at=now,
        )
        for a in agents
    )
    state = decide(state, RestoreLogins(at=now, logins=logins), now).state
    if len(state.agents) != len(agents):
        raise RuntimeError(f"{len(state.agents)} of {len(agents)} logins restored")
    return state


async def resyncs(lab: LabInstance, agents: list[str], calls: int, times: int) -> list[float]:
    """Full resyncs of a core holding `agents`, with the server's own parts (docstring)."""
    settings = load(str(lab.server_config), environ={})
    up = asyncio.Event()
    callbacks = LinkCallbacks(
        on_frame=lambda _headers: None,
        on_malformed=lambda _frame, _reason: None,
        on_up=up.set,
        on_down=lambda _reason: up.clear(),
    )
    link = AmiLink(LinkSettings.of(settings.ami), callbacks)
    running = asyncio.create_task(link.run(), name="ami-link")
    seconds = []
    try:
        async with asyncio.timeout(20):
            await up.wait()
        for _ in range(times):
            state = core_with(agents)
            started = time.perf_counter()
            snapshot = await fetch_snapshot(
                link, lambda: Instant(time.time()), lambda: None, arm_slots=settings.ami.arm_slots
            )
            decision = decide(state, snapshot, Instant(time.time()))
            seconds.append(time.perf_counter() - started)
            talking = len(decision.state.talks)
            waiting = len(decision.state.waiting)
            if (talking, waiting) != (len(agents), calls - len(agents)):
                notes = [e for e in decision.effects if isinstance(e, Ignored)][:3]
                raise RuntimeError(f"resync adopted {talking} talks and {waiting} waiting: {notes}")
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    return seconds


async def bench(args: argparse.Namespace, workdir: Path) -> None:
    agents = [str(2001 + n) for n in range(args.agents)]  # clear of the lab's 1901-1904
    phones = agents[: args.phones]
    name = f"bench-{secrets.token_hex(4)}"
    print(f"lab {name}: starting Asterisk with {len(agents)} devices ...", flush=True)
    # Each call holds two channels (caller, agent), each an RTP/RTCP pair: the default
    # range (100 channels) would refuse every dial past the first 50 calls.
    rtp_ports = 4 * args.calls + 400
    lab = await asyncio.to_thread(
        functools.partial(instance.up, name, devices=tuple(agents), rtp_ports=rtp_ports)
    )
    server = ServerProcess(lab, workdir)
    tasks: list[asyncio.Task[int]] = []
    done = False
    try:
        started = time.monotonic()
        tasks.append(await answering_phone(lab, agents))  # a login needs a registered phone
        print(f"{len(agents)} devices registered ({time.monotonic() - started:.1f} s)")
        yaml = [f"queues:\n  - id: {QUEUE}\nagents:"]
        yaml += [f'  - id: "{a}"\n    pin: "{PIN}"\n    queues: {{{QUEUE}: 0}}' for a in agents]
        await server.configure("\n".join(yaml) + "\n")
        await server.start()
        assert server.proc is not None
        idle = rss_mb(server.proc.pid)
        started = time.monotonic()
        await log_in_all(server, agents)
        print(f"{len(agents)} agents logged in ({time.monotonic() - started:.1f} s)", flush=True)
        # Memory: every agent logged in, --calls calls talking (fewer agents: the rest wait).
        tasks.append(await callers(lab, args.calls))
        talking = min(args.calls, len(agents))
        expected = (args.calls - talking, talking)
        await reach(server, expected, within=180)
        rss = rss_mb(server.proc.pid)
        print(
            f"server RSS {rss:.0f} MB with {len(agents)} agents logged in, "
            f"{expected[1]} calls talking and {expected[0]} waiting ({idle:.0f} MB at start)"
        )
        # The resync's scene: --phones agents talking, the rest of --calls callers waiting.
        await asyncio.to_thread(lab.cli, "channel request hangup all")
        await reach(server, (0, 0), within=120)
        for agent in agents[len(phones) :]:
            await server.post(f"/api/v1/agents/{agent}/logout")
        tasks.append(await callers(lab, args.calls))
        expected = (args.calls - len(phones), len(phones))
        await reach(server, expected, within=180)
        await server.kill()
        seconds = await resyncs(lab, phones, args.calls, args.resyncs)
        shown = ", ".join(f"{s * 1000:.0f}" for s in seconds)
        print(f"full resyncs, {len(phones)} agents and {args.calls} calls: {shown} ms")
        # The whole restart: `cti serve` started again (store, logins, AMI, resync) until
        # its API shows every call and caller taken back.
        started = time.monotonic()
        await server.start()
        await reach(server, expected, within=60, every=0.05)
        restart = time.monotonic() - started
        print(f"BENCH server_rss_mb_{len(agents)}ag_{args.calls}calls {rss:.0f} MB")
        median = statistics.median(seconds)
        size = f"{len(phones)}ag_{args.calls}calls"
        print(f"BENCH resync_seconds_{size} {median:.3f} s")
        print(f"BENCH server_restart_seconds_{size} {restart:.2f} s")
        done = True
    finally:
        await server.kill()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(instance.down, name, purge=done and not args.keep)


async def reach(
    server: ServerProcess, expected: tuple[int, int], *, within: float, every: float = 0.2
) -> None:
    """Wait until (waiting, talking) is expected; else fail saying what the server had."""
    seen: list[tuple[int, int]] = []

    async def reached() -> bool:
        seen.append(await in_progress(server))
        return seen[-1] == expected

    try:
        await eventually(reached, within=within, what=f"{expected} in progress", every=every)
    except AssertionError:
        _, agents = await server.get("/api/v1/agents")
        states = collections.Counter(a["state"] for a in agents["agents"])
        last = seen[-1] if seen else None
        what = f"(waiting, talking) {last}, not {expected}; agents {dict(states)}"
        raise AssertionError(what) from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--resyncs", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    asyncio.run(in_workdir("cti-bench-scale-", BUDGET_S, args.keep, lambda w: bench(args, w)))


if __name__ == "__main__":
    main()
