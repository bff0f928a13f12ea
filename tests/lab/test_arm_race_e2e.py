"""Pre-armed routing's races with the server in the loop (issue 17, C2, C3): a real Asterisk
(the lab), `cti serve`, SIPp agent phones and a stream of SIPp callers, with agents going
not ready, ready, logging out and in at the very moments callers enter.

Ten agents, members of two queues, answer at once; callers arrive at random (a Poisson
stream, as random callers do) into either queue and hang up 300 ms after entering, so
agents free up and are armed again all the time. This test's own AMI session sees every
caller's channel appear, and for half of them changes an agent's state through the API at
once: the command reaches the server within a millisecond or two of the caller's take, the
window where a disarm meets a take (cti/domain/arming.py rules 3 and 4).

What must hold, from Asterisk's side (this test's AMI session) and the server's (its
event stream and /metrics):
- no phone is ever dialled for two callers at once, and no arm is taken twice;
- every take is exactly one of: the arm's agent offered that caller (an offer starting at
  the take, to the phone the caller dialled), or a late take sent back to wait; the
  server's cti_arms_total{outcome="taken"|"late"} counts exactly Asterisk's takes;
- no agent ever has two offers at once;
- no caller is lost: every caller has its call record, and at the end nothing waits in
  the server and no channel is left in Asterisk.
ARM_RACE_CALLS sets the number of callers (2,000 by default: about 3.5 minutes).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cti.api.client import UnexpectedAnswer
from cti.lab.instance import REPO, LabInstance
from cti.lab.ports import pick_sipp_block
from cti.lab.sipp import CALLER_IP, Softphone, _Run
from tests.lab.ami_tap import Tap, connect
from tests.lab.scenarios import phones
from tests.lab.server import EventTap, ServerProcess, eventually

pytestmark = pytest.mark.lab

AGENTS = tuple(str(n) for n in range(1001, 1011))
QUEUES = ("support", "sales")
CALLS = int(os.environ.get("ARM_RACE_CALLS", "2000"))
RATE = 10.0  # callers per second, both queues together
HOLD_MS = 300  # a caller hangs up this long after entering
NEAR_S = 0.005  # a command answered this close to a take met it
CONFIG = (
    "queues:\n"
    + "".join(f"  - id: {q}\n    max_wrap_up: 0\n" for q in QUEUES)
    + "reasons:\n  - code: break\nagents:\n"
    + "".join(
        f'  - id: "{a}"\n    pin: "1234"\n    queues: {{support: 0, sales: 0}}\n' for a in AGENTS
    )
)


def caller_scenario(workdir: Path) -> Path:
    """tests/sipp/caller_hangup_after.xml with an exponential pause before the INVITE:
    SIPp starts calls evenly; displaced that way they arrive as a Poisson stream."""
    text = (REPO / "tests" / "sipp" / "caller_hangup_after.xml").read_text()
    pause = f'<pause distribution="exponential" mean="{20 * 1000 / RATE:.0f}"/>'
    head, sep, tail = text.partition("<send")
    path = workdir / "arm_race_caller.xml"
    path.write_text(head + pause + "\n  " + sep + tail)
    return path


async def callers(lab: LabInstance, queue: str, scenario: Path, count: int) -> int:
    """`count` callers into `queue` at RATE / 2 a second; SIPp's exit status."""
    run = _Run(lab, None)
    keys = ["-s", queue, "-key", "caller", "555", "-key", "priority", "0"]
    keys += ["-m", str(count), "-r", str(RATE / len(QUEUES)), "-d", str(HOLD_MS)]
    argv = run.argv(str(scenario), pick_sipp_block(), CALLER_IP, f"{lab.host}:{lab.ports.sip}")
    return await run.run([*argv, *keys], within_s=count / RATE * len(QUEUES) + 60)


@dataclass
class Agents:
    """The agents' states as this test last set them, and the commands it sent."""

    server: ServerProcess
    state: dict[str, str] = field(default_factory=lambda: dict.fromkeys(AGENTS, "available"))
    busy: set[str] = field(default_factory=set)
    answered_at: list[float] = field(default_factory=list)  # monotonic, per command
    sent: Counter[str] = field(default_factory=Counter)
    rng: random.Random = field(default_factory=lambda: random.Random(17))

    def poke(self) -> None:
        """Change one agent's state now (not one with a command still on its way)."""
        free = [a for a in AGENTS if a not in self.busy]
        if free:
            agent = self.rng.choice(free)
            self.busy.add(agent)
            asyncio.get_running_loop().create_task(self._change(agent))

    async def _change(self, agent: str) -> None:
        try:
            await self._command(agent)
            self.answered_at.append(time.monotonic())
        except UnexpectedAnswer as refused:
            # 409: not allowed now (a logout while on a call): the agent's state stands.
            assert refused.status == 409, refused
            self.sent["refused"] += 1
        finally:
            self.busy.discard(agent)

    async def _command(self, agent: str) -> None:
        now = self.state[agent]
        if now == "logged_out":
            await self.server.log_in(agent)
            self.state[agent], kind = "available", "login"
        elif now == "not_ready":
            await self.server.post(f"/api/v1/agents/{agent}/ready")
            self.state[agent], kind = "available", "ready"
        elif self.rng.random() < 0.25:
            await self.server.post(f"/api/v1/agents/{agent}/logout")
            self.state[agent], kind = "logged_out", "logout"
        else:
            await self.server.post(f"/api/v1/agents/{agent}/not-ready", {"reason": "break"})
            self.state[agent], kind = "not_ready", "not_ready"
        self.sent[kind] += 1

    async def settle(self) -> None:
        await eventually(self._idle, within=10, what="every agent command answered")
        for agent in AGENTS:  # everyone ready again, so the last callers are not the point
            if self.state[agent] == "logged_out":
                await self.server.log_in(agent)
            elif self.state[agent] == "not_ready":
                await self.server.post(f"/api/v1/agents/{agent}/ready")

    async def _idle(self) -> bool:
        return not self.busy


def device_of(channel: str) -> str:
    """PJSIP/1001-0000002a -> 1001."""
    return channel.split("/", 1)[1].rsplit("-", 1)[0]


def overlapping(intervals: list[tuple[float, float, str]]) -> list[tuple[str, str]]:
    """Pairs of intervals that overlap (sorted by start)."""
    found, ordered = [], sorted(intervals)
    for (_, end, a), (start, _, b) in itertools.pairwise(ordered):
        if start < end:
            found.append((a, b))
    return found


def dials_by_phone(events: list[dict[str, Any]]) -> dict[str, list[tuple[float, float, str]]]:
    """Each agent phone's dials from Asterisk's DialBegin/DialEnd (its own timestamps)."""
    begun: dict[str, tuple[float, str, str]] = {}
    dials: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for e in events:
        if e.get("Event") == "DialBegin" and e.get("Uniqueid"):
            begun[e["DestUniqueid"]] = (
                float(e["Timestamp"]),
                device_of(e["DestChannel"]),
                e["Uniqueid"],
            )
        elif e.get("Event") == "DialEnd" and e.get("DestUniqueid") in begun:
            start, phone, caller = begun.pop(e["DestUniqueid"])
            dials[phone].append((start, float(e["Timestamp"]), caller))
    for start, phone, caller in begun.values():
        dials[phone].append((start, float("inf"), caller))
    return dials


async def test_takes_disarms_and_agent_changes_in_the_same_milliseconds_keep_every_rule(
    lab: LabInstance, server: ServerProcess, tmp_path: Path
) -> None:
    manager, tap = await connect(lab), Tap()
    manager.register_event("*", tap.on_event)
    await server.configure(CONFIG)
    await server.start()
    agents = Agents(server)
    entered: list[float] = []

    def on_channel(_manager: Any, message: Any) -> None:
        if str(message.get("Channel", "")).startswith("PJSIP/trunk"):
            entered.append(time.monotonic())
            if agents.rng.random() < 0.5:
                agents.poke()

    manager.register_event("Newchannel", on_channel)
    scenario = caller_scenario(tmp_path)
    events = EventTap(server.api())
    try:
        async with events, phones(*(Softphone(lab, a, "answer", talk_ms=60_000) for a in AGENTS)):
            for agent in AGENTS:
                await server.log_in(agent)
            await eventually(
                lambda: _armed(manager), within=15, what="the server arming the queues"
            )
            statuses = await asyncio.gather(
                *(callers(lab, q, scenario, CALLS // len(QUEUES)) for q in QUEUES)
            )
            await agents.settle()
            await events.wait(
                lambda t: len(t.calls()) >= CALLS, within=60, what="every caller's record"
            )
            await eventually(lambda: _quiet(lab, server), within=30, what="nothing left")
            arms = {o: await _total(server, o) for o in ("taken", "late")}
    finally:
        manager.close()

    assert statuses == [0, 0], "SIPp: every caller's scenario ran to its end"
    seen = [e for _, e in tap.events]
    takes = [e for e in seen if e.get("UserEvent") == "CtiArmTaken"]
    aborted = [e for e in seen if e.get("UserEvent") == "CtiArmAborted"]
    tokens = Counter(e["Token"] for e in takes)
    assert not [t for t, n in tokens.items() if n > 1], "an arm taken twice"

    # No phone dialled for two callers at once (Asterisk's own dials).
    dials = dials_by_phone(seen)
    twice = {phone: overlapping(d) for phone, d in dials.items() if overlapping(d)}
    assert not twice, f"phones dialled for two callers at once: {twice}"

    # Every take: the caller's offer to the phone it dialled, from the take; or sent back.
    first_dial: dict[str, tuple[float, str]] = {}
    for phone, phone_dials in dials.items():
        for start, _end, caller in phone_dials:
            if caller not in first_dial or start < first_dial[caller][0]:
                first_dial[caller] = (start, phone)
    offers = sorted(events.offers(), key=lambda o: o["offered_at"])
    first_offer: dict[str, dict[str, Any]] = {}
    for offer in offers:
        first_offer.setdefault(offer["call"], offer)
    honoured = late = 0
    for take in takes:
        caller = take["Uniqueid"]
        _, phone = first_dial[caller]
        found = first_offer.get(caller)
        at = float(take["Timestamp"])
        if found is not None and found["agent"] == phone and abs(found["offered_at"] - at) < 0.02:
            honoured += 1
        else:
            late += 1  # sent back: its dial was ended and it waited like any caller
    assert (honoured, late) == (arms["taken"], arms["late"]), (
        "the server's account of the takes differs from what its offers show"
    )
    assert honoured + late == len(takes)

    # No agent with two offers at once (the server's own offer records).
    by_agent: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for offer in offers:
        by_agent[offer["agent"]].append((offer["offered_at"], offer["ended_at"], offer["call"]))
    doubled = {a: overlapping(o) for a, o in by_agent.items() if overlapping(o)}
    assert not doubled, f"agents offered two calls at once: {doubled}"

    # No caller lost: each has its record (answered or abandoned), none left waiting.
    records = events.calls()
    assert len(records) == len(entered) == CALLS
    assert len({r["call"] for r in records}) == CALLS

    near = sum(
        1
        for t in (t for t, e in tap.events if e.get("UserEvent") == "CtiArmTaken")
        if any(abs(t - a) < NEAR_S for a in agents.answered_at)
    )
    print(
        f"callers {CALLS}: takes {len(takes)} (offers {honoured}, late {late}), "
        f"aborted {len(aborted)}, commands {dict(agents.sent)}, "
        f"commands answered within {NEAR_S * 1000:g} ms of a take: {near}"
    )
    assert len(takes) > CALLS // 4, "most callers with an agent free take an arm"
    assert near > CALLS // 100, "the commands met the takes"


async def _armed(manager: Any) -> bool:
    """Both slots of both queues armed in Asterisk (ten agents, four slots)."""
    for q in QUEUES:
        for k in (1, 2):
            async with asyncio.timeout(5):
                answer = await manager.send_action(
                    {"Action": "Getvar", "Variable": f"CTI_ARM_{q}_{k}"}
                )
            if not dict(answer).get("Value"):
                return False
    return True


async def _quiet(lab: LabInstance, server: ServerProcess) -> bool:
    out = await asyncio.to_thread(lab.cli, "core show channels count")
    if "0 active channels" not in out:
        return False
    return not any([await server.waiting(q) for q in QUEUES])


async def _total(server: ServerProcess, outcome: str) -> float:
    """cti_arms_total{outcome} over the queues (0 when no arm ended so)."""
    return sum(
        [(await server.metric("cti_arms_total", queue=q, outcome=outcome)) or 0.0 for q in QUEUES]
    )
