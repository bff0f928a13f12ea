"""A queue's figures over a range through the API (issue 12; P23, the wallboard): offered,
answered, abandoned, service level against the queue's own T, ASA and AHT as the README
defines them, for supervisors and admins only. Records are stored by the history writer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cti.domain.ids import AgentId, CallId, ChannelId, Instant, QueueId
from cti.domain.records import CallRecord, QueueVisit, Segment, SegmentKind, VisitOutcome
from tests.api.harness import Api, past_call

URL = "/api/v1/queues/support/figures"
SUPPORT = QueueId("support")


def visit(
    n: int, entered: float, wait: float, outcome: VisitOutcome, queue: str = "support"
) -> QueueVisit:
    return QueueVisit(
        call=CallId(f"v{n}"), channel=ChannelId(f"ch{n}"), queue=QueueId(queue), caller="+1555",
        priority=0, entered_at=Instant(entered), left_at=Instant(entered + wait), outcome=outcome,
    )  # fmt: skip


def wrapped(call: str, agent: str, entered: float, wrap_up: float) -> CallRecord:
    """past_call (12 s waiting, 78 s talk) followed by a wrap-up of `wrap_up` seconds."""
    talked = past_call(call, "+15550001111", agent, entered)
    end = talked.segments[-1].end
    after = Segment(kind=SegmentKind.WRAP_UP, start=end, end=Instant(end + wrap_up),
                    agent=AgentId(agent), outcome="ended")  # fmt: skip
    return replace(talked, segments=(*talked.segments, after), ended_at=after.end)


async def stored(api: Api) -> float:
    """Two hours ago: five support visits (answered in 10 s and 35 s, abandoned after 4 s
    and 50 s, moved after 15 s), two handled calls; one visit two days ago; one in sales."""
    t = api.now() - 7200
    await api.database.history().record(
        [
            visit(1, t, 10, VisitOutcome.CONNECTED),
            visit(2, t + 60, 35, VisitOutcome.CONNECTED),  # answered after T (20 s)
            visit(3, t + 120, 4, VisitOutcome.ABANDONED),  # a short abandon
            visit(4, t + 180, 50, VisitOutcome.ABANDONED),
            visit(5, t + 240, 15, VisitOutcome.MOVED),
            visit(6, t - 2 * 86_400, 5, VisitOutcome.CONNECTED),  # outside the last 24 h
            visit(7, t, 1, VisitOutcome.CONNECTED, queue="sales"),
            wrapped("c1", "1001", t, 20),
            wrapped("c2", "1002", t + 60, 10),
        ]
    )
    return t


async def test_a_supervisor_reads_a_queues_figures_over_the_last_day(api: Api) -> None:
    await stored(api)

    status, answer = await api.call("GET", URL, api.supervisor)

    assert status == 200, answer
    figures = answer["figures"]
    assert figures["until"] - figures["since"] == 86_400
    assert (figures["queue"], figures["service_level_seconds"]) == ("support", 20.0)
    assert (figures["offered"], figures["answered"], figures["abandoned"]) == (5, 2, 2)
    assert figures["by_outcome"] == {"connected": 2, "abandoned": 2, "moved": 1,
                                     "redirected": 0, "lost": 0}  # fmt: skip
    assert figures["answered_within"] == 1
    assert figures["service_level"] == pytest.approx(1 / 4)  # 1 / (answered + abandoned)
    assert figures["abandon_rate"] == pytest.approx(2 / 4)
    assert figures["asa_seconds"] == pytest.approx((10 + 35) / 2)
    assert (figures["talk_seconds"], figures["hold_seconds"]) == (156.0, 0.0)
    assert (figures["wrap_up_seconds"], figures["handled"]) == (30.0, 2)
    assert figures["aht_seconds"] == pytest.approx((156 + 30) / 2)


async def test_the_service_level_follows_the_queues_own_threshold(api: Api) -> None:
    t = await stored(api)
    changed = {"name": "Support", "ring_limit": 3, "ring_cadence": 6.0,
               "dispositions": ["solved", "callback"], "service_level_seconds": 40}  # fmt: skip
    status, answer = await api.call("PUT", "/api/v1/admin/queues/support", api.admin, changed)
    assert status == 200, answer

    answer = (await api.call("GET", f"{URL}?since={t - 10}&until={t + 3600}", api.admin))[1]

    figures = answer["figures"]
    assert (figures["service_level_seconds"], figures["answered_within"]) == (40.0, 2)
    assert figures["service_level"] == pytest.approx(2 / 4)


async def test_an_older_range_and_an_empty_one(api: Api) -> None:
    t = await stored(api)
    old = (t - 2 * 86_400) - 10

    before = (await api.call("GET", f"{URL}?since={old}&until={old + 3600}", api.supervisor))[1]
    sales = f"/api/v1/queues/sales/figures?until={t - 600}"
    empty = (await api.call("GET", sales, api.supervisor))[1]

    assert (before["figures"]["offered"], before["figures"]["asa_seconds"]) == (1, 5.0)
    assert before["figures"]["aht_seconds"] is None  # no call handled then
    assert (empty["figures"]["offered"], empty["figures"]["service_level"]) == (0, None)


async def test_queue_figures_are_refused_to_agents_unknown_queues_and_bad_ranges(
    api: Api,
) -> None:
    token = await api.log_in("1001")

    agent = await api.call("GET", URL, token)
    unknown = await api.call("GET", "/api/v1/queues/nowhere/figures", api.supervisor)
    backwards = await api.call("GET", f"{URL}?since=200&until=100", api.supervisor)
    misspelt = await api.call("GET", f"{URL}?from=100", api.supervisor)

    assert agent[0] == 403
    assert unknown[0] == 404
    assert (backwards[0], backwards[1]["field"]) == (422, "since")
    assert (misspelt[0], misspelt[1]["field"]) == (400, "from")
