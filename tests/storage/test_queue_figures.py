"""A queue's figures over a range (issue 12; P23) against real SQLite and PostgreSQL: the
counts, service level, ASA and AHT of a known set of visits and calls, checked against
values worked out by hand and against what /metrics derives from the same records (the
README's definitions, cti/metrics.py)."""

from __future__ import annotations

import pytest

from cti.domain.effects import CallEnded, QueueVisitEnded
from cti.domain.ids import AgentId, CallId, ChannelId, QueueId
from cti.domain.records import CallRecord, QueueVisit, Segment, SegmentKind, VisitOutcome
from cti.domain.state import AcdState, Decision
from cti.metrics import Metrics
from cti.storage.database import Database
from tests.storage.samples import at

SALES, SUPPORT = QueueId("sales"), QueueId("support")
T = 20.0
K = SegmentKind


def visit(n: int, wait: float, outcome: VisitOutcome, queue: QueueId = SALES) -> QueueVisit:
    return QueueVisit(
        call=CallId(f"v-{n}"), channel=ChannelId(f"ch-{n}"), queue=queue, caller="+3361",
        priority=0, entered_at=at(n), left_at=at(n, wait), outcome=outcome,
    )  # fmt: skip


VISITS = [
    visit(1, 10, VisitOutcome.CONNECTED),  # within T
    visit(2, 35, VisitOutcome.CONNECTED),  # answered after T
    visit(3, 20, VisitOutcome.CONNECTED),  # exactly T: within (a wait of at most T)
    visit(4, 8, VisitOutcome.ABANDONED),  # a short abandon counts against SL all the same
    visit(5, 40, VisitOutcome.ABANDONED),
    visit(6, 25, VisitOutcome.MOVED),  # offered here, counted in the other queue too
    visit(7, 600, VisitOutcome.REDIRECTED),
    visit(8, 3, VisitOutcome.CONNECTED, SUPPORT),  # another queue
    visit(2000, 5, VisitOutcome.CONNECTED),  # after the range
]


def seg(
    kind: SegmentKind, n: int, start: float, length: float, queue: QueueId | None, agent: str | None
) -> Segment:
    who = None if agent is None else AgentId(agent)
    return Segment(kind=kind, start=at(n, start), end=at(n, start + length), queue=queue,
                   agent=who, outcome="")  # fmt: skip


def call(n: int, first: QueueId, *segments: Segment) -> CallRecord:
    return CallRecord(
        call=CallId(f"call-{n}"), caller="+3362", queue=first, entered_at=at(n),
        ended_at=max(s.end for s in segments), segments=segments, offers=1, answered=True,
        abandoned=False, abandon_wait=None, released_by=None, survey_score=None,
        disposition=None,
    )  # fmt: skip


A, B = "1001", "1002"
CALLS = [
    # talk 60, a wrap-up without a queue: credited to the queue of the talk before it
    call(10, SALES, seg(K.TALK, 10, 0, 60, SALES, A), seg(K.WRAP_UP, 10, 60, 15, None, A)),
    # transferred to support: the second agent's talk and wrap-up are support's
    call(11, SALES, seg(K.TALK, 11, 0, 40, SALES, A), seg(K.WRAP_UP, 11, 40, 10, SALES, A),
         seg(K.TALK, 11, 41, 50, SUPPORT, B), seg(K.WRAP_UP, 11, 91, 5, None, B)),
    # a consultation: talk, hold, talk again, one wrap-up
    call(12, SALES, seg(K.TALK, 12, 0, 30, SALES, "1001"), seg(K.HOLD, 12, 30, 12, SALES, "1001"),
         seg(K.TALK, 12, 42, 20, SALES, "1001"), seg(K.WRAP_UP, 12, 62, 8, SALES, "1001")),
    # sent to an extension: the talk with no agent is nobody's handle time
    call(13, SALES, seg(K.TALK, 13, 0, 25, SALES, "1001"), seg(K.WRAP_UP, 13, 25, 5, SALES, "1001"),
         seg(K.TALK, 13, 25, 100, None, None)),
    # no queue on the talk either: the call's first queue
    call(14, SALES, seg(K.TALK, 14, 0, 45, None, "1002"), seg(K.WRAP_UP, 14, 45, 6, None, "1002")),
    call(2001, SALES, seg(K.TALK, 2001, 0, 99, SALES, "1001"),
         seg(K.WRAP_UP, 2001, 99, 9, SALES, "1001")),  # after the range
]  # fmt: skip


@pytest.fixture
async def recorded(database: Database) -> Database:
    await database.history().record([*VISITS, *CALLS])
    return database


async def test_queue_figures_match_hand_computed_values(recorded: Database) -> None:
    figures = await recorded.queries().queue_figures(SALES, T, at(0), at(1000))

    assert (figures.offered, figures.answered, figures.abandoned) == (7, 3, 2)
    assert dict(figures.visits) == {"connected": 3, "abandoned": 2, "moved": 1,
                                    "redirected": 1, "lost": 0}  # fmt: skip
    assert figures.answered_within == 2
    assert figures.service_level == pytest.approx(2 / 5)
    assert figures.abandon_rate == pytest.approx(2 / 5)
    assert figures.asa_seconds == pytest.approx((10 + 35 + 20) / 3)
    assert figures.talk_seconds == pytest.approx(60 + 40 + 30 + 20 + 25 + 45)
    assert figures.hold_seconds == pytest.approx(12)
    assert figures.wrap_up_seconds == pytest.approx(15 + 10 + 8 + 5 + 6)
    assert figures.wrap_ups == 5
    assert figures.aht_seconds == pytest.approx((220 + 12 + 44) / 5)


async def test_another_queue_and_a_threshold_are_their_own(recorded: Database) -> None:
    support = await recorded.queries().queue_figures(SUPPORT, T, at(0), at(1000))
    strict = await recorded.queries().queue_figures(SALES, 9.0, at(0), at(1000))

    assert (support.offered, support.answered, support.answered_within) == (1, 1, 1)
    assert (support.talk_seconds, support.wrap_up_seconds, support.wrap_ups) == (50, 5, 1)
    assert strict.answered_within == 0 and strict.service_level == 0.0


async def test_a_range_without_calls_has_counts_of_zero_and_no_averages(
    recorded: Database,
) -> None:
    empty = await recorded.queries().queue_figures(SALES, T, at(5000), at(6000))

    assert (empty.offered, empty.answered, empty.wrap_ups) == (0, 0, 0)
    assert (empty.service_level, empty.asa_seconds, empty.aht_seconds) == (None, None, None)


async def test_queue_figures_are_what_metrics_derive_from_the_same_records(
    recorded: Database,
) -> None:
    """The README's PromQL over /metrics fed the records of the range gives the same numbers."""
    metrics = Metrics()
    in_range = [v for v in VISITS if v.entered_at < at(1000)]
    effects = [QueueVisitEnded(visit=v) for v in in_range]
    effects += [CallEnded(record=c) for c in CALLS if c.entered_at < at(1000)]
    metrics.decided(Decision(state=AcdState(), effects=tuple(effects)), lag=0.0)

    def sample(name: str, **labels: str) -> float:
        return metrics.registry.get_sample_value(name, {"queue": "sales", **labels}) or 0.0

    figures = await recorded.queries().queue_figures(SALES, T, at(0), at(1000))

    counted = sample("cti_queue_wait_seconds_count", outcome="connected") + sample(
        "cti_queue_wait_seconds_count", outcome="abandoned"
    )
    within = sample("cti_queue_wait_seconds_bucket", outcome="connected", le="20.0")
    answered = sample("cti_queue_wait_seconds_count", outcome="connected")
    asa = sample("cti_queue_wait_seconds_sum", outcome="connected") / answered
    handle = sum(sample(f"cti_{kind}_seconds_sum") for kind in ("talk", "hold", "wrap_up"))
    assert figures.service_level == pytest.approx(within / counted)
    assert figures.asa_seconds == pytest.approx(asa)
    assert figures.aht_seconds == pytest.approx(handle / sample("cti_wrap_up_seconds_count"))
    assert figures.offered == sum(1 for v in in_range if v.queue == SALES)
