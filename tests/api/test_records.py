"""Records a client can reach (issue 12, item 10): call records listed by filter, findings,
attempts and callbacks paged by cursor, and who may read them (P22: an agent its own calls,
every read of call records audited). Records are stored by the server's history writer."""

from __future__ import annotations

import base64
import logging
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest

from cti.domain.ids import AgentId, CallId, Instant, QueueId
from cti.domain.outbound.campaign import AttemptResult
from cti.domain.records import CallRecord, Finding, Rule, Segment, SegmentKind
from tests.api.harness import Api, past_call, past_offer
from tests.api.test_callbacks import promise
from tests.api.test_campaign_stats import ATTEMPTS, campaign, dial, record

CALLS = "/api/v1/calls"
FINDINGS = "/api/v1/findings"


def abandoned(call: str, entered_at: float) -> CallRecord:
    answered = past_call(call, "+15550009999", "1001", entered_at)
    queued = Segment(kind=SegmentKind.QUEUE, start=answered.entered_at, outcome="abandoned",
                     end=Instant(entered_at + 30), queue=QueueId("support"))  # fmt: skip
    return replace(answered, segments=(queued,), answered=False, abandoned=True,
                   abandon_wait=30.0, offers=0, released_by=None, survey_score=None,
                   disposition=None, ended_at=Instant(entered_at + 30))  # fmt: skip


async def stored_calls(api: Api) -> float:
    """c1 (1001 talked), c2 (1002 talked, 1001 offered and missed), c3 abandoned, c4 in
    sales (1002), an hour apart from four hours ago; returns c1's entry."""
    start = api.now() - 4 * 3600
    c4 = past_call("c4", "+15550004444", "1002", start + 3 * 3600)
    c4 = replace(c4, queue=QueueId("sales"), segments=tuple(
        replace(s, queue=QueueId("sales")) for s in c4.segments))  # fmt: skip
    await api.database.history().record(
        [
            past_call("c1", "+15550001111", "1001", start),
            past_offer("c1", "1001", start),
            past_call("c2", "+15550002222", "1002", start + 3600),
            past_offer("c2", "1001", start + 3600),
            past_offer("c2", "1002", start + 3605),
            abandoned("c3", start + 2 * 3600),
            c4,
        ]
    )
    return start


async def pages(
    api: Api, url: str, token: str, key: str, cursor: str | None = None
) -> list[list[Any]]:
    """Every page of a listing (from `cursor`), following `next` until it is null."""
    found: list[list[Any]] = []
    for _ in range(100):
        joiner = "&" if "?" in url else "?"
        asked = url if cursor is None else f"{url}{joiner}cursor={quote(cursor)}"
        status, answer = await api.call("GET", asked, token)
        assert status == 200, answer
        found.append(answer[key])
        cursor = answer["next"]
        if cursor is None:
            return found
    raise AssertionError(f"{url}: no last page after 100")


def ids(calls: list[list[Any]]) -> list[list[str]]:
    return [[c["call"] for c in page] for page in calls]


async def test_a_supervisor_pages_through_calls_oldest_first(api: Api) -> None:
    await stored_calls(api)

    found = await pages(api, f"{CALLS}?limit=3", api.supervisor, "calls")

    assert ids(found) == [["c1", "c2", "c3"], ["c4"]]
    c1 = found[0][0]
    assert (c1["caller"], c1["outcome"], c1["queue"]) == ("+15550001111", "answered", "support")
    assert [s["kind"] for s in c1["segments"]] == ["queue", "talk"]


async def test_calls_are_filtered_by_queue_agent_outcome_and_time(api: Api) -> None:
    start = await stored_calls(api)

    async def listed(query: str) -> list[str]:
        status, answer = await api.call("GET", f"{CALLS}?{query}", api.supervisor)
        assert status == 200, answer
        return [c["call"] for c in answer["calls"]]

    assert await listed("queue=sales") == ["c4"]
    assert await listed("queue=support") == ["c1", "c2", "c3"]
    assert await listed("agent=1001") == ["c1", "c2"]  # c2: offered to 1001, missed
    assert await listed("agent=1002") == ["c2", "c4"]
    assert await listed("outcome=abandoned") == ["c3"]
    assert await listed("outcome=answered&queue=support") == ["c1", "c2"]
    assert await listed("outcome=unanswered") == []
    assert await listed(f"since={start + 3600}&until={start + 3 * 3600}") == ["c2", "c3"]


async def test_an_agent_lists_only_its_own_calls_and_not_another_agents(api: Api) -> None:
    await stored_calls(api)
    token = await api.log_in("1001")

    mine = await api.call("GET", CALLS, token)
    named = await api.call("GET", f"{CALLS}?agent=1001", token)
    other = await api.call("GET", f"{CALLS}?agent=1002", token)

    assert [c["call"] for c in mine[1]["calls"]] == ["c1", "c2"]
    assert mine[1]["calls"][1]["caller"] == "+15550002222"  # its own calls: whole (P22)
    assert named[1]["calls"] == mine[1]["calls"]
    assert (other[0], other[1]["error"]) == (403, "an agent may read only its own calls")


async def test_every_listing_of_call_records_is_audited_with_who_and_which(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    await stored_calls(api)
    token = await api.log_in("1002")

    with caplog.at_level(logging.INFO, logger="cti.audit"):
        await api.call("GET", f"{CALLS}?limit=1", api.supervisor)
        await api.call("GET", CALLS, token)
        await api.call("GET", f"{CALLS}?outcome=unanswered", api.supervisor)

    lines = [r.getMessage() for r in caplog.records if r.name == "cti.audit"]
    assert lines == [
        "supervisor:sue listed 1 call records: c1",
        "agent:1002 listed 2 call records: c2,c4",
        "supervisor:sue listed 0 call records: -",
    ]


async def test_a_newer_call_stored_between_pages_is_read_once(api: Api) -> None:
    start = await stored_calls(api)
    status, first = await api.call("GET", f"{CALLS}?limit=2", api.supervisor)
    newer = past_call("c5", "+15550005555", "1001", start + 5 * 3600)
    await api.database.history().record([newer])

    rest = await pages(api, f"{CALLS}?limit=2", api.supervisor, "calls", first["next"])

    assert status == 200
    assert ids([first["calls"], *rest]) == [["c1", "c2"], ["c3", "c4"], ["c5"]]


async def test_bad_or_misused_cursors_are_refused_naming_cursor(api: Api) -> None:
    await stored_calls(api)
    await api.database.history().record([_finding(n) for n in range(3)])
    calls = (await api.call("GET", f"{CALLS}?limit=1&queue=support", api.supervisor))[1]["next"]
    findings = (await api.call("GET", f"{FINDINGS}?limit=1", api.supervisor))[1]["next"]
    forged = base64.urlsafe_b64encode(b'[1,"calls","0123456789abcdef",0,1]').decode()

    asked = {
        "garbage": f"{CALLS}?cursor=not-a-cursor",
        "truncated": f"{CALLS}?queue=support&cursor={calls[:-3]}",
        "forged": f"{CALLS}?queue=support&cursor={forged}",
        "other listing": f"{CALLS}?cursor={findings}",
        "other filters": f"{CALLS}?queue=sales&cursor={calls}",
        "filters left out": f"{CALLS}?cursor={calls}",
    }
    answers = {why: await api.call("GET", url, api.supervisor) for why, url in asked.items()}

    for why, (status, answer) in answers.items():
        assert (status, answer.get("field")) == (400, "cursor"), why
    assert "other filters" in answers["other filters"][1]["error"]
    assert "findings" in answers["other listing"][1]["error"]
    same = await api.call("GET", f"{CALLS}?queue=support&limit=5&cursor={calls}", api.supervisor)
    assert [c["call"] for c in same[1]["calls"]] == ["c2", "c3"]  # only limit may change


async def test_bad_query_parameters_are_refused_naming_them(api: Api) -> None:
    token = await api.log_in("1001")

    asked = {
        f"{CALLS}?page=2": "page",
        f"{CALLS}?outcome=lost": "outcome",
        f"{CALLS}?limit=1001": "limit",
        f"{CALLS}?since=yesterday": "since",
        f"{FINDINGS}?offset=10": "offset",
    }

    for url, field in asked.items():
        status, answer = await api.call("GET", url, api.supervisor)
        assert (status, answer.get("field")) == (400, field), url
    assert (await api.call("GET", f"{CALLS}?page=2", token))[0] == 400
    backwards = await api.call("GET", f"{CALLS}?since=200&until=100", api.supervisor)
    assert (backwards[0], backwards[1]["field"]) == (422, "since")  # each well formed


def _finding(n: int, agent: str = "1001") -> Finding:
    return Finding(rule=Rule.RING_LIMIT, agent=AgentId(agent), at=Instant(1_700_000_000 + n),
                   measured=4, limit=3, call=CallId(f"c{n}"))  # fmt: skip


async def test_2500_findings_page_by_1000_each_once_in_order(api: Api) -> None:
    await api.database.history().record([_finding(n, f"100{n % 2 + 1}") for n in range(2500)])

    found = await pages(api, FINDINGS, api.supervisor, "findings")
    await api.database.history().record([_finding(2500)])  # newer, after the last page
    last = (await api.call("GET", f"{FINDINGS}?since=1700002499", api.supervisor))[1]

    assert [len(page) for page in found] == [1000, 1000, 500]
    assert [f["at"] for page in found for f in page] == [1_700_000_000 + n for n in range(2500)]
    assert [f["at"] for f in last["findings"]] == [1_700_002_499, 1_700_002_500]
    assert last["next"] is None


async def test_an_agent_pages_through_its_own_findings_only(api: Api) -> None:
    await api.database.history().record([_finding(n, f"100{n % 2 + 1}") for n in range(10)])
    token = await api.log_in("1002")
    first = (await api.call("GET", f"{FINDINGS}?limit=2", token))[1]

    found = await pages(api, f"{FINDINGS}?limit=2", token, "findings")
    stolen = await api.call("GET", f"{FINDINGS}?limit=2&cursor={first['next']}", api.supervisor)

    assert [f["call"] for page in found for f in page] == ["c1", "c3", "c5", "c7", "c9"]
    assert {f["agent"] for page in found for f in page} == {"1002"}
    assert (stolen[0], stolen[1]["field"]) == (400, "cursor")  # bound to the agent's filter


async def test_campaign_attempts_page_newest_first(api: Api) -> None:
    (ann, bob, cy) = await campaign(api)
    now = api.now()
    made = [dial(n, (ann, bob, cy)[n % 3], now - 600 + 60 * n, AttemptResult.BUSY)
            for n in range(7)]  # fmt: skip
    await record(api, *made)

    found = await pages(api, f"{ATTEMPTS}?limit=3&result=busy", api.supervisor, "attempts")

    assert [[a["id"] for a in page] for page in found] == [
        ["dial-6", "dial-5", "dial-4"], ["dial-3", "dial-2", "dial-1"], ["dial-0"],
    ]  # fmt: skip


async def test_callbacks_page_soonest_first(api: Api) -> None:
    token = await api.log_in("1001")
    for n in range(3):
        await promise(api, "1001", token, to="queue", number=f"+44163296000{n}")

    found = await pages(api, "/api/v1/callbacks?limit=2", api.supervisor, "callbacks")

    assert [[c["number"] for c in page] for page in found] == [
        ["+441632960000", "+441632960001"], ["+441632960002"],
    ]  # fmt: skip
