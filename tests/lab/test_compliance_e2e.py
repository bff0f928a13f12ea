"""End to end in the lab (issue 16): a real Asterisk, SIPp phones, `cti serve` as a
process with its auditor every half second. Agent 1001's duty on desk-1 started seven
minutes before it logs in; it takes a break past the reason's limit without asking; it
logs out at the end of its duty while its successor on desk-1, 1002, has not logged in.
Exactly those findings come back through the API and /metrics: P4.late, the break's
P5.not_ready_overrun and P5.away, and P12.left_before_successor, once each."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cti.lab.instance import LabInstance
from cti.lab.sipp import Softphone
from tests.lab.scenarios import phones
from tests.lab.server import ServerProcess, eventually

pytestmark = pytest.mark.lab

YAML = """\
queues:
  - id: support
reasons:
  - {code: break, max_seconds: 5}
agents:
  - {id: "1001", pin: "1234", queues: {support: 0}}
  - {id: "1002", pin: "1234", queues: {support: 0}}
"""
RULES = {"P4.late", "P5.not_ready_overrun", "P5.away", "P12.left_before_successor"}


def clock(at: float) -> tuple[str, str]:
    moment = datetime.fromtimestamp(at, UTC)
    return moment.date().isoformat(), f"{moment:%H:%M}"


async def test_late_an_unapproved_long_break_and_leaving_before_the_successor(
    lab: LabInstance, tmp_path: Path
) -> None:
    server = ServerProcess(lab, tmp_path)
    with server.config.open("a") as config:
        config.write("\n[compliance]\ninterval = 0.5\n")
    await server.configure(YAML)
    admin = (await server.admin("token", "create", "--role", "admin", "--name", "root")).strip()
    await server.start()
    try:
        now = time.time()
        start = math.floor((now - 420) / 60) * 60  # seven to eight minutes ago
        end = math.ceil((now + 40) / 60) * 60  # a minute boundary 40-100 s from now
        day, begins = clock(start)
        _, ends = clock(end)
        night = clock(end + 3600)[1]
        rows = [
            {"agent": "1001", "date": day, "start": begins, "end": ends, "position": "desk-1"},
            {
                "agent": "1002",
                "date": clock(end)[0],
                "start": ends,
                "end": night,
                "position": "desk-1",
            },
        ]
        week = {"since": day, "until": clock(end + 86400)[0], "activities": rows}
        status, answer = await server.request("PUT", "/api/v1/schedule", week, token=admin)
        assert status == 200, answer
        url = "/api/v1/compliance/rules/P5.away/limit"
        body = {"scope": "centre", "target": "", "value": 3}
        status, answer = await server.request("PUT", url, body, token=admin)
        assert status == 200, answer

        async with phones(Softphone(lab, "1001", "answer"), Softphone(lab, "1002", "answer")):
            agent = await server.log_in("1001")  # late: 7-8 minutes after the start
            await server.post("/api/v1/agents/1001/not-ready", {"reason": "break"}, token=agent)

            async def found() -> set[str]:
                return {f["rule"] for f in await findings(server)}

            await eventually(lambda: _has(found, {"P4.late", "P5.not_ready_overrun", "P5.away"}),
                             within=20, what="late, the overrun and away")  # fmt: skip
            await server.post("/api/v1/agents/1001/ready", token=agent)
            # The duty's end (so no early leave): the clock is the fact waited for.
            await eventually(lambda: time.time() > end + 1, within=130, every=0.5,
                             what="the duty's end")  # fmt: skip
            await server.post("/api/v1/agents/1001/logout", token=agent)
            await eventually(lambda: _has(found, RULES), within=20, what="the seat left empty")

        listed = await findings(server)
        assert sorted(f["rule"] for f in listed) == sorted(RULES), listed  # once each
        by_rule = {f["rule"]: f for f in listed}
        assert all(f["agent"] == "1001" for f in listed)
        assert 420 <= by_rule["P4.late"]["measured"] <= 540 and by_rule["P4.late"]["at"] == start
        assert by_rule["P5.not_ready_overrun"]["limit"] == 5
        assert by_rule["P5.away"]["limit"] == 3 and by_rule["P5.away"]["measured"] > 3
        handover = by_rule["P12.left_before_successor"]
        assert handover["at"] == end and "the successor 1002 had not arrived" in handover["detail"]
        for rule in RULES:
            assert await server.metric("cti_findings_total", rule=rule) == 1.0, rule
    finally:
        await server.kill()


async def findings(server: ServerProcess) -> list[dict[str, Any]]:
    status, answer = await server.get("/api/v1/findings?agent=1001")
    assert status == 200, answer
    return list(answer["findings"])


async def _has(found: Any, wanted: set[str]) -> bool:
    return wanted <= await found()
