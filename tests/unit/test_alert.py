"""Supervisors' alerts (cti/domain/alert.py, issue 14): urgent callers (P10), ring-limit
misses (C3), not-ready overruns (P5), levels that rise, and the AMI link."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cti.domain.alert import (
    Alert,
    AlertKind,
    LinkWatch,
    clock,
    decision_alerts,
    level_alerts,
    link_alerts,
)
from cti.domain.commands import SetNotReady
from cti.domain.config import NotReadyReason, QueueConfig
from cti.domain.effects import FindingRaised
from cti.domain.ids import AgentId, CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import CallerQueued, Tick
from cti.domain.queue import WaitingCall
from cti.domain.records import Finding, Rule
from cti.domain.state import AcdState, Decision, TimerKind
from cti.domain.thresholds import Level, QueueLevels, longest_wait, ready_agents, service_level
from tests.unit.acd_kit import Acd, agent, config, queue
from tests.unit.test_outbound import answers, channel_of, contact, dialer, feed

SUPPORT = QueueId("support")
NOW = Instant(1_800_000_000.0)
Q = QueueConfig(id=SUPPORT)


def alerts_of(acd: Acd) -> list[Alert]:
    assert acd.last is not None
    return decision_alerts(acd.last, acd.now)


def test_an_urgent_caller_entering_a_queue_is_an_alert() -> None:
    acd = Acd()
    acd.load(config([queue("support")], [agent("1001")]))

    acd.caller("c1", priority=5)

    assert alerts_of(acd) == [
        Alert(
            kind=AlertKind.URGENT_CALLER, level=Level.ALERT, at=acd.now,
            text="Urgent caller +1555c1 (priority 5) waiting in support",
            queue=SUPPORT, call=CallId("c1"), number="+1555c1",  # to be masked (P22)
        )
    ]  # fmt: skip


def test_an_urgent_caller_still_waiting_at_the_queues_urgent_wait_is_escalated() -> None:
    """P10 (issue 16): a finding and an alert once, counted from the first entry, even
    after an overflow; a caller answered before then, or of priority 0, is not escalated."""
    acd = Acd()
    queues = [queue("support", urgent_wait=45, overflow_after=30, overflow_queue="backup"),
              queue("backup", urgent_wait=45)]  # fmt: skip
    acd.load(config(queues, [agent("1001")]))
    acd.caller("c1", priority=5)
    acd.caller("c2")  # not urgent

    acd.tick_to(44)
    assert acd.of(FindingRaised) == []
    acd.tick_to(45)  # 15 s after its overflow into backup, 45 s after it first entered

    [escalated] = [f.finding for f in acd.of(FindingRaised)]
    assert (escalated.rule, escalated.measured, escalated.limit) == (Rule.URGENT_WAIT, 45.0, 45.0)
    assert escalated.call == CallId("c1") and "+1555" not in escalated.detail  # P22
    assert alerts_of(acd) == [
        Alert(
            kind=AlertKind.URGENT_WAIT, level=Level.ALERT, at=acd.now,
            text="Escalated: an urgent caller (priority 5) waiting in backup for 0:45",
            call=CallId("c1"),
        )
    ]  # fmt: skip
    acd.tick_to(600)
    assert len(acd.of(FindingRaised)) == 1  # once


def test_an_urgent_caller_answered_in_time_is_not_escalated() -> None:
    acd = Acd()
    acd.load(config([queue("support", urgent_wait=45)], [agent("1001")]))
    acd.caller("c1", priority=5)
    acd.log_in("1001")
    acd.answer("c1", "1001")
    acd.tick_to(600)
    assert acd.of(FindingRaised) == []
    assert (TimerKind.URGENT, "c1") not in acd.state.timers


def test_a_caller_of_priority_zero_is_no_alert() -> None:
    acd = Acd()
    acd.load(config([queue("support")], [agent("1001")]))

    acd.caller("c1")

    assert acd.last is not None and acd.last.effects  # the caller waits: CallWaiting
    assert alerts_of(acd) == []


def test_an_urgent_caller_overflowing_is_told_again_for_the_new_queue() -> None:
    acd = Acd()
    acd.load(
        config(
            [queue("support", overflow_after=30, overflow_queue="backup"), queue("backup")],
            [agent("1001")],
        )
    )
    acd.caller("c1", priority=2)

    acd.advance(30)
    acd.feed(Tick(at=acd.now))

    assert [(a.kind, a.queue) for a in alerts_of(acd)] == [
        (AlertKind.URGENT_CALLER, QueueId("backup"))
    ]


def test_an_answered_outbound_call_is_no_urgent_caller() -> None:
    """Rule 1: its priority (1000) only serves it ahead of inbound callers."""
    acd = dialer("1001")
    feed(acd, contact(0))
    acd.advance(6)

    answers(acd, channel_of(acd))

    assert acd.state.waiting.get(channel_of(acd)) is not None
    assert alerts_of(acd) == []


def test_a_ring_limit_miss_is_a_warning_naming_queue_agent_and_call() -> None:
    acd = Acd()
    acd.load(config([queue("support", ring_limit=2, ring_cadence=5)], [agent("1001")]))
    acd.log_in("1001")
    acd.caller("c1")
    acd.dial("c1", "1001")
    acd.ring("c1")

    acd.tick_to(10)

    assert alerts_of(acd) == [
        Alert(
            kind=AlertKind.RING_LIMIT_MISS, level=Level.WARN, at=acd.now,
            text="Agent 1001 did not answer within 2 rings in support: the call goes to "
            "the next agent",
            queue=SUPPORT, agent=AgentId("1001"), call=CallId("c1"),
        )
    ]  # fmt: skip


def test_a_not_ready_overrun_is_an_alert_with_its_reason_and_limit() -> None:
    acd = Acd()
    acd.load(
        config([queue("support")], [agent("1001")], [NotReadyReason(code="lunch", max_seconds=900)])
    )
    acd.log_in("1001")
    acd.feed(SetNotReady(at=acd.now, agent=AgentId("1001"), reason="lunch"))

    acd.tick_to(900)

    assert alerts_of(acd) == [
        Alert(
            kind=AlertKind.NOT_READY_OVERRUN, level=Level.ALERT, at=acd.now,
            text="Agent 1001 not ready (lunch) for 15:00: the limit is 15:00",
            agent=AgentId("1001"),
        )
    ]  # fmt: skip


def levels(wait: float, ratio: float | None = None) -> QueueLevels:
    return QueueLevels(
        queue=SUPPORT,
        longest_wait=longest_wait(wait, Q),
        ready_agents=ready_agents(3, Q),
        service_level=service_level(ratio, Q),
        not_ready={},
    )


def test_a_longest_wait_alerts_once_per_rise_and_never_when_it_falls() -> None:
    waits = [0, 30, 60, 61, 90, 120, 150, 100, 10, 60, 130]
    told: list[tuple[float, Level]] = []
    before: QueueLevels | None = None
    for wait in waits:
        after = levels(wait)
        told += [(wait, a.level) for a in level_alerts(before, after, NOW)]
        before = after

    assert told == [(60, Level.WARN), (120, Level.ALERT), (60, Level.WARN), (130, Level.ALERT)]


def test_the_first_levels_judged_rise_from_ok() -> None:
    found = level_alerts(None, levels(125, ratio=0.85), NOW)

    assert [(a.kind, a.level, a.text) for a in found] == [
        (AlertKind.LONGEST_WAIT, Level.ALERT,
         "support: a caller has waited 2:05 (alert from 2:00)"),
        (AlertKind.SERVICE_LEVEL, Level.WARN,
         "support: today's service level is 85 % (warning below 90 %)"),
    ]  # fmt: skip
    assert level_alerts(None, levels(0), NOW) == []


def test_a_service_level_falling_to_alert_is_told_with_its_figure() -> None:
    found = level_alerts(levels(0, ratio=0.8), levels(0, ratio=0.655), NOW)

    assert [(a.kind, a.level, a.text) for a in found] == [
        (AlertKind.SERVICE_LEVEL, Level.ALERT,
         "support: today's service level is 65.5 % (alert below 70 %)"),
    ]  # fmt: skip


def look(before: LinkWatch | None, up: bool, reconnects: int = 0) -> tuple[LinkWatch, list[str]]:
    after, alerts = link_alerts(before, up, reconnects, NOW)
    return after, [a.kind.value for a in alerts]


def test_the_first_look_at_the_link_is_the_baseline() -> None:
    assert look(None, False)[1] == [] and look(None, True)[1] == []


@pytest.mark.parametrize(
    ("before", "up", "reconnects", "told"),
    [
        (LinkWatch(up=True, reconnects=0), False, 0, ["link_down"]),
        (LinkWatch(up=True, reconnects=0), True, 0, []),
        (LinkWatch(up=True, reconnects=0), True, 1, ["link_down", "link_up"]),  # a blink
        (LinkWatch(up=True, reconnects=0), False, 1, ["link_down", "link_up", "link_down"]),
        (LinkWatch(up=True, reconnects=0), True, 5, ["link_down", "link_up"]),
        (LinkWatch(up=False, reconnects=0, down_told=True), True, 1, ["link_up"]),
        (LinkWatch(up=False, reconnects=0, down_told=True), False, 0, []),
        (LinkWatch(up=False, reconnects=0, down_told=True), False, 1, ["link_up", "link_down"]),
        (LinkWatch(up=False, reconnects=0), True, 0, []),  # up for the first time: no outage
    ],
)
def test_the_link_alerts_when_it_goes_down_and_when_it_is_back(
    before: LinkWatch, up: bool, reconnects: int, told: list[str]
) -> None:
    after, found = look(before, up, reconnects)

    assert found == told
    assert (after.up, after.reconnects) == (up, reconnects)
    assert after.down_told is (not up and (before.down_told or bool(told)))


def test_an_outage_is_down_then_back_up_and_each_is_told_once() -> None:
    watch, told = look(None, True)
    for up, reconnects in [(True, 0), (False, 0), (False, 0), (False, 0), (True, 1), (True, 1)]:
        watch, found = look(watch, up, reconnects)
        told += found

    assert told == ["link_down", "link_up"]
    assert watch == LinkWatch(up=True, reconnects=1)


def test_link_alerts_are_alert_down_and_ok_back_up() -> None:
    _, down = link_alerts(LinkWatch(up=True, reconnects=0), False, 0, NOW)
    _, back = link_alerts(replace(LinkWatch(up=False, reconnects=0), down_told=True), True, 1, NOW)

    assert [(a.level, a.text) for a in down + back] == [
        (Level.ALERT, "The AMI link to Asterisk is down: no call is routed until it is back"),
        (Level.OK, "The AMI link to Asterisk is back up"),
    ]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0:00"), (59.9, "0:59"), (61, "1:01"), (3661, "1:01:01"), (-3, "0:00")],
)
def test_durations_read_as_on_the_wallboard(seconds: float, shown: str) -> None:
    assert clock(seconds) == shown


def test_other_findings_are_no_alerts_and_a_miss_without_its_offer_names_no_queue() -> None:
    """Rule 2: only the ring-limit and not-ready findings are alerts; a miss found apart
    from the offer that ended with it is told without a queue."""
    late = Finding(rule=Rule.AGENT_RELEASED_FIRST, agent=AgentId("1001"), at=NOW, measured=1,
                   limit=0, call=CallId("c1"))  # fmt: skip
    miss = replace(late, rule=Rule.RING_LIMIT, measured=3, limit=3)
    decision = Decision(
        state=AcdState(), effects=(FindingRaised(finding=late), FindingRaised(finding=miss))
    )

    found = decision_alerts(decision, NOW)

    assert [(a.kind, a.queue, a.text) for a in found] == [
        (AlertKind.RING_LIMIT_MISS, None,
         "Agent 1001 did not answer within 3 rings: the call goes to the next agent"),
    ]  # fmt: skip


def test_an_urgent_caller_without_a_number_is_told_so() -> None:
    acd = Acd()
    acd.load(config([queue("support")], [agent("1001")]))
    entry = WaitingCall(call=CallId("c9"), channel=ChannelId("c9"), queue=SUPPORT, priority=1,
                        caller="", entered_at=acd.now)  # fmt: skip

    acd.feed(CallerQueued(at=acd.now, entry=entry))

    assert [a.text for a in alerts_of(acd)] == [
        "Urgent caller unknown number (priority 1) waiting in support"
    ]
