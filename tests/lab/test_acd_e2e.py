"""End to end, the inbound ACD: a real Asterisk (the lab), SIPp callers and SIPp agent
phones, and `cti serve` as a process driven only through its API, WebSocket and /metrics.

C2 routing (first come first served, longest idle, priority), C3 answer within N rings,
C4 wrap-up, P2 who released first, P7 survey, P8 blind transfer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cti.lab.instance import LabInstance
from cti.lab.sipp import CallHandle, Softphone, place_call
from tests.lab.scenarios import acd_yaml, phones, start
from tests.lab.server import EventTap, ServerProcess, eventually

pytestmark = pytest.mark.lab


async def agent_view(server: ServerProcess, agent: str) -> dict[str, Any]:
    status, body = await server.get(f"/api/v1/agents/{agent}")
    assert status == 200, body
    return dict(body["agent"])


async def hang_up_all(calls: list[CallHandle]) -> None:
    for call in calls:
        await call.cancel_and_wait()


async def test_an_unanswered_offer_goes_to_the_next_agent_after_n_rings(
    lab: LabInstance, server: ServerProcess
) -> None:
    tap = await start(
        server,
        acd_yaml(
            {"1001": "support", "1002": "support"}, ring_limit=2, ring_cadence=1.0, max_wrap_up=1
        ),
    )
    async with (
        tap,
        phones(Softphone(lab, "1001", "no_answer"), Softphone(lab, "1002", "answer", ring_ms=1300)),
    ):
        await server.log_in("1001")  # idle the longest: offered first
        await asyncio.sleep(0.2)
        await server.log_in("1002")
        call = place_call(lab, "support", "5553001", hangup_after_ms=6000)
        await tap.wait(lambda t: len(t.calls()) == 1, within=20, what="the call record")
        assert await call.wait(within_s=10) == 0

    missed, answered = tap.offers()
    assert (missed["agent"], missed["outcome"], missed["rings"]) == ("1001", "no_answer", 2)
    ringing = missed["ended_at"] - missed["ring_started_at"]
    assert 2.0 <= ringing < 2.3, ringing  # N rings of the cadence, counted from the ring
    assert (answered["agent"], answered["outcome"], answered["rings"]) == ("1002", "answered", 2)
    first = await agent_view(server, "1001")
    assert (first["state"], first["reason"]) == ("not_ready", "no answer")
    [record] = tap.calls()
    assert (record["offers"], record["answered"], record["released_by"]) == (2, True, "caller")
    rules = [f["rule"] for f in tap.findings()]
    assert "C3.ring_limit" in rules and "P2.agent_released_first" not in rules  # caller first

    async def metrics_agree() -> bool:
        misses = await server.metric("cti_ring_limit_misses_total", queue="support")
        on_ring_2 = await server.metric("cti_answer_rings_bucket", queue="support", le="2.0")
        on_ring_1 = await server.metric("cti_answer_rings_bucket", queue="support", le="1.0")
        return (misses, on_ring_2, on_ring_1) == (1.0, 1.0, 0.0)

    await eventually(metrics_agree, within=5, what="metrics agree with the record")


async def test_two_agents_five_callers_first_come_first_served_longest_idle_first(
    lab: LabInstance, server: ServerProcess
) -> None:
    tap = await start(server, acd_yaml({"1003": "support", "1004": "support"}, max_wrap_up=0.5))
    callers = [f"555400{n}" for n in range(1, 6)]
    async with (
        tap,
        phones(
            Softphone(lab, "1003", "answer_hangup_first", talk_ms=1000),
            Softphone(lab, "1004", "answer_hangup_first", talk_ms=1000),
        ),
    ):
        await server.log_in("1004")
        await asyncio.sleep(0.2)
        await server.log_in("1003")
        calls = []
        for n, caller in enumerate(callers):
            calls.append(place_call(lab, "support", caller, survey_digit=n % 5 + 1))
            await asyncio.sleep(0.3)
        await tap.wait(lambda t: len(t.calls()) == 5, within=40, what="five call records")
        for call in calls:
            assert await call.wait(within_s=10) == 0

    answered = [o for o in tap.offers() if o["outcome"] == "answered"]
    order = [tap.caller_of(o["call"]) for o in sorted(answered, key=lambda o: o["offered_at"])]
    assert order == callers
    assert answered[0]["agent"] == "1004"  # logged in first: idle the longest
    records = {r["caller"]: r for r in tap.calls()}
    # The agents hang up first (a P2 finding each); the callers then key the survey (P7).
    assert [records[c]["survey_score"] for c in callers] == [1, 2, 3, 4, 5]
    assert all(records[c]["released_by"] == "agent" for c in callers)
    rules = [f["rule"] for f in tap.findings()]
    assert rules.count("P2.agent_released_first") == 5


async def test_an_urgent_caller_is_answered_before_earlier_normal_callers(
    lab: LabInstance, server: ServerProcess
) -> None:
    tap = await start(server, acd_yaml({"1005": "support"}))
    async with tap, phones(Softphone(lab, "1005", "answer")):
        calls = [place_call(lab, "support", "5555001", hangup_after_ms=20_000)]
        await asyncio.sleep(0.5)
        calls.append(place_call(lab, "support", "5555002", hangup_after_ms=20_000))
        await asyncio.sleep(0.5)
        calls.append(place_call(lab, "support", "5555009", priority=5, hangup_after_ms=20_000))
        await eventually(lambda: _waiting(server, 3), within=10, what="three callers waiting")
        await server.log_in("1005")
        await tap.wait(lambda t: bool(t.offers()), within=10, what="the first offer")
        await hang_up_all(calls)

    assert tap.caller_of(tap.offers()[0]["call"]) == "5555009"


async def _waiting(server: ServerProcess, count: int) -> bool:
    return len(await server.waiting("support")) == count


async def test_wrap_up_ended_early_with_a_disposition_and_ended_by_the_maximum(
    lab: LabInstance, server: ServerProcess
) -> None:
    tap = await start(
        server,
        acd_yaml(
            {"1006": "support"},
            max_wrap_up=3,
            dispositions='["solved", "escalated"]',
            disposition_required="true",
        ),
    )
    async with tap, phones(Softphone(lab, "1006", "answer")):
        token = await server.log_in("1006")
        call = place_call(lab, "support", "5556001", hangup_after_ms=2500)
        await tap.wait(_wrapping("1006"), within=15, what="wrap-up after the first call")
        await asyncio.sleep(1.0)
        status, body = await server.request(
            "POST", "/api/v1/agents/1006/wrap-up/end", {}, token=token
        )
        assert status == 422 and "requires a disposition" in body["error"]
        await server.post("/api/v1/agents/1006/wrap-up/end", {"disposition": "solved"}, token=token)
        await call.wait(within_s=10)
        second = place_call(lab, "support", "5556002", hangup_after_ms=2500)
        await tap.wait(lambda t: len(t.calls()) == 2, within=20, what="two call records")
        await second.wait(within_s=10)

    first, last = tap.calls()
    early = [s for s in first["segments"] if s["kind"] == "wrap_up"]
    assert [(s["outcome"], s["disposition"]) for s in early] == [("agent", "solved")]
    assert 0.9 <= early[0]["end"] - early[0]["start"] < 1.6
    by_limit = [s for s in last["segments"] if s["kind"] == "wrap_up"]
    assert [s["outcome"] for s in by_limit] == ["limit"]
    assert by_limit[0]["end"] - by_limit[0]["start"] == pytest.approx(3.0, abs=0.15)
    assert [f["rule"] for f in tap.findings()] == ["C4.wrap_up_overrun"]


def _wrapping(agent: str) -> Any:
    def check(tap: EventTap) -> bool:
        return any(e["agent"] == agent and e["state"] == "wrap_up" for e in tap.of("agent_changed"))

    return check


async def test_a_blind_transfer_credits_each_agent_with_its_own_talk(
    lab: LabInstance, server: ServerProcess
) -> None:
    tap = await start(server, acd_yaml({"1007": "support", "1008": "sales"}, max_wrap_up=1))
    async with tap, phones(Softphone(lab, "1007", "answer"), Softphone(lab, "1008", "answer")):
        first = await server.log_in("1007")
        await server.log_in("1008")
        call = place_call(lab, "support", "5557001", hangup_after_ms=7000)
        await tap.wait(
            lambda t: any(o["outcome"] == "answered" for o in t.offers()),
            within=10,
            what="1007 answers",
        )
        await asyncio.sleep(2.0)
        await server.post("/api/v1/agents/1007/transfer", {"queue": "sales"}, token=first)
        await tap.wait(lambda t: len(t.calls()) == 1, within=20, what="the call record")
        await call.wait(within_s=10)

    [record] = tap.calls()
    talks = [s for s in record["segments"] if s["kind"] == "talk"]
    assert [(s["agent"], s["queue"], s["outcome"]) for s in talks] == [
        ("1007", "support", "transferred"),
        ("1008", "sales", "released"),
    ]
    assert talks[0]["end"] - talks[0]["start"] == pytest.approx(2.0, abs=0.5)
    queues = [s["queue"] for s in record["segments"] if s["kind"] == "queue"]
    assert queues == ["support", "sales"]
    assert "P2.agent_released_first" not in [f["rule"] for f in tap.findings()]
