"""The routing benchmark's figures: which calls count, their percentiles, the report.

Rule 1: a call counts only when an agent phone was free at its entry (no call from its
INVITE to the end of that dialog plus --free-margin-ms) and it entered after its system's
first --warmup-s. A counted call whose phone never got an INVITE counts as infinitely
late: percentiles never improve by losing calls.
Rule 2: percentiles are nearest-rank.
Rule 3: the report ends with `BENCH route_p99_vs_app_queue <r> x`, the line the README's
target is about; every other BENCH line comes before it. With several paired runs (all
systems in each), each ratio is the median of the runs' ratios. Names carry the rate when
it is not 20 calls/s (`_50cps`), `_even` for evenly spaced callers and the talk time when
it is not 300 ms (`_talk1100ms`: a busy run), but for route_p99_waited_vs_floor, the one
figure a busy run is for.
Rule 4: a caller that found no phone free (after the warm-up) waited; its latency runs from
the moment the phone it got was free again (the end of that phone's previous dialog), or
from its entry if later, to the INVITE.
Rule 5: a counted cti caller that did not take an armed offer (no CtiArmTaken: it entered
by CtiQueueEnter, the event path) fell back; route_fallback_pct is their share.
"""

from __future__ import annotations

import argparse
import math
import statistics
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
    taken: int = 0  # counted calls that took an armed offer (rule 5)
    waited_ms: list[float] = field(default_factory=list)  # rule 4

    @property
    def fallback_pct(self) -> float:
        return (
            100 * (len(self.counted) - self.taken) / len(self.counted) if self.counted else math.nan
        )

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
    taken = sum(1 for c in counted if "taken" in marks[c])
    waited = [c for c, t in entered.items() if t >= start and c in calls and c not in counted]
    waits = [_waited_ms(calls[c], entered[c], busy[calls[c].device]) for c in waited]
    return Figures(system, traffic, len(entered), counted, latencies, lost, taken, waits)


def _waited_ms(call: PhoneCall, entered: float, same_phone: Sequence[PhoneCall]) -> float:
    """Rule 4."""
    freed = max((c.ended for c in same_phone if c.ended <= call.invited), default=entered)
    return (call.invited - max(entered, freed)) * 1000


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
    print(
        f"  cti: {cti.taken} of {len(cti.counted)} counted callers took an armed offer "
        f"({cti.fallback_pct:.2f} % fell back); callers that waited: cti {len(cti.waited_ms)}, "
        f"floor {len(floor.waited_ms)}, app_queue {len(app_queue.waited_ms)}"
    )


WAITED_MIN: Final = 50  # callers that waited, per system, for a waited figure


def paired(results: Mapping[str, Figures]) -> dict[str, float]:
    """One run's ratios and shares (rule 3's names without the rate)."""
    cti, floor, app_queue = results["cti"], results["floor"], results["app_queue"]
    found = {
        "route_p50_vs_app_queue": ratio(cti.p50, app_queue.p50),
        "route_p99_floor_vs_app_queue": ratio(floor.p99, app_queue.p99),
        "route_p99_cti_vs_floor": ratio(cti.p99, floor.p99),
        "route_fallback_pct": cti.fallback_pct,
        "route_p99_vs_app_queue": ratio(cti.p99, app_queue.p99),
    }
    if min(len(cti.waited_ms), len(floor.waited_ms)) >= WAITED_MIN:
        waited = ratio(percentile(cti.waited_ms, 99), percentile(floor.waited_ms, 99))
        found["route_p99_waited_vs_floor"] = waited
    return found


UNITS: Final = {"route_fallback_pct": "%"}
DEFAULT_TALK_MS: Final = 300  # route_latency.py's --talk-ms


def summary(runs: Sequence[Mapping[str, Figures]], args: argparse.Namespace) -> None:
    """The BENCH lines: sample sizes and percentiles over all runs, ratios as the median
    of the runs' (rule 3)."""
    suffix = "" if args.rate == 20 else f"_{args.rate:g}cps"
    suffix += "_even" if args.arrivals == "even" else ""
    suffix += "" if args.talk_ms == DEFAULT_TALK_MS else f"_talk{args.talk_ms}ms"
    for system in ("cti", "app_queue", "floor"):
        latencies = [v for run in runs for v in run[system].latencies_ms]
        print(f"BENCH route_p50_{system}_ms{suffix} {percentile(latencies, 50):.2f} ms")
        print(f"BENCH route_p99_{system}_ms{suffix} {percentile(latencies, 99):.2f} ms")
        print(f"BENCH route_samples_{system}{suffix} {len(latencies)} calls")
        waited = [v for run in runs for v in run[system].waited_ms]
        if waited:
            print(f"BENCH route_p99_waited_{system}_ms{suffix} {percentile(waited, 99):.2f} ms")
            print(f"BENCH route_samples_waited_{system}{suffix} {len(waited)} calls")
    ratios = [paired(run) for run in runs]
    for n, found in enumerate(ratios, 1):
        print(f"run {n}: " + ", ".join(f"{k} {v:.3g}" for k, v in found.items()))
    names = [k for k in ratios[0] if all(k in r for r in ratios)]
    for name in names:
        unit = UNITS.get(name, "x")
        value = statistics.median(r[name] for r in ratios)
        named = name if name == "route_p99_waited_vs_floor" else f"{name}{suffix}"
        print(f"BENCH {named} {value:.2f} {unit}")
