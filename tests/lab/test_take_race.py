"""The atomic take of a pre-armed offer (issue 17, dialplan cti-take), raced in the lab.

Probes (Local channels running cti-take, as a caller entering a queue will) take a queue's
armed offers while this test, in the server's place, arms slots and disarms them in the
same milliseconds, round after round. The protocol's promises are checked on what Asterisk
reports, for every arm:
- it is taken at most once, and each probe says what it got (none is lost);
- a disarm whose read of the intent finds another token is final: no take of that arm
  comes after it;
- a disarm that finds the token hears the taker's word for it (CtiArmTaken or
  CtiArmAborted), exactly once.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import pytest
from panoramisk import Manager

from cti.lab.instance import LabInstance
from tests.lab.ami_tap import Tap

pytestmark = pytest.mark.lab
QUEUE = "race"
ROUNDS = 1000
TAKERS = 3  # probes racing for each round's arms


async def _action(manager: Manager, action: dict[str, str]) -> dict[str, Any]:
    answer = await asyncio.wait_for(manager.send_action(action), timeout=10)
    first = answer[0] if isinstance(answer, list) else answer  # an async Originate's list
    assert first.success, (action, answer)
    return dict(first)


async def _probe(manager: Manager, probe: str) -> None:
    await _action(
        manager,
        {
            "Action": "Originate",
            "Channel": f"Local/{QUEUE}@lab-take-probe/n",
            "Application": "Wait",
            "Data": "1",
            "Variable": f"PROBE_ID={probe}",
            "Async": "true",
        },
    )


async def _disarm(manager: Manager, slot: int) -> str:
    """As the server will: the arm emptied, then the intent read (what it says)."""
    empty = {"Action": "Setvar", "Variable": f"CTI_ARM_{QUEUE}_{slot}", "Value": ""}
    await _action(manager, empty)
    answer = await _action(manager, {"Action": "Getvar", "Variable": f"CTI_TAKE_{QUEUE}_{slot}"})
    return str(answer.get("Value") or "").partition("^")[0]  # `<token>^<taker's Uniqueid>`


async def test_an_arm_is_taken_once_and_a_disarm_knows_whether_it_was(
    lab: LabInstance, ami: tuple[Manager, Tap]
) -> None:
    manager, tap = ami
    rng = random.Random(17)
    disarmed: dict[str, str] = {}  # token -> the intent the disarm read
    probes: list[str] = []
    head = {"Action": "Setvar", "Variable": f"CTI_ARM_HEAD_{QUEUE}", "Value": "1"}
    await _action(manager, head)  # takers try slot 1, then 2 (then the ring's empty rest)
    for n in range(ROUNDS):
        tokens = {slot: f"t{n}s{slot}" for slot in (1, 2)}
        for slot, token in tokens.items():
            arm = {"Action": "Setvar", "Variable": f"CTI_ARM_{QUEUE}_{slot}"}
            value = f"{token}^cti-connect^30^Custom:lab-take^^1001"
            await _action(manager, {**arm, "Value": value})
        racers = [f"p{n}-{k}" for k in range(TAKERS)]
        probes += racers
        slot = rng.choice((1, 2))
        before = rng.randint(0, TAKERS)  # the disarm goes out among the takers
        jobs = [asyncio.create_task(_probe(manager, p)) for p in racers[:before]]
        await asyncio.sleep(rng.uniform(0, 0.002))
        disarm = asyncio.create_task(_disarm(manager, slot))
        jobs += [asyncio.create_task(_probe(manager, p)) for p in racers[before:]]
        disarmed[tokens[slot]] = await disarm
        await asyncio.gather(*jobs)
        await _disarm(manager, 3 - slot)  # the other slot too, before the next round
    await tap.first(lambda _e: _done(tap) >= len(probes), what="every probe done", within=60)

    events = [e for _, e in tap.events if e.get("Event") == "UserEvent"]
    taken = Counter(e["Token"] for e in events if e.get("UserEvent") == "CtiArmTaken")
    aborted = Counter(e["Token"] for e in events if e.get("UserEvent") == "CtiArmAborted")
    done = {e["Probe"]: e.get("Token", "") for e in events if e.get("UserEvent") == "LabTakeDone"}
    assert sorted(done) == sorted(probes)  # every probe said what it got
    assert max(taken.values()) == 1, taken.most_common(3)  # never taken twice
    got = Counter(t for t in done.values() if t)
    assert got == taken  # a probe holds an arm exactly when it was taken
    for token, read in disarmed.items():
        if read != token:
            assert taken[token] == 0, (token, read)  # the disarm was final
        else:
            assert taken[token] + aborted[token] == 1, (token, taken[token], aborted[token])
    # The races happened: some arms were taken before their disarm, some disarmed first.
    assert 0 < sum(taken[t] for t in disarmed) < len(disarmed), sum(taken.values())
    print(
        f"{ROUNDS} rounds, {len(probes)} probes: {sum(taken.values())} takes,"
        f" {sum(aborted.values())} aborted, {sum(1 for t, r in disarmed.items() if r == t)}"
        " disarms found the intent"
    )


def _done(tap: Tap) -> int:
    return sum(
        1
        for _, e in tap.events
        if e.get("Event") == "UserEvent" and e["UserEvent"] == "LabTakeDone"
    )
