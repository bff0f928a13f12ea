"""Outbound campaign metrics (issue 4, C5): attempts from decisions, gauges from live state."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cti.domain.agent import Agent
from cti.domain.commands import HaltCampaign
from cti.domain.effects import AttemptEnded
from cti.domain.ids import AgentId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.outbound.abandon_window import AbandonWindow, Outcome
from cti.domain.outbound.attempt import AttemptId, DialAttempt
from cti.domain.outbound.campaign import AttemptResult, CampaignConfig, CampaignId
from cti.domain.outbound.contact import Contact, ContactId
from cti.domain.outbound.dial import Dial, DialPhase, LiveCampaign
from cti.domain.outbound.pacing import DialMode, PacingConfig
from cti.domain.outbound.predictive import Pace
from cti.domain.records import AgentState
from cti.domain.state import AcdState, Decision
from cti.metrics import CampaignCollector, Metrics
from tests.unit.acd_kit import T0, agent, config, queue
from tests.unit.test_outbound import SPRING, answers, channel_of, dialer, feed, hangs_up, tick
from tests.unit.test_outbound import contact as tcontact

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
SALES = CampaignId("sales-q3")
OTHER = CampaignId("renewals")
DAY = 86_400.0


def samples(metrics: Metrics) -> Samples:
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def scrape(state: AcdState, now: Instant = T0) -> Samples:
    metrics = Metrics()
    metrics.registry.register(CampaignCollector(lambda: state, lambda: now))
    return samples(metrics)


def contact(name: str, campaign: CampaignId = SALES) -> Contact:
    return Contact(id=ContactId(name), campaign=campaign, number="+15550100", timezone="UTC")


def campaign(
    campaign_id: CampaignId = SALES,
    *,
    queue_name: str = "sales",
    mode: DialMode = DialMode.PROGRESSIVE,
    cap_pct: float = 3.0,
    **kw: Any,
) -> LiveCampaign:
    pacing = PacingConfig(mode=mode, abandon_cap_pct=cap_pct, window=DAY)
    conf = CampaignConfig(id=campaign_id, queue=QueueId(queue_name), pacing=pacing)
    kw.setdefault("window", AbandonWindow(length=DAY))
    return LiveCampaign(config=conf, **kw)


def attempt(
    name: str,
    result: AttemptResult,
    *,
    answered: float | None = None,
    connected: float | None = None,
    ended: float = 30.0,
) -> AttemptEnded:
    person = result in (AttemptResult.CONNECTED, AttemptResult.ABANDONED)
    recorded = DialAttempt(
        id=AttemptId(name),
        campaign=SALES,
        contact=ContactId(name),
        number="+15550100",
        agent=None,
        mode=DialMode.PREDICTIVE,
        started_at=T0,
        answered_at=None if answered is None else Instant(T0 + answered),
        connected_at=None if connected is None else Instant(T0 + connected),
        ended_at=Instant(T0 + ended),
        result=result,
        person=person,
    )
    return AttemptEnded(attempt=recorded, contact=contact(name))


def dial(name: str, campaign_id: CampaignId = SALES, **kw: Any) -> tuple[ChannelId, Dial]:
    channel = ChannelId(name)
    return channel, Dial(
        channel=channel,
        campaign=campaign_id,
        contact=contact(name, campaign_id),
        mode=DialMode.PREDICTIVE,
        agent=None,
        started_at=T0,
        **kw,
    )


def logged_in(name: str, state: AgentState) -> tuple[AgentId, Agent]:
    agent_id = AgentId(name)
    return agent_id, Agent(
        id=agent_id,
        device=DeviceId(f"PJSIP/{name}"),
        address="10.0.0.9",
        logged_in_at=T0,
        state=state,
        since=T0,
    )


def c(campaign_id: str = SALES) -> tuple[str, str]:
    return ("campaign", campaign_id)


def test_attempts_are_counted_by_result_and_connects_timed_from_the_answer() -> None:
    effects = (
        attempt("a", AttemptResult.CONNECTED, answered=6.0, connected=7.2),
        attempt("b", AttemptResult.CONNECTED, answered=10.0, connected=10.4),
        attempt("c", AttemptResult.ABANDONED, answered=4.0, ended=6.0),
        attempt("d", AttemptResult.BUSY, ended=3.0),
        attempt("e", AttemptResult.SKIPPED, ended=0.0),
    )
    metrics = Metrics()

    metrics.decided(Decision(AcdState(), effects), lag=0.0)
    got = samples(metrics)

    total = "cti_campaign_attempts_total"
    assert got[total, (c(), ("result", "connected"))] == 2
    assert got[total, (c(), ("result", "abandoned"))] == 1
    assert got[total, (c(), ("result", "busy"))] == 1
    assert got[total, (c(), ("result", "skipped"))] == 1
    assert got["cti_campaign_connect_seconds_count", (c(),)] == 2
    # instants near 1.7e9 s keep microseconds, not more
    assert got["cti_campaign_connect_seconds_sum", (c(),)] == pytest.approx(1.6, abs=1e-6)
    assert got["cti_campaign_connect_seconds_bucket", (c(), ("le", "0.5"))] == 1
    assert got["cti_campaign_connect_seconds_bucket", (c(), ("le", "1.0"))] == 1
    assert got["cti_campaign_connect_seconds_bucket", (c(), ("le", "1.5"))] == 2
    # rang until answered: only the three answered dials, busy and skipped excluded
    assert got["cti_campaign_ring_seconds_count", (c(),)] == 3
    assert got["cti_campaign_ring_seconds_sum", (c(),)] == 20


def test_the_abandon_window_is_read_as_of_the_scrape() -> None:
    window = AbandonWindow(length=DAY)
    for _ in range(3):  # a day and more ago: out of the window by now
        window = window.record(T0, Outcome.ABANDONED)
    later = Instant(T0 + DAY + 3600)
    for outcome in (Outcome.CONNECTED,) * 7 + (Outcome.ABANDONED,):
        window = window.record(Instant(later - 60), outcome)
    live = campaign(cap_pct=5.0, window=window)

    got = scrape(AcdState(campaigns={SALES: live}), now=later)

    assert got["cti_campaign_window_answered", (c(),)] == 8
    assert got["cti_campaign_window_abandoned", (c(),)] == 1
    assert got["cti_campaign_abandon_rate", (c(),)] == 1 / 8
    assert got["cti_campaign_abandon_cap", (c(),)] == 0.05


def test_calls_in_flight_are_counted_by_campaign_and_phase() -> None:
    dials = dict(
        (
            dial("r1"),
            dial("r2"),
            dial("h1", queued_at=Instant(T0 + 5), phase=DialPhase.HELD),
            dial("done", queued_at=Instant(T0 + 5), phase=DialPhase.CONNECTED),
            dial("o1", OTHER),
        )
    )
    state = AcdState(campaigns={SALES: campaign(), OTHER: campaign(OTHER)}, dials=dials)

    got = scrape(state)

    assert got["cti_campaign_calls", (c(), ("phase", "ringing"))] == 2
    assert got["cti_campaign_calls", (c(), ("phase", "held"))] == 1
    assert got["cti_campaign_calls", (c(OTHER), ("phase", "ringing"))] == 1
    assert got["cti_campaign_calls", (c(OTHER), ("phase", "held"))] == 0


def test_agents_waiting_are_the_available_or_reserved_members_of_its_queue() -> None:
    profiles = [
        agent("1001", {"sales": 0}),
        agent("1002", {"sales": 0, "support": 0}),
        agent("1003", {"sales": 0}),
        agent("1004", {"support": 0}),
        agent("1005", {"sales": 0}),  # logged out
    ]
    agents = dict(
        (
            logged_in("1001", AgentState.AVAILABLE),
            logged_in("1002", AgentState.RESERVED),
            logged_in("1003", AgentState.ON_CALL),
            logged_in("1004", AgentState.AVAILABLE),
        )
    )
    conf = config([queue("sales"), queue("support")], profiles)
    live = {SALES: campaign(), OTHER: campaign(OTHER, queue_name="support")}

    got = scrape(AcdState(config=conf, agents=agents, campaigns=live))

    assert got["cti_campaign_agents_waiting", (c(),)] == 2
    assert got["cti_campaign_agents_waiting", (c(OTHER),)] == 2


def test_pacing_shows_the_effective_mode_of_the_last_pace() -> None:
    fell_back = Pace(dials=1, mode=DialMode.PROGRESSIVE, level=1.5)
    live = {
        SALES: campaign(mode=DialMode.PREDICTIVE, last=fell_back),
        OTHER: campaign(OTHER, mode=DialMode.PREDICTIVE),  # not paced yet
    }

    got = scrape(AcdState(campaigns=live))

    mode = "cti_campaign_pacing_mode"
    assert got[mode, (c(), ("mode", "progressive"))] == 1
    assert got[mode, (c(), ("mode", "predictive"))] == 0
    assert got[mode, (c(), ("mode", "preview"))] == 0
    assert got["cti_campaign_pacing_level", (c(),)] == 1.5
    assert got["cti_campaign_pacing_level", (c(OTHER),)] == 0
    assert all(got[mode, (c(OTHER), ("mode", m))] == 0 for m in DialMode)


def test_contacts_and_running_come_from_the_campaign_as_the_core_holds_it() -> None:
    live = {
        SALES: campaign(buffer=(contact("k1"), contact("k2"), contact("k3")), left=120),
        OTHER: campaign(OTHER, running=False),
    }

    got = scrape(AcdState(campaigns=live))

    assert got["cti_campaign_contacts_buffered", (c(),)] == 3
    assert got["cti_campaign_contacts_remaining", (c(),)] == 120
    assert got["cti_campaign_contacts_remaining", (c(OTHER),)] == 0  # not counted yet
    assert got["cti_campaign_running", (c(),)] == 1
    assert got["cti_campaign_running", (c(OTHER),)] == 0


def test_no_campaign_means_no_campaign_samples() -> None:
    got = scrape(AcdState())

    assert not [name for name, _ in got if name.startswith("cti_campaign_")]


def test_a_halted_campaign_keeps_its_windows_rate_while_calls_end_then_goes() -> None:
    """Issue 18 item 5: after a halt the rate is still the window's (not 0) while a call
    of the campaign is in flight; once the last one ends the campaign's series go away."""
    acd = dialer("1001", "1002")
    feed(acd, tcontact(0), tcontact(1))
    first, second = channel_of(acd, 0), channel_of(acd, 1)
    answers(acd, first)  # offered to an agent who never answers: abandoned at the hold
    tick(acd, 2.0)
    hangs_up(acd, first)
    acd.feed(HaltCampaign(at=acd.now, campaign=SPRING))

    halted = scrape(acd.state, acd.now)
    assert halted["cti_campaign_running", (c(SPRING),)] == 0
    assert halted["cti_campaign_abandon_rate", (c(SPRING),)] == 1.0  # 1 abandoned of 1
    assert halted["cti_campaign_window_abandoned", (c(SPRING),)] == 1

    hangs_up(acd, second)  # the last call of the campaign ends

    assert not [n for n, labels in scrape(acd.state, acd.now) if labels == (c(SPRING),)]
