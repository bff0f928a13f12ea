"""Stored calls, findings and figures through the API (C6, P14), and who may read them
(P22: an agent reads only its own calls; numbers are masked where not needed)."""

from __future__ import annotations

from cti.domain.ids import AgentId, CallId, Instant
from cti.domain.records import Finding, Rule
from tests.api.harness import Api, past_call, past_offer


async def stored_call(api: Api) -> float:
    entered = api.now() - 3600
    await api.database.history().record(
        [past_call("c-old", "+15550002222", "1002", entered), past_offer("c-old", "1002", entered)]
    )
    return entered


async def test_a_supervisor_reads_a_stored_call_with_segments_and_offers(api: Api) -> None:
    await stored_call(api)

    status, answer = await api.call("GET", "/api/v1/calls/c-old", api.supervisor)

    assert status == 200, answer
    assert answer["call"]["caller"] == "+15550002222"
    assert [s["kind"] for s in answer["call"]["segments"]] == ["queue", "talk"]
    assert [o["agent"] for o in answer["offers"]] == ["1002"]
    assert (await api.call("GET", "/api/v1/calls/nope", api.supervisor))[0] == 404


async def test_an_agent_reads_only_calls_it_took_part_in(api: Api) -> None:
    await stored_call(api)
    outsider, insider = await api.log_in("1001"), await api.log_in("1002")

    refused = await api.call("GET", "/api/v1/calls/c-old", outsider)
    allowed = await api.call("GET", "/api/v1/calls/c-old", insider)

    assert refused[0] == 403
    assert (allowed[0], allowed[1]["call"]["caller"]) == (200, "+15550002222")


async def test_findings_filter_by_rule_and_agents_see_only_their_own(api: Api) -> None:
    at = Instant(api.now() - 60)
    await api.database.history().record(
        [
            Finding(rule=Rule.RING_LIMIT, agent=AgentId("1001"), at=at, measured=3, limit=3,
                    call=CallId("c-old")),
            Finding(rule=Rule.SECOND_LOGIN, agent=AgentId("1002"), at=at, measured=1, limit=1),
        ]
    )  # fmt: skip
    token = await api.log_in("1001")

    ring = await api.call("GET", "/api/v1/findings?rule=C3.ring_limit", api.supervisor)
    every = await api.call("GET", f"/api/v1/findings?since={at - 1}", api.supervisor)
    own = await api.call("GET", "/api/v1/findings", token)
    others = await api.call("GET", "/api/v1/findings?agent=1002", token)
    bad = await api.call("GET", "/api/v1/findings?rule=nonsense", api.supervisor)

    assert [f["agent"] for f in ring[1]["findings"]] == ["1001"]
    assert len(every[1]["findings"]) == 2
    assert [f["rule"] for f in own[1]["findings"]] == ["C3.ring_limit"]
    assert others[0] == 403
    assert (bad[0], bad[1]["field"]) == (400, "rule")


async def test_an_agents_figures_over_a_range(api: Api) -> None:
    entered = await stored_call(api)
    since, until = int(entered - 10), int(entered + 3600)

    status, answer = await api.call(
        "GET", f"/api/v1/agents/1002/figures?since={since}&until={until}", api.supervisor
    )
    empty = await api.call("GET", "/api/v1/agents/1001/figures", api.supervisor)
    backwards = await api.call(
        "GET", f"/api/v1/agents/1002/figures?since={until}&until={since}", api.supervisor
    )

    assert status == 200, answer
    figures = answer["figures"]
    assert (figures["agent"], figures["calls_answered"]) == ("1002", 1)
    assert figures["talk_seconds"] == 78.0
    assert figures["offers"] == {"answered": 1}
    assert empty[1]["figures"]["calls_answered"] == 0
    assert backwards[0] == 422  # each end well formed, the pair out of order


async def test_queue_view_masks_numbers_for_agents_and_groups_members(api: Api) -> None:
    token = await api.log_in("1001")
    await api.call("POST", "/api/v1/agents/1001/not-ready", token, body={"reason": "lunch"})
    api.caller_queued("c5", "+15550005555")
    await api.eventually_waiting("support", 1)

    as_agent = await api.call("GET", "/api/v1/queues", token)
    as_supervisor = await api.call("GET", "/api/v1/queues", api.supervisor)

    support = next(q for q in as_agent[1]["queues"] if q["queue"] == "support")
    assert support["calls"][0]["caller"] == "********5555"
    full = next(q for q in as_supervisor[1]["queues"] if q["queue"] == "support")
    assert full["calls"][0]["caller"] == "+15550005555"
    assert full["calls"][0]["position"] == 1 and full["calls"][0]["priority"] == 0
    assert full["agents"]["not_ready"] == ["1001"]
    assert full["agents"]["logged_out"] == ["1002"]
