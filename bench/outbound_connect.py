"""Benchmark: outbound connect time in the lab, agents on a nailed-up line against agents
rung after the customer answers (issue 18, C5).

    python bench/outbound_connect.py [--calls 30] [--keep]

One run starts its own lab (a real Asterisk), `cti serve`, SIPp customers behind the trunk
(each answers at once and hangs up 2 s later) and SIPp agent phones (each streams a tone
from its answer on), and runs two progressive campaigns of `--calls` contacts each, one
after the other:

  nailed:  queue `lined` (agent_line: nailed), agents 1001-1003 whose phones take 2.5 s to
           answer: each answers once, for its line, and customers are bridged to it;
  ringing: queue `outbound` (agent_line: ring), agents 1004-1006 whose phones answer after
           0.3, 0.9 and 1.5 s (the spread the lab measured in issue 18), rung after the
           customer answers.

The connect time is measured from the customer's side: from the customer's 200 OK leaving
its SIPp (the customers' message trace) to the first packet of the agent's tone reaching
the customer's media address (an RtpEar, cti/lab/rtp.py, that every customer's SDP
offers; Asterisk's RTP port for the call, from its INVITE, tells the calls apart). It is
the moment the person first hears the agent. It is also read on the customer's own leg
in Asterisk, from AMI events about that channel on Asterisk's clock: from its `Newstate`
Up (the 200 OK reached Asterisk) to its `BridgeEnter` (its media joined to the agent's).
An attempt abandoned (no agent within the 2 s hold) has no connect time and is counted
apart.

Prints, per system, calls, connected, abandoned, p50 / p99 / max connect in ms (the
customer's side, then Asterisk's leg), then `BENCH outbound_connect_p99_ms <n> ms`
(nailed, the customer's side; target <= 300), `BENCH outbound_connect_p99_ms_leg <n> ms`
(nailed, Asterisk's leg), `BENCH outbound_connect_p99_ms_ringing <n> ms` (the customer's
side), `BENCH outbound_abandoned_nailed <n> count` (target 0) and
`BENCH outbound_connect_p50_ringing_vs_nailed <x> x`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import sys
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/outbound_connect.py` puts bench/ first
    sys.path.insert(0, str(REPO))

from workdir import in_workdir  # noqa: E402

from cti.domain.outbound.attempt import DialAttempt  # noqa: E402
from cti.domain.outbound.campaign import AttemptResult  # noqa: E402
from cti.domain.outbound.contact import ContactId  # noqa: E402
from cti.lab import instance  # noqa: E402
from cti.lab.instance import LabInstance  # noqa: E402
from cti.lab.rtp import RtpEar, listening  # noqa: E402
from cti.lab.sipp import CALLER_IP, Customers, Softphone, customer_number  # noqa: E402
from cti.lab.sound import tone  # noqa: E402
from tests.lab.ami_tap import Tap, connect  # noqa: E402
from tests.lab.scenarios import campaign_body, store_of, upload  # noqa: E402
from tests.lab.server import ServerProcess, eventually  # noqa: E402
from tests.lab.traces import Answer, answers  # noqa: E402

BUDGET_S: Final = 900.0
PIN: Final = "1234"
SYSTEMS: Final = {
    # name: (queue, {agent: ring ms})
    "nailed": ("lined", {"1001": 2500, "1002": 2500, "1003": 2500}),
    "ringing": ("outbound", {"1004": 300, "1005": 900, "1006": 1500}),
}


def config_yaml() -> str:
    lines = ["queues:"]
    for queue, line in (("lined", "nailed"), ("outbound", "ring")):
        lines += [f"  - id: {queue}", "    max_wrap_up: 1", f"    agent_line: {line}"]
    lines.append("agents:")
    for queue, agents in SYSTEMS.values():
        for agent in agents:
            lines += [f'  - id: "{agent}"', f'    pin: "{PIN}"', f"    queues: {{{queue}: 0}}"]
    return "\n".join(lines) + "\n"


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def connect_ms(tap: Tap, channel: str) -> float | None:
    events = tap.of_channel(channel)
    up = next(
        (e for e in events if e.get("Event") == "Newstate" and e.get("ChannelStateDesc") == "Up"),
        None,
    )
    bridged = next((e for e in events if e.get("Event") == "BridgeEnter"), None)
    if up is None or bridged is None:
        return None
    return (float(bridged["Timestamp"]) - float(up["Timestamp"])) * 1000


async def run_system(
    lab: LabInstance, server: ServerProcess, name: str, calls: int, first: int
) -> list[DialAttempt]:
    """One campaign of `calls` contacts through one queue's agents: its attempts, ended."""
    queue, agents = SYSTEMS[name]
    admin = (await server.admin("token", "create", "--role", "admin", "--name", name)).strip()
    phones = [
        Softphone(lab, agent, "answer_media", ring_ms=ms, sound=tone())
        for agent, ms in agents.items()
    ]
    numbers = [customer_number("answer_hangup_first", first + n) for n in range(calls)]
    for phone in phones:
        await phone.start_retrying()
    try:
        for agent in agents:
            await server.log_in(agent, PIN)
        body = campaign_body("progressive") | {"queue": queue}
        status, answer = await server.request("PUT", f"/api/v1/campaigns/{name}", body, token=admin)
        assert status in (200, 201), answer
        await upload(server, admin, name, numbers)
        await server.post(f"/api/v1/campaigns/{name}/start", token=admin)
        async with store_of(server) as store:

            async def attempts() -> list[DialAttempt]:
                found: list[DialAttempt] = []
                for number in numbers:
                    found += await store.attempts_of(ContactId(f"{name}:{number}"))
                return found

            async def done() -> bool:
                ended = await attempts()
                return len({a.contact for a in ended}) == len(numbers)

            await eventually(done, within=calls * 8 + 60, what=f"{name}: every contact dialled")
            ended = await attempts()
        for agent in agents:
            await server.post(f"/api/v1/agents/{agent}/logout")
    finally:
        for phone in phones:
            await phone.stop()
    return ended


def heard_ms(ear: RtpEar, answer: Answer | None) -> float | None:
    """The customer's side: its 200 OK sent to the agent's tone first heard (within the
    2 s the customer stays)."""
    if answer is None:
        return None
    after = answer.answered_at
    heard = ear.first_heard(answer.media_port, after, before=after + 2.0)
    return None if heard is None else (heard - after) * 1000


def measured(
    attempts: list[DialAttempt], tap: Tap, ear: RtpEar, answered: dict[str, Answer]
) -> tuple[list[float], list[float], int]:
    """Connect ms of the connected attempts (customer's side, Asterisk's leg), abandons."""
    connected = [a for a in attempts if a.result is AttemptResult.CONNECTED]
    heard = [ms for a in connected if (ms := heard_ms(ear, answered.get(a.number))) is not None]
    leg = [ms for a in connected if (ms := connect_ms(tap, str(a.id))) is not None]
    if len(heard) != len(connected):
        raise RuntimeError(
            f"{len(connected) - len(heard)} connected customers never heard an agent"
        )
    return heard, leg, sum(1 for a in attempts if a.result is AttemptResult.ABANDONED)


def percentiles(times: list[float]) -> str:
    if not times:
        return "none"
    return (
        f"p50 {quantile(times, 0.5):7.1f}  p99 {quantile(times, 0.99):7.1f}  "
        f"max {max(times):7.1f} ms"
    )


def summary(name: str, result: tuple[list[float], list[float], int], calls: int) -> str:
    heard, leg, abandoned = result
    return (
        f"{name:8} calls {calls:3}  connected {len(heard):3}  abandoned {abandoned:2}  "
        f"customer's side {percentiles(heard)}  Asterisk's leg {percentiles(leg)}"
    )


async def bench(args: argparse.Namespace, workdir: Path) -> None:
    name = f"bench-outbound-{secrets.token_hex(4)}"
    print(f"lab {name}: starting Asterisk ...", flush=True)
    server: ServerProcess | None = None
    done = False
    try:
        lab = await asyncio.to_thread(instance.up, name)
        server = ServerProcess(lab, workdir)
        await server.configure(config_yaml())
        await server.start()
        manager, tap = await connect(lab), Tap()
        manager.register_event("*", tap.on_event)
        ended: dict[str, list[DialAttempt]] = {}
        try:
            async with listening(CALLER_IP, tone()) as ear:
                async with Customers(lab, media_to=ear.port) as customers:
                    for serial, system in enumerate(SYSTEMS):
                        first = 1 + serial * args.calls
                        ended[system] = await run_system(lab, server, system, args.calls, first)
                        print(f"{system}: {len(ended[system])} attempts ended", flush=True)
                assert customers.trace_dir is not None  # read once SIPp has written it all
                answered = {a.number: a for a in answers(customers.trace_dir)}
                results = {s: measured(a, tap, ear, answered) for s, a in ended.items()}
        finally:
            manager.close()
        for system, result in results.items():
            print(summary(system, result, args.calls))
        report(results)
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


def report(results: dict[str, tuple[list[float], list[float], int]]) -> None:
    nailed, nailed_leg, nailed_abandoned = results["nailed"]
    ringing, _, _ = results["ringing"]
    if nailed:
        print(f"BENCH outbound_connect_p99_ms {quantile(nailed, 0.99):.1f} ms")
    if nailed_leg:
        print(f"BENCH outbound_connect_p99_ms_leg {quantile(nailed_leg, 0.99):.1f} ms")
    if ringing:
        print(f"BENCH outbound_connect_p99_ms_ringing {quantile(ringing, 0.99):.1f} ms")
    print(f"BENCH outbound_abandoned_nailed {nailed_abandoned} count")
    if nailed and ringing:
        ratio = quantile(ringing, 0.5) / max(quantile(nailed, 0.5), 1e-3)
        print(f"BENCH outbound_connect_p50_ringing_vs_nailed {ratio:.1f} x")


async def main_async(args: argparse.Namespace) -> None:
    await in_workdir("cti-bench-outbound-", BUDGET_S, args.keep, lambda w: bench(args, w))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=30, help="contacts per system")
    parser.add_argument("--keep", action="store_true", help="keep the lab's and server's files")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
