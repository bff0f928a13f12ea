"""Record the replay fixtures again from the lab, at the dialplan contract of this tree.

    python -m tests.replay.rerecord [scenario ...]      (as root, like the lab tests)

Each scenario runs `cti serve` against a lab of its own (one Asterisk for the run), with
SIPp callers, phones and customers, while a second AMI session of the server's user (the
same event classes) records every event frame. What the server was told that is not in
the AMI stream goes to `<name>.setup.json` beside the stream: the queues and agents, and
the commands (a consultation asked for, a campaign started and its contacts handed to the
core) with the instant they were given, on the host's clock, which is Asterisk's too.

The contacts of a campaign reach the core in a dialer round whose instant the API does
not show; the core names each dial after the millisecond it made it (`out-<ms>-<n>`), and
a progressive dial is made the moment its contact arrives, so that instant is read back
from the first dial's channel id.

Then regenerate the goldens (UPDATE_GOLDEN=1 pytest tests/replay) and read them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cti import settings
from cti.ami.link import AmiLink, LinkCallbacks, LinkSettings
from cti.lab import instance
from cti.lab.instance import LabInstance
from cti.lab.sipp import Customers, Softphone, customer_number, place_call
from tests.lab.scenarios import admin_token, history_written, phones, set_up_campaign, until_state
from tests.lab.server import ServerProcess, eventually
from tests.replay.record import scrub

FIXTURES = Path(__file__).parent / "fixtures"
SETTLE = 1.0  # seconds recorded after a scenario's last event: the stream's tail


class Recording:
    """Every event frame the server's AMI user receives, from start() until stop()."""

    def __init__(self, lab: LabInstance) -> None:
        self.frames: list[dict[str, Any]] = []
        self._up = asyncio.Event()
        callbacks = LinkCallbacks(
            on_frame=lambda h: self.frames.append(scrub(h)),
            on_malformed=lambda f, r: print("malformed:", r),
            on_up=self._up.set,
            on_down=print,
        )
        ami = settings.load(str(lab.server_config)).ami
        self._link = AmiLink(LinkSettings.of(ami), callbacks)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._link.run())
        async with asyncio.timeout(10):
            await self._up.wait()

    async def stop(self) -> list[dict[str, Any]]:
        await asyncio.sleep(SETTLE)
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return [f for f in self.frames if f.get("Event") not in {"FullyBooted", "TestEvent"}]


@dataclass
class Take:
    """One scenario's run: the server, the recording, the commands given meanwhile."""

    lab: LabInstance
    server: ServerProcess
    recording: Recording
    commands: list[dict[str, Any]]

    def command(self, kind: str, **fields: Any) -> None:
        """Note a command given now (before the request goes, so before what it causes)."""
        self.commands.append({"at": time.time(), "kind": kind, **fields})

    async def calls(self, count: int, within: float = 40) -> None:
        async def ended() -> bool:
            return await history_written(self.server) and bool(
                await _count(self.server, "cti_queue_calls_entered_total") >= count
            )

        await eventually(ended, within=within, what=f"{count} calls entered and recorded")


async def _count(server: ServerProcess, name: str) -> float:
    _, text = await server.get("/metrics")
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + "{") or line.startswith(name + " ")
    )


# The scenarios -----------------------------------------------------------------------

SUPPORT = {"ring_limit": 3, "ring_cadence": 2.0, "max_wrap_up": 5.0}


async def answered_caller_hangs_up_first(take: Take) -> None:
    async with phones(Softphone(take.lab, "1001", "answer")):
        await take.server.log_in("1001")
        call = place_call(take.lab, "support", "5550201", hangup_after_ms=5000)
        assert await call.wait(within_s=30) == 0
        await _wrap_up_over(take, "1001")


async def agent_hangs_up_first_survey(take: Take) -> None:
    async with phones(Softphone(take.lab, "1003", "answer_hangup_first", talk_ms=2000)):
        await take.server.log_in("1003")
        call = place_call(take.lab, "support", "5550203", survey_digit=5)
        assert await call.wait(within_s=30) == 0
        await _wrap_up_over(take, "1003")


async def caller_abandons(take: Take) -> None:
    call = place_call(take.lab, "support", "5550101", hangup_after_ms=2500)
    assert await call.wait(within_s=30) == 0
    await take.calls(1)


async def offer_withdrawn_by_return_to_queue(take: Take) -> None:
    async with phones(Softphone(take.lab, "1002", "no_answer")):
        await take.server.log_in("1002")
        call = place_call(take.lab, "support", "5550202", hangup_after_ms=6500)
        assert await call.wait(within_s=30) == 0
        await take.calls(1)


async def three_callers_priority(take: Take) -> None:
    calls = [
        place_call(take.lab, "support", "5550201", hangup_after_ms=8500),
        place_call(take.lab, "support", "5550202", hangup_after_ms=4500),
        place_call(take.lab, "support", "5550203", priority=5, hangup_after_ms=6500),
        place_call(take.lab, "sales", "5550204", hangup_after_ms=3500),
    ]
    for call in calls:
        assert await call.wait(within_s=30) == 0
    await take.calls(4)


async def consult_then_complete(take: Take) -> None:
    consulted = Softphone(take.lab, "1012", "answer_hangup_first", talk_ms=4000)
    async with phones(Softphone(take.lab, "1011", "answer"), consulted):
        token = await take.server.log_in("1011")
        await take.server.log_in("1012")
        call = place_call(take.lab, "support", "5551101", survey_digit=4)
        await until_state(take.server, "1011", "on_call")
        await asyncio.sleep(2.0)  # two seconds of talk before the consultation
        take.command("consult", agent="1011", target="1012")
        await take.server.post("/api/v1/agents/1011/consult", {"agent": "1012"}, token=token)
        await until_state(take.server, "1012", "on_call")
        await asyncio.sleep(1.0)  # a second of consulting
        take.command("complete_transfer", agent="1011")
        await take.server.post("/api/v1/agents/1011/consult/complete", token=token)
        assert await call.wait(within_s=30) == 0
        await _wrap_up_over(take, "1012")


async def callback_requested(take: Take) -> None:
    call = place_call(take.lab, "sales", "5553101", survey_digit=1)  # keys 1 at the offer
    assert await call.wait(within_s=30) == 0
    await take.calls(1)


async def outbound_progressive_connected(take: Take) -> None:
    admin = await admin_token(take.server)
    number = customer_number("answer", 41)
    body = {
        "queue": "outbound",
        "caller_id": "5550100",
        "ring_timeout": 15,
        "window": {"start": "00:00", "end": "23:59"},
        "pacing": {"mode": "progressive"},
    }
    async with (
        Customers(take.lab),
        phones(Softphone(take.lab, "1001", "answer_hangup_first", talk_ms=3000)),
    ):
        await take.server.log_in("1001")
        take.command("run_campaign", campaign="lab-outbound", body=body)
        await set_up_campaign(take.server, admin, body, [number])

        async def attempted() -> bool:
            return bool(await _count(take.server, "cti_campaign_attempts_total"))

        await eventually(attempted, within=40, what="the attempt ended")
        await _wrap_up_over(take, "1001")
    dial = next(f["Uniqueid"] for f in take.recording.frames if f.get("Uniqueid", "")[:4] == "out-")
    fed_at = (int(dial.split("-")[1]) + 0.5) / 1000  # the dial's millisecond, read back
    take.commands.append({"at": fed_at, "kind": "feed", "campaign": "lab-outbound",
                          "numbers": [number]})  # fmt: skip


async def _wrap_up_over(take: Take, agent: str) -> None:
    await until_state(take.server, agent, "available")
    await eventually(lambda: history_written(take.server), within=20, what="history written")


def _yaml(setup: dict[str, Any]) -> str:
    """The server's configuration for a setup: its queues (support and sales at least)
    and agents, by the lab tests' own YAML."""
    queues = {"support": {}, "sales": {}, **setup.get("queues", {})}
    lines = ["queues:"]
    for queue, fields in queues.items():
        lines.append(f"  - id: {queue}")
        lines += [f"    {key}: {value}" for key, value in fields.items()]
    lines += ["reasons:", "  - code: break", "agents:"]
    for agent, member_of in setup.get("agents", {}).items():
        member = ", ".join(f"{q}: 0" for q in member_of)
        lines += [f'  - id: "{agent}"', '    pin: "1234"', f"    queues: {{{member}}}"]
    return "\n".join(lines) + "\n"


async def take(lab: LabInstance, name: str, scenario: Scenario) -> None:
    setup = dict(SETUPS[name])
    await asyncio.to_thread(lab.cli, "channel request hangup all")
    with tempfile.TemporaryDirectory(prefix=f"rerecord-{name}-") as workdir:
        server = ServerProcess(lab, Path(workdir))
        await server.configure(_yaml(setup))
        await server.start()
        recording = Recording(lab)
        await recording.start()
        shot = Take(lab, server, recording, [])
        try:
            await scenario(shot)
        finally:
            frames = await recording.stop()
            await server.kill()
    if shot.commands:
        setup["commands"] = sorted(shot.commands, key=lambda c: float(c["at"]))
    (FIXTURES / f"{name}.jsonl").write_text("".join(json.dumps(f) + "\n" for f in frames))
    sidecar = FIXTURES / f"{name}.setup.json"
    if setup:
        sidecar.write_text(json.dumps(setup, indent=1) + "\n")
    else:
        sidecar.unlink(missing_ok=True)
    print(f"{name}: {len(frames)} frames, {len(shot.commands)} commands")


SETUPS: dict[str, dict[str, Any]] = {
    "answered_caller_hangs_up_first": {
        "queues": {"support": SUPPORT}, "agents": {"1001": ["support"]}
    },
    "agent_hangs_up_first_survey": {
        "queues": {"support": SUPPORT}, "agents": {"1003": ["support"]}
    },
    "caller_abandons": {},
    "offer_withdrawn_by_return_to_queue": {
        "queues": {"support": {**SUPPORT, "ring_limit": 1}}, "agents": {"1002": ["support"]}
    },
    "three_callers_priority": {},
    "consult_then_complete": {
        "queues": {"support": {**SUPPORT, "max_wrap_up": 2.0}},
        "agents": {"1011": ["support"], "1012": ["support"]},
    },
    "callback_requested": {"queues": {"sales": {"max_wait": 3.0, "max_wait_action": "callback"}}},
    "outbound_progressive_connected": {
        "queues": {"outbound": {"max_wrap_up": 1.0}}, "agents": {"1001": ["outbound"]}
    },
}  # fmt: skip


Scenario = Callable[[Take], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {
    s.__name__: s
    for s in (
        answered_caller_hangs_up_first,
        agent_hangs_up_first_survey,
        caller_abandons,
        offer_withdrawn_by_return_to_queue,
        three_callers_priority,
        consult_then_complete,
        callback_requested,
        outbound_progressive_connected,
    )
}


async def main(names: list[str]) -> None:
    lab_name = f"rerecord-{secrets.token_hex(4)}"
    lab = instance.up(lab_name, devices=instance.DEFAULT_DEVICES)
    try:
        for name in names or list(SCENARIOS):
            await take(lab, name, SCENARIOS[name])
    finally:
        instance.down(lab_name, purge=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", choices=[[], *SCENARIOS], default=[])
    asyncio.run(main(parser.parse_args().scenarios))
