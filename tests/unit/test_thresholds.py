"""The wallboard's thresholds (cti/domain/thresholds.py, issue 14; P5, P23): each measure's
level, the boundaries stated in its rules, and the queue settings they are read from."""

from __future__ import annotations

import pytest

from cti.domain.commands import SetNotReady
from cti.domain.config import NotReadyReason, QueueConfig
from cti.domain.ids import AgentId, QueueId
from cti.domain.thresholds import (
    Level,
    fallen,
    longest_wait,
    not_ready,
    queue_levels,
    reached,
    ready_agents,
    service_level,
    worst,
)
from tests.unit.acd_kit import Acd, agent, config, queue

Q = QueueConfig(id=QueueId("support"))  # the defaults: 60/120 s, 2/1 agents, 90/70 %, 80 %
OK, WARN, ALERT = Level.OK, Level.WARN, Level.ALERT


def test_the_defaults_are_the_issues() -> None:
    assert (Q.longest_wait_warn, Q.longest_wait_alert) == (60, 120)
    assert (Q.ready_agents_warn, Q.ready_agents_alert) == (2, 1)
    assert (Q.service_level_warn_pct, Q.service_level_alert_pct) == (90, 70)
    assert Q.not_ready_warn_pct == 80


@pytest.mark.parametrize(
    ("seconds", "level"),
    [(0, OK), (59.999, OK), (60, WARN), (60.001, WARN), (119.999, WARN), (120, ALERT),
     (86_400, ALERT)],
)  # fmt: skip
def test_a_wait_is_at_a_level_once_it_reaches_the_threshold(seconds: float, level: Level) -> None:
    """Rule 2: exactly 60 s is warn, exactly 120 s alert."""
    reading = longest_wait(seconds, Q)

    assert reading.level is level
    assert (reading.value, reading.warn, reading.alert) == (seconds, 60, 120)


@pytest.mark.parametrize(("ready", "level"), [(5, OK), (2, OK), (1, WARN), (0, ALERT)])
def test_ready_agents_are_at_a_level_when_below_the_threshold(ready: int, level: Level) -> None:
    """Rule 3: "warn below 2, alert below 1": 2 is ok, 1 warn, 0 alert."""
    assert ready_agents(ready, Q).level is level


@pytest.mark.parametrize(
    ("ratio", "level"),
    [(1.0, OK), (0.9, OK), (9 / 10, OK), (0.8999, WARN), (0.7, WARN), (7 / 10, WARN),
     (0.6999, ALERT), (0.0, ALERT), (None, OK)],
)  # fmt: skip
def test_the_service_level_is_at_a_level_when_below_the_threshold(
    ratio: float | None, level: Level
) -> None:
    """Rule 3: exactly 90 % is ok and exactly 70 % warn; rule 5: no calls yet is ok."""
    reading = service_level(ratio, Q)

    assert reading.level is level
    assert (reading.warn, reading.alert) == (0.9, 0.7)


def test_a_service_level_of_whole_calls_at_the_threshold_is_not_below_it() -> None:
    """18 of 20 answered within T is 90 %: ok, whatever rounding the division does."""
    assert service_level(18 / 20, Q).level is OK
    assert service_level(17 / 20, Q).level is WARN
    assert service_level(14 / 20, Q).level is WARN
    assert service_level(13 / 20, Q).level is ALERT


@pytest.mark.parametrize(
    ("seconds", "level"),
    [(0, OK), (719.9, OK), (720, WARN), (899.9, WARN), (900, ALERT), (5000, ALERT)],
)
def test_not_ready_time_against_the_reasons_limit(seconds: float, level: Level) -> None:
    """Rule 2: a 900 s limit warns from 80 % of it (720 s) and alerts at the limit (P5)."""
    assert not_ready(seconds, 900.0, Q) is level


def test_a_reason_without_a_limit_is_never_over_it() -> None:
    assert not_ready(10**9, None, Q) is OK


def test_a_threshold_of_zero_turns_the_measures_below_it_off() -> None:
    off = QueueConfig(
        id=QueueId("q1"), ready_agents_warn=0, ready_agents_alert=0,
        service_level_warn_pct=0, service_level_alert_pct=0,
    )  # fmt: skip

    assert ready_agents(0, off).level is OK
    assert service_level(0.0, off).level is OK


def test_when_both_thresholds_are_passed_the_level_is_alert() -> None:
    same = QueueConfig(id=QueueId("q1"), longest_wait_warn=30, longest_wait_alert=30)

    assert longest_wait(30, same).level is ALERT
    assert reached(5, warn=1, alert=5) is ALERT and fallen(0, warn=1, alert=1) is ALERT
    assert worst([OK, ALERT, WARN]) is ALERT and worst([]) is OK
    assert [level.rank for level in (OK, WARN, ALERT)] == [0, 1, 2]


def test_a_queues_levels_measure_its_callers_members_and_service_level() -> None:
    """Rule 6: the longest waiting caller's place in line, the members ready, the members
    not ready against their reasons' limits, the service level handed in."""
    acd = Acd()
    acd.load(
        config(
            [queue("support"), queue("sales", ready_agents_warn=1, ready_agents_alert=0)],
            [agent("1001", {"sales": 0}), agent("1002"), agent("1003", {"support": 0, "sales": 0})],
            [NotReadyReason(code="lunch", max_seconds=600.0), NotReadyReason(code="training")],
        )
    )
    acd.log_in("1001", "1002", "1003")
    acd.feed(SetNotReady(at=acd.now, agent=AgentId("1002"), reason="lunch"))
    acd.feed(SetNotReady(at=acd.now, agent=AgentId("1003"), reason="training"))
    acd.advance(10)
    acd.caller("c1", "support")  # nobody ready serves support: both wait
    acd.advance(10)
    acd.caller("c2", "support")
    acd.advance(490)  # c1 has waited 500 s; 1002 has been at lunch for 510 s of 600

    levels = queue_levels(acd.state, acd.now, {QueueId("support"): 0.95})

    support, sales = levels[QueueId("support")], levels[QueueId("sales")]
    assert support.longest_wait.value == 500 and support.longest_wait.level is ALERT
    assert support.ready_agents.value == 0 and support.ready_agents.level is ALERT
    assert sales.ready_agents.value == 1 and sales.ready_agents.level is OK  # warn below 1
    assert support.service_level.level is OK and sales.service_level.value is None
    assert support.not_ready == {AgentId("1002"): WARN}  # training has no limit
    assert support.not_ready_level is WARN and sales.not_ready_level is OK
    assert support.levels == (ALERT, ALERT, OK, WARN)
    assert sales.levels == (OK, OK, OK, OK)

    acd.advance(90)  # lunch reaches its limit

    assert queue_levels(acd.state, acd.now, {})[QueueId("support")].not_ready == {
        AgentId("1002"): ALERT
    }


def test_an_unconfigured_queue_a_caller_came_to_is_judged_by_the_defaults() -> None:
    acd = Acd()
    acd.load(config([queue("support")], [agent("1001")]))
    acd.caller("c1", "elsewhere")
    acd.advance(60)

    levels = queue_levels(acd.state, acd.now, {})

    assert levels[QueueId("elsewhere")].longest_wait.level is WARN
    assert levels[QueueId("support")].ready_agents.level is ALERT  # nobody logged in
