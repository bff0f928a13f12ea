"""The same inputs give the same effects in the same order in every process (issue 12,
item 4): every replay fixture, and a seeded outbound world (tests/unit/outbound_world.py:
two campaigns, six agents, inbound callers), are run in two interpreters started with
different PYTHONHASHSEED values, and the effects of every decision compared one by one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cti.domain.state import Decision
from tests.replay.test_replay import STREAMS, load, load_setup, replay
from tests.unit.outbound_world import World

REPO = Path(__file__).resolve().parents[2]


class EffectLog:
    """A live feed that writes every effect of every decision, in order."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def publish(self, decision: Decision) -> None:
        self.lines.extend(repr(effect) for effect in decision.effects)


def effects_of_every_fixture() -> str:
    out = []
    for fixture in STREAMS:
        log = EffectLog()
        replay(load(fixture), load_setup(fixture), feeds=[log])
        out.append(f"# {fixture.stem}: {len(log.lines)} effects")
        out.extend(log.lines)
    world = World(seed=3)
    world.run(until=600.0)
    out.append(f"# outbound world: {len(world.decisions)} decisions")
    out.extend(repr(effect) for effect in world.effects())
    return "\n".join(out) + "\n"


def _under_seed(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    code = "from tests.replay.test_hash_seeds import effects_of_every_fixture as e; print(e())"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def test_effects_are_the_same_under_two_hash_seeds() -> None:
    first, second = _under_seed("1"), _under_seed("2024")

    assert first.count("\n") > len(STREAMS) * 10  # the fixtures did produce effects
    assert first == second
