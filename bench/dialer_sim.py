"""Benchmark: the outbound pacer (cti.domain.outbound.predictive) in the dialer simulator.

    python bench/dialer_sim.py [--hours 3] [--seeds 5] [--agents 5,10,20,50]
                               [--rates 10,20,30,40,50,60] [--jobs 2]

For every scenario (agents x share of dials a person answers) and seed, three campaigns
are run with the same seed and so the same contact list (C5): predictive with agents on a
nailed-up line (connected 5-20 ms after the answer, the lab's figure), predictive with
agents rung after the answer (each answering after a lognormal delay, median 0.8 s, 0.4 %
slower than the 2 s hold; one who misses it is off for 120 s), and progressive on a
nailed-up line (issue 18). The rest of the model is the simulator's default (printed
first): talk lognormal, mean 150 s; wrap-up 15-30 s; a person answers after 3-20 s; other
dials end busy or failed in 1-6 s (a quarter of them) or ring out at 25 s; an abandoned
number comes back after 300 s and is dialled again only with a nailed-up agent reserved.
Figures cover the whole run, cold start included.

Prints one row per scenario, means over seeds: the abandon rate (aband%, and worst%, the
worst seed), peak% (the highest running abandon rate of any seed once 30 people
answered), occupancy = (talk + wrap-up) / logged-in time, an agent's mean wait between
calls, dials per agent-hour (P16 counts a seat's dials per day), the worst seed's p99
connect time (c99ms: from the agent given the call to connected, the line's delay), the
share of connected people who were held for an agent to come free (held%) and the rung
agents' misses of the hold. Then
`BENCH dialer_max_abandon_pct <p> %` (the worst predictive run; target <= 3 %),
`BENCH dialer_occupancy_20ag_30pct <o> %` (predictive, nailed-up, 20 agents, 30 % answer
rate, mean over seeds; target >= 90 %), `BENCH dialer_occupancy_20ag_30pct_ringing <o> %`,
`BENCH dialer_connect_p99_ms_nailed <n> ms` and `BENCH dialer_repeat_abandons <n> count`
(numbers abandoned twice inside their quiet period, over every run; target 0).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/dialer_sim.py` puts bench/ first, not REPO
    sys.path.insert(0, str(REPO))

from cti.domain.outbound.pacing import DialMode, PacingConfig  # noqa: E402
from cti.sim.dialer import Model, Result, simulate  # noqa: E402

Job = tuple[int, float, int, float, DialMode, bool]  # agents, rate, seed, hours, mode, rung
SYSTEMS: Final = (
    (DialMode.PREDICTIVE, False),
    (DialMode.PREDICTIVE, True),
    (DialMode.PROGRESSIVE, False),
)


def run(job: Job) -> Result:
    agents, rate, seed, hours, mode, rung = job
    model = Model(
        agents=agents, person_rate=rate, seconds=hours * 3600, ringing=agents if rung else 0
    )
    return simulate(model, mode, seed)


def describe_model() -> str:
    model = Model(agents=1, person_rate=1.0)
    skip = {"agents", "person_rate", "seconds"}
    parts = [f"{f.name}={getattr(model, f.name)}" for f in fields(model) if f.name not in skip]
    config = PacingConfig()
    return (
        "model: " + ", ".join(parts) + "\n"
        f"pacer: cap {config.abandon_cap_pct} %, window {config.window:.0f} s, "
        f"max_risk {config.max_risk}, careful_from {config.careful_from}, "
        f"full_room {config.full_room}, max_lines_per_agent {config.max_lines_per_agent}"
    )


def row(
    agents: int, rate: float, pred: list[Result], rung: list[Result], prog: list[Result]
) -> str:
    def mean(values: list[float]) -> float:
        return statistics.mean(values)

    return (
        f"{agents:>6} {100 * rate:>6.0f} |"
        f" {mean([r.abandon_pct for r in pred]):>6.2f} {max(r.abandon_pct for r in pred):>6.2f}"
        f" {max(r.peak_abandon_pct for r in pred):>6.2f}"
        f" {mean([r.occupancy_pct for r in pred]):>6.1f} {mean([r.mean_wait for r in pred]):>6.1f}"
        f" {mean([r.dials_per_agent_hour for r in pred]):>6.0f}"
        f" {1000 * max(r.connect_p99 for r in pred):>5.0f}"
        f" {mean([r.held_pct for r in pred]):>5.1f} |"
        f" {mean([r.abandon_pct for r in rung]):>6.2f} {max(r.abandon_pct for r in rung):>6.2f}"
        f" {mean([r.occupancy_pct for r in rung]):>6.1f}"
        f" {1000 * max(r.connect_p99 for r in rung):>5.0f}"
        f" {sum(r.misses for r in rung):>5} |"
        f" {mean([r.occupancy_pct for r in prog]):>6.1f} {mean([r.mean_wait for r in prog]):>6.1f}"
        f" {mean([r.dials_per_agent_hour for r in prog]):>6.0f}"
    )


HEADER: Final = (
    "              | predictive, nailed-up                                  "
    "| predictive, rung after the answer  | progressive, nailed-up\n"
    "agents answer | aband% worst%  peak% occup% wait s dial/h c99ms held% "
    "| aband% worst% occup% c99ms misses | occup% wait s dial/h"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--agents", default="5,10,20,50")
    parser.add_argument("--rates", default="10,20,30,40,50,60", help="answer rates, %%")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    teams = [int(a) for a in args.agents.split(",")]
    rates = [int(r) / 100 for r in args.rates.split(",")]
    seeds = range(1, args.seeds + 1)
    jobs = [
        (a, r, s, args.hours, m, rung)
        for a in teams
        for r in rates
        for s in seeds
        for m, rung in SYSTEMS
    ]
    print(describe_model())
    print(f"{args.hours:g} simulated hours per run, seeds {seeds.start}-{seeds.stop - 1}\n")
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = dict(zip(jobs, pool.map(run, jobs, chunksize=1), strict=True))
    print(HEADER)
    for agents in teams:
        for rate in rates:
            pred, rung, prog = (
                [results[agents, rate, s, args.hours, m, r] for s in seeds] for m, r in SYSTEMS
            )
            print(row(agents, rate, pred, rung, prog))
    worst = max(r.abandon_pct for r in results.values() if r.mode is DialMode.PREDICTIVE)
    print(f"\n{len(results)} runs in {time.perf_counter() - started:.0f} s")
    print(f"BENCH dialer_max_abandon_pct {worst:.2f} %")
    for suffix, rung in (("", False), ("_ringing", True)):
        key = [results.get((20, 0.3, s, args.hours, DialMode.PREDICTIVE, rung)) for s in seeds]
        if all(r is not None for r in key):
            occupancy = statistics.mean(r.occupancy_pct for r in key if r is not None)
            print(f"BENCH dialer_occupancy_20ag_30pct{suffix} {occupancy:.1f} %")
    nailed = [r for (*_, rung), r in results.items() if not rung]
    print(f"BENCH dialer_connect_p99_ms_nailed {1000 * max(r.connect_p99 for r in nailed):.0f} ms")
    repeats = sum(r.repeat_abandons for r in results.values())
    print(f"BENCH dialer_repeat_abandons {repeats} count")


if __name__ == "__main__":
    main()
