"""Metrics derived from decisions (C6): offers, rings, releases, wrap-up, surveys, agents."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from cti.domain.arm import ArmOutcome
from cti.domain.commands import CompleteTransfer, ConsultAgent, EndWrapUp
from cti.domain.effects import ArmEnded
from cti.domain.ids import AgentId, CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import DialStatus, SurveyAnswered
from cti.domain.state import AcdState, Decision
from cti.metrics import MAX_EVENT_LABELS, LiveCollector, Metrics
from tests.unit.acd_kit import Acd, agent, config, leg, queue


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_a_missed_then_answered_call_is_counted_everywhere() -> None:
    acd = Acd()
    acd.load(config([queue(ring_limit=2, ring_cadence=5.0)], [agent("1001"), agent("1002")]))
    acd.log_in("1001")
    acd.advance(1)
    acd.log_in("1002")
    acd.caller("c1")
    acd.dial("c1", "1001")
    acd.ring("c1")
    acd.tick_to(11)  # 1001 misses; 1002 is offered at once
    acd.dial("c1", "1002")
    acd.ring("c1")
    acd.advance(5.5)
    acd.dial_end("c1", DialStatus.ANSWER)
    acd.advance(60)
    acd.hang_up(leg("c1"))
    acd.feed(SurveyAnswered(at=acd.now, call=CallId("c1"), channel=ChannelId("c1"), score=5))
    acd.advance(4)
    acd.hang_up("c1", request=False)
    acd.advance(10)
    acd.feed(EndWrapUp(at=acd.now, agent=AgentId("1002")))

    metrics = Metrics()
    for effect in acd.effects:
        metrics.decided(Decision(acd.state, (effect,)), lag=0.0)
    metrics.registry.register(LiveCollector(lambda: acd.state, lambda: acd.now, lambda: True))
    got = samples(metrics)

    q = ("queue", "support")
    assert got["cti_offers_total", (("outcome", "no_answer"), q)] == 1
    assert got["cti_offers_total", (("outcome", "answered"), q)] == 1
    assert got["cti_ring_limit_misses_total", (q,)] == 1
    assert got["cti_answer_rings_bucket", (("le", "2.0"), q)] == 1  # answered on ring 2
    assert got["cti_answer_rings_bucket", (("le", "1.0"), q)] == 0
    assert got["cti_call_releases_total", (q, ("side", "agent"))] == 1
    assert got["cti_talk_seconds_sum", (q,)] == 60
    assert got["cti_wrap_up_seconds_sum", (q,)] == 14
    assert got["cti_survey_responses_total", (q, ("score", "5"))] == 1
    assert got["cti_findings_total", (("rule", "C3.ring_limit"),)] == 1
    assert got["cti_findings_total", (("rule", "P2.agent_released_first"),)] == 1
    assert got["cti_queue_agents", (q, ("state", "not_ready"))] == 1
    assert got["cti_queue_agents", (q, ("state", "available"))] == 1
    assert got["cti_agent_state_seconds_total", (("state", "wrap_up"),)] == 14


def test_a_consultation_is_hold_time_and_each_agent_talk_is_counted() -> None:
    acd = Acd()
    acd.load(config([queue()], [agent("1001"), agent("1002")]))
    acd.log_in("1001")
    acd.caller("c1")
    acd.answer("c1", "1001")
    acd.log_in("1002")
    acd.advance(30)
    acd.feed(ConsultAgent(at=acd.now, agent=AgentId("1001"), target=AgentId("1002")))
    acd.dial(leg("c1"), "1002")
    acd.ring(leg("c1"))
    acd.advance(8)
    acd.dial_end(leg("c1"), DialStatus.ANSWER)
    acd.feed(CompleteTransfer(at=acd.now, agent=AgentId("1001")))
    acd.advance(40)
    acd.hang_up("c1")
    for agent_id in ("1001", "1002"):
        acd.feed(EndWrapUp(at=acd.now, agent=AgentId(agent_id)))

    metrics = Metrics()
    for effect in acd.effects:
        metrics.decided(Decision(acd.state, (effect,)), lag=0.0)
    got = samples(metrics)

    q = ("queue", "support")
    assert got["cti_hold_seconds_sum", (q,)] == 8
    assert got["cti_talk_seconds_sum", (q,)] == 70  # 30 s with 1001, then 40 s with 1002
    assert got["cti_talk_seconds_count", (q,)] == 2
    assert got["cti_wrap_up_seconds_count", (q,)] == 2  # AHT's denominator: two handlings
    assert got["cti_offers_total", (("outcome", "answered"), q)] == 2


def test_arms_are_counted_by_queue_and_how_they_ended() -> None:
    """cti_arms_total (pre-armed routing, issue 17)."""
    metrics = Metrics()
    ends = [("support", ArmOutcome.TAKEN), ("support", ArmOutcome.TAKEN), ("sales", "late")]
    for q, outcome in ends:
        ended = ArmEnded(queue=QueueId(q), outcome=ArmOutcome(outcome), at=Instant(0))
        metrics.decided(Decision(AcdState(), (ended,)), lag=0.0)
    got = samples(metrics)

    assert got["cti_arms_total", (("outcome", "taken"), ("queue", "support"))] == 2
    assert got["cti_arms_total", (("outcome", "late"), ("queue", "sales"))] == 1


def test_ami_event_names_past_the_cap_are_counted_as_other() -> None:
    metrics = Metrics()
    names = [f"UserEvent/e{n}" for n in range(MAX_EVENT_LABELS + 3)]
    for name in [*names, *names]:
        metrics.ami_event(name)
    counted = {
        s.labels["event"]: s.value
        for f in text_string_to_metric_families(metrics.render().decode())
        if f.name == "cti_ami_events"
        for s in f.samples
        if s.name == "cti_ami_events_total"
    }
    assert len(counted) == MAX_EVENT_LABELS + 1
    assert counted["UserEvent/e0"] == 2 and counted["other"] == 6
