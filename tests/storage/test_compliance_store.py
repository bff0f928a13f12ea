"""ComplianceStore against real SQLite and PostgreSQL (issue 16): schedules replaced a
period at a time and nothing half-applied on a bad row, rule parameters, and a
supervisor's acknowledgement of a finding listed with it."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cti.domain.compliance.rulebook import Override, Scope
from cti.domain.compliance.schedule import Activity, ScheduleError, local_activity
from cti.domain.ids import AgentId, DeviceId, Instant
from cti.domain.records import AgentState, LoginEnd, LoginSession, Rule, StateInterval
from cti.domain.setting import SettingError
from cti.storage.database import Database
from cti.storage.errors import ConfigConflict, ConfigNotFound
from tests.storage.samples import make_finding

LONDON = ZoneInfo("Europe/London")
A, B = AgentId("1001"), AgentId("1002")
AGENTS = (A, B)


def on(
    day: int, start: str, end: str, agent: AgentId = A, activity: str = "on_queue", at: str = ""
) -> Activity:
    return local_activity(agent, date(2026, 12, day), start, end, LONDON, activity, at)


def midnight(day: int) -> Instant:
    return on(day, "00:00", "01:00").start


async def test_a_period_is_replaced_whole_and_other_periods_are_kept(database: Database) -> None:
    store = database.compliance()
    week = [
        on(7, "08:00", "12:00"),
        on(7, "12:00", "13:00", activity="lunch"),
        on(8, "18:00", "08:00", B, at="desk-1"),
    ]
    assert await store.replace_schedule(week, midnight(7), midnight(14), AGENTS, "admin") == 0
    later = [on(14, "09:00", "17:00")]
    await store.replace_schedule(later, midnight(14), midnight(21), AGENTS, "admin")

    assert await store.schedule(midnight(7), midnight(21)) == sorted(
        week + later, key=lambda a: (a.agent, a.start)
    )
    assert await store.schedule(midnight(9), midnight(10), B) == [
        week[2]
    ]  # the night, into the 9th
    again = [on(7, "09:00", "17:00")]
    assert await store.replace_schedule(again, midnight(7), midnight(14), AGENTS, "admin") == 3
    assert await store.schedule(midnight(7), midnight(21)) == again + later


@pytest.mark.parametrize(
    ("rows", "row", "field"),
    [
        ([on(7, "08:00", "12:00"), on(7, "11:00", "13:00")], 2, "start"),  # overlap
        ([on(7, "08:00", "12:00", AgentId("9999"))], 1, "agent"),  # unknown agent
        ([on(7, "08:00", "12:00"), on(21, "08:00", "12:00")], 2, "start"),  # outside the period
        ([on(13, "18:00", "08:00")], 1, "start"),  # runs into the kept next week's 08:00
    ],
)
async def test_a_bad_row_names_itself_and_changes_nothing(
    database: Database,
    rows: list,
    row: int,
    field: str,  # type: ignore[type-arg]
) -> None:
    store = database.compliance()
    before = [on(7, "10:00", "11:00"), on(14, "07:00", "12:00")]
    await store.replace_schedule(before[:1], midnight(7), midnight(14), AGENTS, "admin")
    await store.replace_schedule(before[1:], midnight(14), midnight(21), AGENTS, "admin")

    with pytest.raises(ScheduleError) as refused:
        await store.replace_schedule(rows, midnight(7), midnight(14), AGENTS, "admin")

    assert (refused.value.row, refused.value.field) == (row, field)
    assert await store.schedule(midnight(1), midnight(28)) == before


async def test_rule_parameters_are_set_replaced_and_cleared(database: Database) -> None:
    store = database.compliance()
    late = Override(rule=Rule.LATE, param="grace", scope=Scope.AGENT, target=A, value=600)
    await store.set_override(late, "admin")
    await store.set_override(
        Override(rule=Rule.LATE, param="grace", scope=Scope.AGENT, target=A, value=900), "admin"
    )
    await store.set_override(
        Override(rule=Rule.ABSENT, param="after", scope=Scope.CENTRE, target="", value=1800),
        "admin",
    )
    settings = await store.rule_settings()
    assert settings.value(Rule.LATE, "grace", A) == 900
    assert settings.value(Rule.ABSENT, "after", B) == 1800
    with pytest.raises(SettingError):
        await store.set_override(
            Override(rule=Rule.LATE, param="grace", scope=Scope.AGENT, target=A, value=-5), "admin"
        )
    assert await store.clear_override(late) is True
    assert await store.clear_override(late) is False
    assert (await store.rule_settings()).value(Rule.LATE, "grace", A) == 300


async def test_a_finding_is_acknowledged_once_with_its_note(database: Database) -> None:
    await database.history().record([make_finding(1), make_finding(2)])
    first, second = (await database.queries().finding_entries()).items
    store = database.compliance()

    ack = await store.acknowledge(first.id, "sup1", "spoke to the agent")

    with pytest.raises(ConfigConflict):
        await store.acknowledge(first.id, "sup2", "again")
    with pytest.raises(ConfigNotFound):
        await store.acknowledge(second.id + 100, "sup1", "no such")
    listed = (await database.queries().finding_entries()).items
    assert [(e.finding, e.acknowledged_by, e.note) for e in listed] == [
        (make_finding(1), "sup1", "spoke to the agent"),
        (make_finding(2), None, None),
    ]
    assert listed[0].acknowledged_at == ack.at
    assert (await store.acks([first.id, second.id])) == {first.id: ack}


async def test_not_ready_spells_come_back_with_who_approved_them_and_sessions_by_overlap(
    database: Database,
) -> None:
    t0 = midnight(7)

    def spell(agent: AgentId, start: float, end: float, **kw: Any) -> StateInterval:
        return StateInterval(agent=agent, start=Instant(t0 + start), end=Instant(t0 + end), **kw)

    approved = spell(A, 0, 1800, state=AgentState.NOT_READY, reason="break",
                     approved_by="supervisor:sue")  # fmt: skip
    plain = spell(B, 60, 120, state=AgentState.NOT_READY, reason="break")
    talking = spell(B, 120, 300, state=AgentState.ON_CALL, reason=None)
    overnight = LoginSession(agent=A, device=DeviceId("PJSIP/1001"), address="10.0.0.1",
                             start=Instant(t0 - 3600), end=Instant(t0 + 3600),
                             ended=LoginEnd.LOGGED_OUT, by="agent:1001")  # fmt: skip
    await database.history().record([approved, plain, talking, overnight])
    queries = database.queries()
    spells = await queries.not_ready_overlapping(Instant(midnight(7) + 100), midnight(8))
    assert [(s.agent, s.approved_by) for s in spells] == [(A, "supervisor:sue"), (B, "")]
    assert await queries.sessions_overlapping(midnight(7), midnight(8)) == [overnight]
    assert await queries.sessions_overlapping(midnight(8), midnight(9)) == []
