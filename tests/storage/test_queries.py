"""HistoryQueries against real SQLite and PostgreSQL: what the API and reports read
(C7 screen pop history, C6 findings, P7 survey figures, per-agent figures)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cti.domain.ids import AgentId, CallId, QueueId
from cti.domain.records import OfferOutcome, Rule
from cti.storage.database import open_database
from cti.storage.queries import AgentFigures, CallSummary, QueueSurvey
from tests.storage.samples import at, make_abandoned_call, make_call, make_finding, make_offer

ALICE, BOB = "+33611111111", "+33622222222"


async def test_a_call_comes_with_its_segments_and_offers_in_order(database_url: str) -> None:
    database = await open_database(database_url)
    call = make_call(1, agents=("1002",))
    missed = make_offer(1, agent="1001", outcome=OfferOutcome.NO_ANSWER)
    answered = replace(make_offer(1, agent="1002"), offered_at=at(1, 9.5))
    await database.history().record([answered, call, missed])

    detail = await database.queries().call(call.call)

    assert detail is not None
    assert detail.record == call
    assert detail.offers == (missed, answered)
    assert await database.queries().offers(call.call) == [missed, answered]
    assert await database.queries().call(CallId("nobody")) is None
    await database.close()


async def test_recent_calls_of_a_caller_are_the_last_five_newest_first(database_url: str) -> None:
    database = await open_database(database_url)
    calls = [make_call(n, caller=ALICE, agents=("1001", "1002", "1001")) for n in range(1, 7)]
    await database.history().record(
        [*calls, make_abandoned_call(7, caller=ALICE), make_call(8, caller=BOB)]
    )

    recent = await database.queries().recent_calls(ALICE)

    assert [c.call for c in recent] == ["call-7", "call-6", "call-5", "call-4", "call-3"]
    assert recent[0] == CallSummary(
        call=CallId("call-7"), queue=QueueId("support"), entered_at=at(7),
        ended_at=at(7, 33.000001), answered=False, abandoned=True, disposition=None, agents=(),
    )  # fmt: skip
    assert recent[1].agents == (AgentId("1001"), AgentId("1002"))
    assert (recent[1].queue, recent[1].disposition, recent[1].entered_at) == (
        "sales",
        "sale",
        at(6),
    )
    assert await database.queries().recent_calls("+0000") == []
    assert len(await database.queries().recent_calls(ALICE, limit=10)) == 7
    await database.close()


async def test_findings_are_filtered_by_rule_agent_and_time(database_url: str) -> None:
    database = await open_database(database_url)
    ring = [make_finding(n, agent="1001") for n in range(4)]
    other_agent = make_finding(2, agent="1002")
    other_rule = make_finding(3, agent="1001", rule=Rule.NOT_READY_OVERRUN)
    await database.history().record([*reversed(ring), other_agent, other_rule])
    queries = database.queries()

    assert (await queries.findings(rule=Rule.RING_LIMIT, agent=AgentId("1001"))).items == ring
    found = await queries.findings(agent=AgentId("1001"), since=at(2))
    assert found.items == [*ring[2:], other_rule]
    found = await queries.findings(since=at(1), until=at(3))
    assert found.items == [ring[1], ring[2], other_agent]
    assert (await queries.findings(rule=Rule.NOT_READY_OVERRUN)).items == [other_rule]
    assert (await queries.findings(limit=2)).items == ring[:2]
    await database.close()


async def test_agent_figures_credit_talk_wrap_up_offers_and_surveys(database_url: str) -> None:
    database = await open_database(database_url)
    await database.history().record(
        [
            make_call(1, agents=("1001",), survey=4),
            make_call(2, agents=("1001", "1002"), survey=2),  # the survey goes to 1002, last
            make_call(3, agents=("1002",), survey=None),
            make_abandoned_call(4),
            make_call(2000, agents=("1001",), survey=1),  # after the range
            make_offer(1, agent="1001"),
            make_offer(2, agent="1001", outcome=OfferOutcome.NO_ANSWER),
            make_offer(3, agent="1001", outcome=OfferOutcome.NO_ANSWER),
            make_offer(2, agent="1002"),
            make_offer(2000, agent="1001"),
        ]
    )

    figures = await database.queries().agent_figures(at(0), at(1000))

    assert figures == [
        AgentFigures(
            agent=AgentId("1001"), calls_answered=2, talk_seconds=pytest.approx(120.0),
            wrap_up_seconds=pytest.approx(30.0), survey_count=1, survey_average=4.0,
            offers={OfferOutcome.ANSWERED: 1, OfferOutcome.NO_ANSWER: 2},
        ),
        AgentFigures(
            agent=AgentId("1002"), calls_answered=2, talk_seconds=pytest.approx(120.0),
            wrap_up_seconds=pytest.approx(30.0), survey_count=1, survey_average=2.0,
            offers={OfferOutcome.ANSWERED: 1},
        ),
    ]  # fmt: skip
    only = await database.queries().agent_figures(at(0), at(1000), agent=AgentId("1001"))
    assert only == figures[:1]
    assert await database.queries().agent_figures(at(5000), at(6000)) == []
    await database.close()


async def test_queue_survey_averages_cover_calls_entered_in_the_range(database_url: str) -> None:
    database = await open_database(database_url)
    await database.history().record(
        [
            make_call(1, survey=4),
            make_call(2, survey=1),
            make_call(3, survey=None),
            make_call(4, survey=5, queue="support"),
            make_abandoned_call(5),
            make_call(2000, survey=1),
        ]
    )

    surveys = await database.queries().queue_surveys(at(0), at(1000))

    assert surveys == [
        QueueSurvey(queue=QueueId("sales"), count=2, average=2.5),
        QueueSurvey(queue=QueueId("support"), count=1, average=5.0),
    ]
    await database.close()
