"""The P11 weekly monitoring quota (cti/domain/monitoring_quota.py rules 1-4)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cti.domain.ids import AgentId, CallId, DeviceId, Instant
from cti.domain.monitoring_quota import quotas, shortfalls, week_of
from cti.domain.records import MonitoringSession, Rule, SpyMode

PARIS = ZoneInfo("Europe/Paris")


def _at(text: str, zone: ZoneInfo = PARIS) -> Instant:
    return Instant(datetime.fromisoformat(text).replace(tzinfo=zone).timestamp())


def _session(
    agent: str, call: str, start: float, seconds: float, mode: SpyMode
) -> MonitoringSession:
    return MonitoringSession(
        supervisor="ann",
        device=DeviceId("PJSIP/2001"),
        agent=AgentId(agent),
        call=CallId(call),
        mode=mode,
        started_at=Instant(start),
        ended_at=Instant(start + seconds),
    )


def test_a_week_runs_monday_to_monday_in_the_centres_zone() -> None:
    start, end = week_of(_at("2026-12-03 10:00"), PARIS)  # a Thursday
    assert (start, end) == (_at("2026-11-30 00:00"), _at("2026-12-07 00:00"))
    assert week_of(start, PARIS) == (start, end)  # Monday 00:00 is in its own week
    assert week_of(Instant(start - 0.001), PARIS)[1] == start  # Sunday 23:59:59.999 is not


def test_a_week_across_a_change_of_summer_time_is_167_or_169_hours() -> None:
    spring = week_of(_at("2026-03-29 12:00"), PARIS)  # the last Sunday of March
    autumn = week_of(_at("2026-10-25 12:00"), PARIS)
    assert (spring[1] - spring[0]) / 3600 == 167
    assert (autumn[1] - autumn[0]) / 3600 == 169
    assert (
        week_of(_at("2026-03-29 12:00", UTC), UTC)[1]
        - week_of(_at("2026-03-29 12:00", UTC), UTC)[0]
        == 7 * 86400
    )


def test_modes_and_switches_on_one_call_count_once_every_stretch_counts_in_sessions() -> None:
    sessions = [
        _session("1001", "c1", 0, 10, SpyMode.LISTEN),
        _session("1001", "c1", 10, 20, SpyMode.WHISPER),
        _session("1001", "c2", 100, 5, SpyMode.BARGE),
        _session("1002", "c3", 50, 30, SpyMode.LISTEN),
    ]
    found = {
        q.agent: q for q in quotas(sessions, [AgentId("1001"), AgentId("1002"), AgentId("1003")])
    }
    assert (found["1001"].calls, found["1001"].sessions, found["1001"].seconds) == (2, 3, 35)
    assert found["1001"].met
    assert (found["1002"].calls, found["1002"].met) == (1, False)
    assert (found["1003"].calls, found["1003"].sessions, found["1003"].met) == (0, 0, False)


def test_an_agent_no_longer_configured_still_shows_when_it_was_monitored() -> None:
    [quota] = quotas([_session("9", "c9", 0, 1, SpyMode.LISTEN)], [], target=1)
    assert (quota.agent, quota.calls, quota.met) == ("9", 1, True)


def test_evaluations_count_as_monitored_calls_and_a_worked_week_short_of_it_is_a_finding() -> None:
    """Rule 5 (issue 16): one listen and one QA evaluation of another call make 2."""
    start, _ = week_of(_at("2026-12-09T10:00:00"), PARIS)
    listened = [_session("1001", "c1", start + 3600, 60, SpyMode.LISTEN)]
    evaluated = [(AgentId("1001"), CallId("c2")), (AgentId("1002"), CallId("c3"))]
    found = quotas(
        listened, [AgentId("1001"), AgentId("1002"), AgentId("1003")], evaluated=evaluated
    )
    assert [(q.agent, q.calls, q.met) for q in found] == [
        ("1001", 2, True),
        ("1002", 1, False),
        ("1003", 0, False),
    ]
    short = shortfalls(found, [AgentId("1001"), AgentId("1002")], start, lambda agent: 2.0)
    assert [(f.rule, f.agent, f.at, f.measured, f.limit) for f in short] == [
        (Rule.MONITORING_QUOTA, "1002", start, 1.0, 2.0)  # 1003 did not work that week
    ]
    assert short[0].detail == "1 of 2 calls monitored or evaluated that week"
    assert shortfalls(found, [AgentId("1001")], start, lambda agent: 3.0)[0].measured == 2.0
