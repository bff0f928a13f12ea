"""Replay AMI streams recorded from the lab through the engine (reader, core, runner).

Three shapes: the output matches its golden file; every suffix replays without error
(attaching mid-stream); a duplicated event changes nothing. Regenerate goldens after an
intended change with UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cti.ami.normalize import AmiReader
from cti.ami.resync import read_snapshot
from cti.domain.acd import Decision
from cti.domain.ids import Instant
from cti.domain.records import QueueVisit
from cti.engine.engine import Engine, RawFrame
from cti.engine.runner import EffectRunner

HERE = Path(__file__).parent
STREAMS = sorted(p for p in (HERE / "fixtures").glob("*.jsonl") if not p.stem.startswith("core_"))


class ReplayClock:
    def __init__(self) -> None:
        self.at = Instant(0.0)

    def now(self) -> Instant:
        return self.at


class Recorder:
    def __init__(self) -> None:
        self.visits: list[QueueVisit] = []
        self.malformed = 0

    def put(self, visit: QueueVisit) -> None:
        self.visits.append(visit)

    def ami_event(self, name: str) -> None:
        pass

    def ami_malformed(self) -> None:
        self.malformed += 1

    def inbox_overflowed(self) -> None:
        raise AssertionError("no overflow in a replay")

    def decided(self, decision: Decision, *, lag: float) -> None:
        pass


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def replay(frames: list[dict[str, Any]]) -> tuple[Engine, Recorder]:
    clock, recorder = ReplayClock(), Recorder()
    engine = Engine(
        clock=clock,
        reader=AmiReader(),
        runner=EffectRunner(history=recorder),
        observer=recorder,
        request_resync=lambda: None,
    )
    for headers in frames:
        clock.at = Instant(float(headers.get("Timestamp", clock.at)))
        engine.handle(RawFrame(headers, clock.at))
    return engine, recorder


def render(engine: Engine, recorder: Recorder) -> str:
    lines = [
        f"visit {v.queue} {v.caller} prio={v.priority} {v.outcome} wait={v.wait_seconds:.3f}"
        for v in recorder.visits
    ]
    for queue in engine.state.waiting.queues():
        callers = [c.caller for c in engine.state.waiting.in_queue(queue)]
        lines.append(f"waiting {queue}: {' '.join(callers)}")
    lines.append(f"malformed {recorder.malformed}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("fixture", STREAMS, ids=lambda p: p.stem)
def test_replay_matches_golden(fixture: Path) -> None:
    golden = HERE / "golden" / f"{fixture.stem}.txt"
    output = render(*replay(load(fixture)))
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(output)
    assert output == golden.read_text()


@pytest.mark.parametrize("fixture", STREAMS, ids=lambda p: p.stem)
def test_every_suffix_replays_without_error(fixture: Path) -> None:
    frames = load(fixture)
    for start in range(len(frames)):
        _, recorder = replay(frames[start:])
        assert recorder.malformed == 0
        assert all(v.wait_seconds >= 0 for v in recorder.visits)


@pytest.mark.parametrize("fixture", STREAMS, ids=lambda p: p.stem)
def test_a_duplicated_event_changes_nothing(fixture: Path) -> None:
    frames = load(fixture)
    expected = render(*replay(frames))
    for i in range(len(frames)):
        assert render(*replay(frames[: i + 1] + frames[i:])) == expected


def test_resync_snapshot_recorded_from_the_lab_keeps_the_line_order() -> None:
    entries = load(HERE / "fixtures" / "core_show_channels_three_waiting.jsonl")
    malformed: list[int] = []

    snapshot = read_snapshot(entries, Instant(0), lambda: malformed.append(1))

    ordered = sorted(snapshot.waiting, key=lambda w: (-w.priority, w.entered_at))
    assert [w.caller for w in ordered] == ["5550303", "5550301", "5550302"]
    assert snapshot.at == 0 and malformed == []
