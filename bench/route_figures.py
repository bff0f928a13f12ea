"""The routing benchmark's figures: which calls count, their percentiles, the report.

Rule 1: a call counts only when an agent phone was free at its entry (no call from its
INVITE to the end of that dialog plus --free-margin-ms) and it entered after its system's
first --warmup-s. A counted call whose phone never got an INVITE counts as infinitely
late: percentiles never improve by losing calls.
Rule 2: percentiles are nearest-rank.
Rule 3: the report ends with `BENCH route_p99_vs_app_queue <r> x`, the line the README's
target is about; every other BENCH line comes before it.
"""

from __future__ import annotations

import argparse
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from route_marks import PhoneCall


@dataclass(frozen=True, slots=True)
class TrafficRun:
    status: int  # SIPp's exit status: 0 when every call went as scripted
    cpu: dict[str, float]  # share of one core each watched process used meanwhile
    notes: list[str] = field(default_factory=list)  # more to print about the run


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
    prefix: str,
    traffic: TrafficRun,
    marks: Mapping[str, Mapping[str, float]],
    calls: Mapping[str, PhoneCall],
    args: argparse.Namespace,
) -> Figures:
    """The figures of the system whose callers' numbers start with `prefix` (rule 1)."""
    entered = {c: m["entered"] for c, m in marks.items() if c.startswith(prefix) and "entered" in m}
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


# The marks of each system's path, in order ('heard': this bench's own AMI listener;
# 'router_heard' and 'routed': the floor router, on hearing CtiQueueEnter and once its
# actions were written).
STEPS: Final[Mapping[str, tuple[str, ...]]] = {
    "cti": ("entered", "announced", "heard", "offer_set", "connect", "dial_begin", "invited"),
    "floor": (
        "entered",
        "announced",
        "router_heard",
        "routed",
        "offer_set",
        "connect",
        "dial_begin",
        "invited",
    ),
    "app_queue": ("entered", "dial_begin", "invited"),
}


def ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def report(
    results: Mapping[str, Figures],
    marks: Mapping[str, Mapping[str, float]],
    calls: Mapping[str, PhoneCall],
    args: argparse.Namespace,
) -> None:
    """Each system's figures (in run order), then the BENCH lines (rule 3)."""
    with_phone = {c: {**m, "invited": calls[c].invited} for c, m in marks.items() if c in calls}
    for result in results.values():
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
            print("  where the time goes (AMI event times unless named):")
            print("\n".join(breakdown(result.counted, with_phone, STEPS[result.system])))
    cti, floor, app_queue = results["cti"], results["floor"], results["app_queue"]
    print(f"BENCH route_p50_cti_ms {cti.p50:.2f} ms")
    print(f"BENCH route_p99_cti_ms {cti.p99:.2f} ms")
    print(f"BENCH route_p50_app_queue_ms {app_queue.p50:.2f} ms")
    print(f"BENCH route_p99_app_queue_ms {app_queue.p99:.2f} ms")
    print(f"BENCH route_p50_floor_ms {floor.p50:.2f} ms")
    print(f"BENCH route_p99_floor_ms {floor.p99:.2f} ms")
    print(f"BENCH route_samples_cti {len(cti.counted)} calls")
    print(f"BENCH route_samples_app_queue {len(app_queue.counted)} calls")
    print(f"BENCH route_samples_floor {len(floor.counted)} calls")
    print(f"BENCH route_p99_floor_vs_app_queue {ratio(floor.p99, app_queue.p99):.2f} x")
    print(f"BENCH route_p99_cti_vs_floor {ratio(cti.p99, floor.p99):.2f} x")
    print(f"BENCH route_p99_vs_app_queue {ratio(cti.p99, app_queue.p99):.2f} x")
