"""Benchmark: what the atomic take of a pre-armed offer costs a caller (issue 17).

    python bench/take_cost.py [--probes 400] [--runs 5]

Starts its own lab and, over AMI, Originates probes (Local channels into the lab-only
context lab-take-probe) one after another, in three kinds: the take finds an armed offer
and takes it (`taken`), the take finds none in either slot (`missed`), and the probe skips
the take (`baseline`). Each probe's time is Asterisk's own, between the UserEvents just
before and just after the take (their `Timestamp`s, microseconds), once the probe's Local
channel has settled (50 ms: its setup runs beside the first steps otherwise). The kinds are
interleaved, so the machine's state is the same for each. Each run's figure is the median
of the kind less the baseline's median; the printed ones are the medians of the runs.

Prints `BENCH take_us <n> us` (a take that finds an arm) and `BENCH take_miss_us <n> us`
(one that finds none): what the take adds to a caller's way to an agent on top of the
Dial itself. For scale: Asterisk's own Queue() costs about 0.3 ms more than a bare Dial
(issue 17).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
from pathlib import Path
from typing import Any

from panoramisk import Manager

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/take_cost.py` puts bench/ first, not REPO
    sys.path.insert(0, str(REPO))

from cti.lab import instance  # noqa: E402
from tests.lab.ami_tap import connect  # noqa: E402

QUEUE = "bench"
KINDS = ("taken", "missed", "baseline")


class Probes:
    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self.starts: dict[str, float] = {}
        self.done: dict[str, float] = {}
        self.tokens: dict[str, str] = {}
        self.arrived = asyncio.Event()
        manager.register_event("UserEvent", self.on_event)

    def on_event(self, _manager: Any, message: Any) -> None:
        event = dict(message)
        probe, at = event.get("Probe", ""), float(event.get("Timestamp", 0))
        if event.get("UserEvent") == "LabTakeStart":
            self.starts[probe] = at
        elif event.get("UserEvent") == "LabTakeDone":
            self.done[probe] = at
            self.tokens[probe] = event.get("Token", "")
            self.arrived.set()

    async def action(self, action: dict[str, str]) -> None:
        answer = await asyncio.wait_for(self.manager.send_action(action), timeout=10)
        first = answer[0] if isinstance(answer, list) else answer
        if not first.success:
            raise RuntimeError(f"{action['Action']} refused: {dict(first)}")

    async def one(self, probe: str, kind: str) -> float:
        """The probe's time in microseconds (Asterisk's clock)."""
        if kind == "taken":
            arm = f"{probe}^cti-connect^30^Custom:lab-take^^1001"
            await self.action({"Action": "Setvar", "Variable": f"CTI_ARM_{QUEUE}_1", "Value": arm})
        skip = 1 if kind == "baseline" else 0
        variables = f"PROBE_ID={probe},PROBE_SKIP={skip},PROBE_SETTLE=0.05"
        await self.action(
            {
                "Action": "Originate",
                "Channel": f"Local/{QUEUE}@lab-take-probe/n",
                "Application": "Wait",
                "Data": "1",
                "Variable": variables,
                "Async": "true",
            }
        )
        async with asyncio.timeout(10):
            while probe not in self.done:
                self.arrived.clear()
                await self.arrived.wait()
        expected = probe if kind == "taken" else ""
        if self.tokens[probe] != expected:
            raise RuntimeError(f"probe {probe} ({kind}) got {self.tokens[probe]!r}")
        return (self.done[probe] - self.starts[probe]) * 1e6


async def run(lab: instance.LabInstance, probes: int, run_no: int) -> dict[str, float]:
    manager = await connect(lab, events="call,user")  # as the server's: no dialplan class
    try:
        bench = Probes(manager)
        # Takers start at the head (slot 1, as a resync leaves it); a miss scans the ring.
        await bench.action({"Action": "Setvar", "Variable": f"CTI_ARM_HEAD_{QUEUE}", "Value": "1"})
        times: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for n in range(probes):
            for kind in KINDS:
                times[kind].append(await bench.one(f"r{run_no}p{n}{kind[0]}", kind))
        base = statistics.median(times["baseline"])
        return {
            "taken": statistics.median(times["taken"]) - base,
            "missed": statistics.median(times["missed"]) - base,
            "baseline": base,
        }
    finally:
        manager.close()


async def main_async(args: argparse.Namespace) -> None:
    name = f"bench-{secrets.token_hex(4)}"
    print(f"lab {name}: starting Asterisk ...", flush=True)
    lab = await asyncio.to_thread(instance.up, name)
    try:
        figures = []
        for n in range(args.runs):
            found = await run(lab, args.probes, n)
            figures.append(found)
            print(
                f"run {n + 1}: take {found['taken']:.1f} us, miss {found['missed']:.1f} us"
                f" (baseline probe {found['baseline']:.1f} us, {args.probes} probes of each)",
                flush=True,
            )
    finally:
        await asyncio.to_thread(instance.down, name, purge=True)
    print(f"BENCH take_us {statistics.median(f['taken'] for f in figures):.1f} us")
    print(f"BENCH take_miss_us {statistics.median(f['missed'] for f in figures):.1f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probes", type=int, default=400, help="probes of each kind per run")
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
