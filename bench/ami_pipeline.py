"""Benchmark: AMI events per second through the whole event path, on one core.

    python bench/ami_pipeline.py [--repeat 400]

The stream recorded from the lab (tests/replay/fixtures) is repeated with fresh channel ids
(so every repetition is new work for the core, not a duplicate) and fed as wire bytes to:

  ours: the link's framer -> engine inbox -> engine task: reader, decide(), effect runner
        (history goes to an in-memory recorder; metrics are the real Prometheus ones);
  raw:  panoramisk's own AMIProtocol.data_received on the same bytes, dispatching to a
        no-op (its parse rate: the floor of any panoramisk-based server).

Prints per-run figures, then `BENCH ami_events_per_s` and `BENCH ami_vs_raw_parse`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

from panoramisk.ami_protocol import AMIProtocol

from cti.ami.link import LinkCallbacks, _Protocol
from cti.ami.normalize import AmiReader
from cti.domain.effects import Instruction, Record
from cti.engine.clock import SystemClock
from cti.engine.engine import Engine
from cti.engine.runner import EffectRunner
from cti.metrics import Metrics

FIXTURES = Path(__file__).parent.parent / "tests" / "replay" / "fixtures"
ID_HEADERS = ("Uniqueid", "Linkedid", "CallId", "DestUniqueid", "DestLinkedid")
CHUNK = 64 * 1024


def _renamed(headers: dict[str, Any], rep: int) -> dict[str, Any]:
    out = dict(headers)
    for name in ID_HEADERS:
        if name in out:
            out[name] = f"r{rep}-{out[name]}"
    if isinstance(out.get("ChanVariable"), list):
        out["ChanVariable"] = [
            v.replace("CTI_CALL_ID=", f"CTI_CALL_ID=r{rep}-") for v in out["ChanVariable"]
        ]
    return out


def _wire(headers: dict[str, Any]) -> str:
    lines = [
        f"{k}: {v}" for k, vs in headers.items() for v in (vs if isinstance(vs, list) else [vs])
    ]
    return "\r\n".join(lines) + "\r\n\r\n"


def build_stream(repeat: int) -> tuple[bytes, int]:
    frames = [
        json.loads(line)
        for path in sorted(FIXTURES.glob("*.jsonl"))
        if not path.stem.startswith("core_")
        for line in path.read_text().splitlines()
    ]
    text = "".join(_wire(_renamed(f, rep)) for rep in range(repeat) for f in frames)
    return text.encode(), len(frames) * repeat


class _Sink:
    """History and call control that keep nothing (the stream has no agents to offer to)."""

    def put(self, record: Record) -> None:
        pass

    def perform(self, instruction: Instruction) -> None:
        pass


class _CountingMetrics(Metrics):
    def __init__(self, expected: int) -> None:
        super().__init__()
        self.seen = 0
        self.expected = expected
        self.all_seen = asyncio.Event()

    def ami_event(self, name: str) -> None:
        self.seen += 1
        if self.seen == self.expected:
            self.all_seen.set()
        super().ami_event(name)


async def run_ours(data: bytes, events: int) -> float:
    metrics = _CountingMetrics(events)
    engine = Engine(
        clock=SystemClock(),
        reader=AmiReader(),
        runner=EffectRunner(history=_Sink(), control=_Sink()),
        observer=metrics,
        request_resync=lambda: None,
        inbox_size=events + 1,
    )
    protocol = _Protocol()
    protocol.connection_made(transport=None)
    protocol.callbacks = LinkCallbacks(
        on_frame=engine.on_frame,
        on_malformed=lambda f, r: None,
        on_up=lambda: None,
        on_down=lambda _: None,
    )
    task = asyncio.create_task(engine.run())
    start = time.perf_counter()
    for offset in range(0, len(data), CHUNK):
        protocol.data_received(data[offset : offset + CHUNK])
        await asyncio.sleep(0)  # the engine task runs between network reads, as in production
    await metrics.all_seen.wait()
    elapsed = time.perf_counter() - start
    task.cancel()
    return events / elapsed


class _NoopFactory:
    save_stream = None

    def dispatch(self, event: Any) -> list[str]:
        return []


def run_raw(data: bytes, events: int) -> float:
    protocol = AMIProtocol()
    protocol.connection_made(transport=None)
    protocol.factory = _NoopFactory()
    protocol.encoding = "utf-8"
    start = time.perf_counter()
    for offset in range(0, len(data), CHUNK):
        protocol.data_received(data[offset : offset + CHUNK])
    return events / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=400)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data, events = build_stream(args.repeat)
    print(f"stream: {events} events, {len(data) / 1e6:.1f} MB, {args.runs} runs each")
    ours, raw = [], []
    for run in range(args.runs):
        ours.append(asyncio.run(run_ours(data, events)))
        raw.append(run_raw(data, events))
        print(f"run {run + 1}: ours {ours[-1]:,.0f} events/s   panoramisk parse {raw[-1]:,.0f}")
    # Each run measures both paths back to back, so a run's ratio shares its machine load;
    # the median of those paired ratios is steadier than a ratio of two medians.
    ratio = statistics.median(o / r for o, r in zip(ours, raw, strict=True))
    print(f"BENCH ami_events_per_s {statistics.median(ours):.0f} events/s")
    print(f"BENCH ami_vs_raw_parse {ratio:.2f} x")


if __name__ == "__main__":
    main()
