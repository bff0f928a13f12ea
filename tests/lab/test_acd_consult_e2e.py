"""End to end, the attended transfer to an agent (P8): a real Asterisk (the lab), SIPp
callers and agent phones, and `cti serve` driven through its API and WebSocket.

The consulting agent's leg dials the consulted agent while the caller holds; the transfer
completes on the API's word, or the caller is taken back when the consulted agent does not
answer within the queue's N rings (C3). Dialplan contract v3: cti-hold, cti-consult,
cti-bridge.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cti.lab.instance import LabInstance
from cti.lab.sipp import Softphone, place_call
from tests.lab.scenarios import acd_yaml, agent_state, phones, start, until_state
from tests.lab.server import ServerProcess

pytestmark = pytest.mark.lab


def segments(record: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [
        (s["kind"], s["agent"], s["outcome"]) for s in record["segments"] if s["kind"] != "queue"
    ]


def seconds(segment: dict[str, Any]) -> float:
    return float(segment["end"]) - float(segment["start"])


async def test_consult_then_complete_moves_the_caller_to_the_consulted_agent(
    lab: LabInstance, server: ServerProcess
) -> None:
    tap = await start(server, acd_yaml({"1011": "support", "1012": "support"}, max_wrap_up=2))
    consulted = Softphone(lab, "1012", "answer_hangup_first", talk_ms=8000)
    async with tap, phones(Softphone(lab, "1011", "answer"), consulted):
        first = await server.log_in("1011")
        call = place_call(lab, "support", "5551101", survey_digit=4)
        await until_state(server, "1011", "on_call")
        await server.log_in("1012")
        await asyncio.sleep(2.0)

        await server.post("/api/v1/agents/1011/consult", {"agent": "1012"}, token=first)
        await until_state(server, "1012", "on_call")  # answered the consultation
        await asyncio.sleep(1.0)
        answer = await server.post("/api/v1/agents/1011/consult/complete", token=first)
        assert answer["agent"]["state"] == "wrap_up"
        await tap.wait(lambda t: len(t.calls()) == 1, within=30, what="the call record")
        assert await call.wait(within_s=10) == 0

    [record] = tap.calls()
    assert segments(record) == [
        ("talk", "1011", "consult"),
        ("hold", "1011", "transferred"),
        ("wrap_up", "1011", "limit"),  # segments are listed as they close
        ("talk", "1012", "released"),
        ("wrap_up", "1012", "limit"),
    ]
    talk, hold, _, onward = record["segments"][1:5]
    assert seconds(talk) == pytest.approx(2.0, abs=0.5)
    assert seconds(hold) == pytest.approx(1.0, abs=1.0)  # the ring and the 1 s of consulting
    assert seconds(onward) == pytest.approx(7.0, abs=1.5)  # 8 s from answering the consult
    assert record["released_by"] == "agent"
    assert record["survey_score"] == 4  # the caller reached the survey after 1012 hung up
    offers = [(o["agent"], o["outcome"]) for o in tap.offers()]
    assert offers == [("1011", "answered"), ("1012", "answered")]
    p2 = [f["agent"] for f in tap.findings() if f["rule"] == "P2.agent_released_first"]
    assert p2 == ["1012"]


async def test_a_consultation_not_answered_within_n_rings_gives_the_caller_back(
    lab: LabInstance, server: ServerProcess
) -> None:
    yaml_text = acd_yaml(
        {"1013": "support", "1014": "support"}, ring_limit=2, ring_cadence=2, max_wrap_up=1
    )
    tap = await start(server, yaml_text)
    async with tap, phones(Softphone(lab, "1013", "answer"), Softphone(lab, "1014", "no_answer")):
        first = await server.log_in("1013")
        call = place_call(lab, "support", "5551301", hangup_after_ms=14000)
        await until_state(server, "1013", "on_call")
        await server.log_in("1014")
        await asyncio.sleep(1.0)

        await server.post("/api/v1/agents/1013/consult", {"agent": "1014"}, token=first)
        await tap.wait(
            lambda t: any(o["outcome"] == "no_answer" for o in t.offers()),
            within=20,
            what="the consultation withdrawn after 2 rings",
        )
        assert await agent_state(server, "1013") == "on_call"  # the caller is back
        _, answer = await server.get("/api/v1/agents/1014")
        assert (answer["agent"]["state"], answer["agent"]["reason"]) == ("not_ready", "no answer")
        await tap.wait(lambda t: len(t.calls()) == 1, within=30, what="the call record")
        assert await call.wait(within_s=10) == 0

    [record] = tap.calls()
    assert segments(record)[:3] == [
        ("talk", "1013", "consult"),
        ("hold", "1013", "consult no_answer"),
        ("talk", "1013", "released"),  # the caller hung up, talking to 1013 again
    ]
    assert record["released_by"] == "caller"
    missed = [o for o in tap.offers() if o["agent"] == "1014"]
    assert [(o["outcome"], o["rings"]) for o in missed] == [("no_answer", 2)]
    assert seconds(record["segments"][2]) == pytest.approx(4.0, abs=1.0)  # 2 rings of 2 s
