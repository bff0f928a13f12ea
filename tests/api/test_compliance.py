"""Compliance through the API (issue 16): the rulebook and its parameters, schedules as
JSON and CSV (bad rows named, nothing half-applied), a late login found by the auditor,
listed with its id, counted in /metrics, acknowledged once, and the same on
re-evaluation."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cti.domain.ids import AgentId, CallId, DeviceId, Instant, QueueId
from cti.domain.monitoring_quota import week_of
from cti.domain.recording import Recording, recording_file
from cti.domain.records import LoginEnd, LoginSession, Rule
from tests.api.harness import Api, past_call, running_api
from tests.waiting import eventually

DAY = "2026-12-07"
WEEK = {"since": "2026-12-07", "until": "2026-12-14"}
CSV = {"Content-Type": "text/csv"}


def row(agent: str, start: str, end: str, day: str = DAY, **extra: Any) -> dict[str, Any]:
    return {"agent": agent, "date": day, "start": start, "end": end, **extra}


async def one_duty(api: Api, hours: int) -> datetime:
    """Agent 1001's one duty of `hours`, started on the minute 700-760 s ago; its start."""
    start = datetime.fromtimestamp(api.now() - 700, UTC).replace(second=0, microsecond=0)
    day, begin = start.date().isoformat(), f"{start:%H:%M}"
    end = start + timedelta(hours=hours)
    week = {"since": day, "until": (start + timedelta(days=1)).date().isoformat()}
    body = {**week, "activities": [row("1001", begin, f"{end:%H:%M}", day=day)]}
    assert (await api.call("PUT", "/api/v1/schedule", api.admin, body))[0] == 200
    return start


async def test_the_rulebook_lists_every_rule_and_its_parameters_are_set_and_cleared(
    api: Api,
) -> None:
    status, listed = await api.call("GET", "/api/v1/compliance/rules", api.supervisor)
    assert status == 200, listed
    rules = {r["id"]: r for r in listed["rules"]}
    assert set(rules) == {r.value for r in Rule}
    late = rules["P4.late"]
    assert (late["source"], late["requirement"]) == ("records", "P4")
    assert [(p["name"], p["default"], p["overrides"]) for p in late["params"]] == [
        ("grace", 300, [])
    ]
    assert rules["C3.ring_limit"]["configured_by"].startswith("queue ring_limit")
    agent = await api.log_in("1001")
    assert (await api.call("GET", "/api/v1/compliance/rules", agent))[0] == 403

    url = "/api/v1/compliance/rules/P4.late/grace"
    body = {"scope": "agent", "target": "1001", "value": 600}
    assert (await api.call("PUT", url, api.supervisor, body))[0] == 403
    status, answer = await api.call("PUT", url, api.admin, body)
    assert status == 200, answer
    assert answer["params"][0]["overrides"] == [{"scope": "agent", "target": "1001", "value": 600}]
    status, answer = await api.call(
        "PUT", "/api/v1/compliance/rules/P4.late/grase", api.admin, body
    )
    assert (status, answer["field"]) == (422, "param") and "it takes: grace" in answer["error"]
    status, answer = await api.call("PUT", url, api.admin, {**body, "value": 90_000})
    assert (status, answer["field"]) == (422, "value") and "0-86400" in answer["error"]
    status, answer = await api.call(
        "PUT", "/api/v1/compliance/rules/P9.late/grace", api.admin, body
    )
    assert status == 404, answer
    centre = {"scope": "centre", "target": "", "value": 240}
    status, answer = await api.call("PUT", url, api.admin, centre)
    assert (
        status == 200
        and {"scope": "centre", "target": "", "value": 240} in answer["params"][0]["overrides"]
    ), answer
    assert (await api.call("DELETE", url, api.admin))[0] == 204  # the centre's, by default
    assert (await api.call("DELETE", f"{url}?scope=agent&target=1001", api.admin))[0] == 204
    assert (await api.call("DELETE", f"{url}?scope=agent&target=1001", api.admin))[0] == 404
    settings = await api.database.compliance().rule_settings()
    assert settings.overrides == ()


async def test_a_schedule_is_replaced_by_week_and_read_in_local_time(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        rows = [row("1001", "08:25", "17:35"), row("1002", "18:00", "08:00", activity="on_queue")]
        status, answer = await api.call(
            "PUT", "/api/v1/schedule", api.admin, {**WEEK, "activities": rows}
        )
        assert (status, answer) == (200, {"replaced": 0, "stored": 2})
        span = "since=2026-12-07T00:00:00Z&until=2026-12-09T00:00:00Z"
        status, answer = await api.call("GET", f"/api/v1/schedule?{span}", api.supervisor)
        assert status == 200, answer
        assert [(a["agent"], a["local"]) for a in answer["activities"]] == [
            ("1001", {"date": DAY, "start": "08:25", "end": "17:35"}),
            ("1002", {"date": DAY, "start": "18:00", "end": "08:00"}),
        ]
        night = answer["activities"][1]
        assert night["end"] - night["start"] == 14 * 3600
        agent = await api.log_in("1001")
        status, mine = await api.call("GET", f"/api/v1/schedule?{span}", agent)
        assert [a["agent"] for a in mine["activities"]] == ["1001"]
        assert (await api.call("GET", f"/api/v1/schedule?{span}&agent=1002", agent))[0] == 403

        bad = [row("1001", "09:00", "12:00"), row("1001", "11:00", "13:00")]
        status, answer = await api.call(
            "PUT", "/api/v1/schedule", api.admin, {**WEEK, "activities": bad}
        )
        assert (status, answer["field"]) == (422, "activities.1.start"), answer
        assert answer["error"].startswith("activities.1: agent 1001: it overlaps")
        stranger = [row("9999", "09:00", "12:00")]
        status, answer = await api.call(
            "PUT", "/api/v1/schedule", api.admin, {**WEEK, "activities": stranger}
        )
        assert (status, answer["field"]) == (422, "activities.0.agent")
        backwards = {"since": "2026-12-14", "until": "2026-12-07", "activities": []}
        assert (await api.call("PUT", "/api/v1/schedule", api.admin, backwards))[1][
            "field"
        ] == "until"
        status, answer = await api.call("GET", f"/api/v1/schedule?{span}", api.supervisor)
        assert len(answer["activities"]) == 2  # nothing of the refused ones


async def test_a_schedule_file_names_its_bad_line_and_changes_nothing(api: Api) -> None:
    url = "/api/v1/schedule/import?since=2026-12-07&until=2026-12-14"
    good = (
        "agent,date,start,end,activity\n"
        "1001,2026-12-07,08:00,12:00,on_queue\n"
        "\n"  # a blank line is skipped, and still counted
        "1001,2026-12-07,12:00,13:00,lunch\n"
    )
    status, answer = await api.call("POST", url, api.admin, data=good, headers=CSV)
    assert (status, answer) == (200, {"replaced": 0, "stored": 2}), answer
    broken = good + "1001,2026-12-08,25:00,26:00,on_queue\n"
    status, answer = await api.call("POST", url, api.admin, data=broken, headers=CSV)
    assert status == 422 and answer["error"].startswith("line 5: start '25:00'"), answer
    status, answer = await api.call("POST", url, api.admin, data="who,when\n1,2\n", headers=CSV)
    assert status == 422 and answer["error"].startswith("line 1: the header"), answer
    assert len(await api.database.compliance().schedule(Instant(0), Instant(4e9))) == 2


async def test_a_late_login_is_found_listed_counted_acknowledged_and_not_raised_again(
    tmp_path: Path,
) -> None:
    async with running_api(tmp_path, audit_interval=0.2) as api:
        start = await one_duty(api, hours=8)
        await api.log_in("1001")  # some 700-760 s after the duty's start: late (grace 300)

        async def listed() -> list[dict[str, Any]]:
            status, answer = await api.call("GET", "/api/v1/findings?rule=P4.late", api.supervisor)
            assert status == 200, answer
            return list(answer["findings"])

        [late] = await eventually(listed, within=10, what="the late login's finding")
        assert (late["agent"], late["at"], late["limit"]) == ("1001", start.timestamp(), 300)
        assert 700 <= late["measured"] <= 770 and late["acknowledged"] is None
        assert late["detail"].startswith("logged in at ")
        _, metrics = await api.call("GET", "/metrics")
        assert 'cti_findings_total{rule="P4.late"} 1.0' in metrics

        url = f"/api/v1/findings/{late['id']}/acknowledgement"
        status, ack = await api.call("POST", url, api.supervisor, {"note": "the bus was late"})
        assert (status, ack["by"], ack["note"]) == (201, "supervisor:sue", "the bus was late")
        assert (await api.call("POST", url, api.supervisor, {"note": "again"}))[0] == 409
        assert (
            await api.call(
                "POST", "/api/v1/findings/999999/acknowledgement", api.admin, {"note": "x"}
            )
        )[0] == 404
        [acked] = await listed()
        assert acked["acknowledged"] == {
            "by": "supervisor:sue",
            "at": ack["at"],
            "note": "the bus was late",
        }

        period = {"since": start.timestamp() - 3600, "until": start.timestamp() + 3600}
        status, audit = await api.call(
            "POST", "/api/v1/compliance/evaluate", api.supervisor, period
        )
        assert (status, audit) == (200, {"duties": 1, "found": 1, "raised": 0}), audit
        _, metrics = await api.call("GET", "/metrics")
        assert 'cti_findings_total{rule="P4.late"} 1.0' in metrics
        assert "cti_compliance_rounds_total" in metrics


async def test_a_logout_not_yet_written_is_waited_for_not_judged_an_absence(
    tmp_path: Path,
) -> None:
    """Auditor rule 5: a session that ended a moment ago is neither in the engine's state
    nor (history being batched) in the store yet; judging then made an agent who was
    there for the whole duty absent (P4.absent). The round waits for history instead."""
    async with running_api(tmp_path) as api:
        start = await one_duty(api, hours=1)
        agent = await api.log_in("1001")  # late (some 700 s), then in until past the end
        api.clock.advance(3 * 3600)
        api.history.hold()  # the logout's records are accepted, not yet committed
        assert (await api.call("POST", "/api/v1/agents/1001/logout", agent))[0] == 200
        period = {"since": start.timestamp() - 60, "until": start.timestamp() + 60}
        evaluation = asyncio.create_task(
            api.call("POST", "/api/v1/compliance/evaluate", api.supervisor, period)
        )
        await asyncio.sleep(0.5)
        api.history.release()
        status, audit = await evaluation
        assert (status, audit["duties"], audit["found"]) == (200, 1, 1), audit

        async def listed() -> list[str]:  # the findings of one round are stored together
            _, answer = await api.call("GET", "/api/v1/findings", api.supervisor)
            return [f["rule"] for f in answer["findings"]]

        assert await eventually(listed, within=10, what="the round's findings") == ["P4.late"]


async def test_adherence_of_today_so_far_in_the_api_and_in_metrics(tmp_path: Path) -> None:
    """P14: on queue and serving is adherent; not ready while on queue is not."""
    async with running_api(tmp_path, audit_interval=0.2) as api:
        start = datetime.fromtimestamp(api.now(), UTC).replace(second=0, microsecond=0)
        if api.now() - start.timestamp() > 50:  # the login must come within the grace
            api.clock.advance(60 - (api.now() - start.timestamp()))
            start += timedelta(minutes=1)
        day = start.date().isoformat()
        end = start + timedelta(hours=2)
        body = {
            "since": day,
            "until": (start + timedelta(days=1)).date().isoformat(),
            "activities": [row("1001", f"{start:%H:%M}", f"{end:%H:%M}", day=day)],
        }
        assert (await api.call("PUT", "/api/v1/schedule", api.admin, body))[0] == 200
        agent = await api.log_in("1001")
        api.clock.advance(600)

        async def figures() -> dict[str, Any]:
            status, answer = await api.call("GET", f"/api/v1/adherence?date={day}", api.supervisor)
            assert status == 200, answer
            [mine] = answer["agents"]
            return dict(mine)

        served = await figures()
        assert (served["agent"], served["adherence"], served["met"]) == ("1001", 1.0, True)
        assert (
            600 <= served["scheduled"] <= 662
            and served["by_activity"]["on_queue"]["adherent"] == served["adherent"]
        )

        async def gauge() -> float | None:
            _, text = await api.call("GET", "/metrics")
            line = next(
                (
                    x
                    for x in text.splitlines()
                    if x.startswith('cti_agent_adherence_ratio{agent="1001"}')
                ),
                "",
            )
            return float(line.split()[-1]) if line else None

        await eventually(lambda: _is(gauge, 1.0), within=10, what="the gauge at 100 %")
        await api.call("POST", "/api/v1/agents/1001/not-ready", agent, {"reason": "lunch"})
        api.clock.advance(120)
        # The spell that ended is read back from the database once the writer has it.
        await eventually(lambda: api.history.pending == 0, what="history written")
        out = await figures()
        assert out["met"] is False and 120 <= out["scheduled"] - out["adherent"] < 125
        assert (await api.call("GET", f"/api/v1/adherence?date={day}&agent=1002", agent))[0] == 403
        status, answer = await api.call("GET", "/api/v1/adherence?date=7/12", api.supervisor)
        assert (status, answer["field"]) == (422, "date")


async def _is(read: Any, wanted: float) -> bool:
    return await read() == wanted


async def test_a_handover_note_goes_to_the_successor_who_alone_acknowledges_it(
    api: Api,
) -> None:
    """P12: 1001 on desk-1 until a minute boundary an hour or so away, 1002 after it."""
    now = datetime.fromtimestamp(api.now(), UTC)
    start = (now - timedelta(hours=1)).replace(second=0, microsecond=0)
    handover = (now + timedelta(hours=1)).replace(second=0, microsecond=0)
    rows = [
        row(
            "1001",
            f"{start:%H:%M}",
            f"{handover:%H:%M}",
            day=start.date().isoformat(),
            position="desk-1",
        ),
        row(
            "1002",
            f"{handover:%H:%M}",
            f"{handover + timedelta(hours=2):%H:%M}",
            day=handover.date().isoformat(),
            position="desk-1",
        ),
    ]
    since, until = (
        (now - timedelta(days=1)).date().isoformat(),
        (now + timedelta(days=2)).date().isoformat(),
    )
    body = {"since": since, "until": until, "activities": rows}
    assert (await api.call("PUT", "/api/v1/schedule", api.admin, body))[0] == 200
    day, night = await api.log_in("1001"), await api.log_in("1002")

    note = {"position": "desk-1", "text": "Caller 4471 expects a callback at 19:00"}
    assert (await api.call("POST", "/api/v1/handover-notes", api.supervisor, note))[0] == 403
    status, written = await api.call("POST", "/api/v1/handover-notes", day, note)
    assert status == 201, written
    assert (written["author"], written["successor"], written["handover_at"]) == (
        "1001",
        "1002",
        handover.timestamp(),
    )
    status, answer = await api.call(
        "POST", "/api/v1/handover-notes", day, {**note, "position": "desk-9"}
    )
    assert (status, answer["field"]) == (422, "position")
    assert (await api.call("POST", "/api/v1/handover-notes", night, note))[
        0
    ] == 422  # nobody after 1002

    _, listed = await api.call("GET", "/api/v1/handover-notes", night)
    assert [n["text"] for n in listed["notes"]] == [note["text"]]
    url = f"/api/v1/handover-notes/{written['id']}/acknowledgement"
    assert (await api.call("POST", url, day))[0] == 403  # the author does not acknowledge it
    status, acked = await api.call("POST", url, night)
    assert status == 200 and acked["acknowledged_at"] is not None, acked
    assert (await api.call("POST", url, night))[0] == 409
    assert (await api.call("POST", "/api/v1/handover-notes/999/acknowledgement", night))[0] == 404
    _, everyone = await api.call("GET", "/api/v1/handover-notes", api.supervisor)
    assert [n["acknowledged_at"] for n in everyone["notes"]] == [acked["acknowledged_at"]]


async def test_qa_evaluations_count_toward_the_weekly_monitoring_quota(tmp_path: Path) -> None:
    """P11: a QA evaluation counts as a monitored call; once the week is over, an agent who
    worked it with fewer than two is a finding at the week's start, once, found by the
    auditor (the clock is moved to the next week)."""
    now = time.time()
    this_week, next_week = week_of(Instant(now), UTC)
    early = max(this_week + 1, now - 90)
    worked = [
        LoginSession(agent=AgentId(a), device=DeviceId(f"PJSIP/{a}"), address="10.0.0.1",
                     start=Instant(early), end=Instant(early + 30), ended=LoginEnd.LOGGED_OUT,
                     by=f"agent:{a}")
        for a in ("1001", "1002")
    ]  # fmt: skip
    calls = [
        past_call("c1", "+15550001", "1001", early),
        past_call("c2", "+15550002", "1001", early),
    ]
    async with running_api(tmp_path, stored=[*worked, *calls], audit_interval=0.2) as api:
        url = "/api/v1/qa/evaluations"
        body = {"call": "c1", "agent": "1001", "score": 86, "note": "greeting ok"}
        status, made = await api.call("POST", url, api.supervisor, body)
        assert (status, made["evaluator"], made["score"]) == (201, "supervisor:sue", 86), made
        status, answer = await api.call("POST", url, api.supervisor, {**body, "agent": "1002"})
        assert (status, answer["field"]) == (422, "agent")
        assert (await api.call("POST", url, api.supervisor, {**body, "call": "c9"}))[0] == 404
        agent = await api.log_in("1001")
        assert (await api.call("POST", url, agent, body))[0] == 403
        _, mine = await api.call("GET", url, agent)
        assert [e["call"] for e in mine["evaluations"]] == ["c1"]
        assert (await api.call("POST", url, api.supervisor, {**body, "call": "c2"}))[0] == 201
        api.clock.advance(next_week - now + 60)  # the week is over

        async def quota() -> list[dict[str, Any]]:
            _, found = await api.call(
                "GET", "/api/v1/findings?rule=P11.monitoring_quota", api.supervisor
            )
            return list(found["findings"])

        [short] = await eventually(quota, within=10, what="1002's quota finding")
        assert (short["agent"], short["at"], short["measured"], short["limit"]) == (
            "1002",
            this_week,
            0,
            2,
        )
        period = {"since": this_week, "until": next_week}
        status, again = await api.call(
            "POST", "/api/v1/compliance/evaluate", api.supervisor, period
        )
        assert (status, again["raised"]) == (200, 0) and len(await quota()) == 1


async def test_the_weekly_qa_sample_takes_more_calls_of_new_agents(tmp_path: Path) -> None:
    now = time.time()
    this_week, _ = week_of(Instant(now), UTC)
    early = max(this_week + 1, now - 600)

    def login(agent: str, at: float) -> LoginSession:
        return LoginSession(agent=AgentId(agent), device=DeviceId(f"PJSIP/{agent}"),
                            address="10.0.0.1", start=Instant(at), end=Instant(at + 60),
                            ended=LoginEnd.LOGGED_OUT, by=f"agent:{agent}")  # fmt: skip

    stored = [
        login("1001", now - 400 * 86400),  # an old hand
        login("1002", now - 5 * 86400),  # new this month
        *[past_call(f"a{i}", f"+1555000{i}", "1001", early + i) for i in range(6)],
        *[past_call(f"b{i}", f"+1555100{i}", "1002", early + i) for i in range(6)],
    ]
    async with running_api(tmp_path, stored=stored) as api:
        status, answer = await api.call("GET", "/api/v1/qa/sample", api.supervisor)
        assert status == 200, answer
        by_agent = {a["agent"]: a for a in answer["agents"]}
        assert (
            by_agent["1001"]["rate"],
            by_agent["1001"]["why"],
            len(by_agent["1001"]["calls"]),
        ) == (2, "base", 2)
        assert (
            by_agent["1002"]["rate"],
            by_agent["1002"]["why"],
            len(by_agent["1002"]["calls"]),
        ) == (4, "new agent", 4)
        picked = by_agent["1001"]["calls"][0]
        assert by_agent["1001"]["recordings"] == {}  # support did not record then
        heard = Recording(
            file=recording_file(CallId(picked), Instant(early)),
            call=CallId(picked),
            agent=AgentId("1001"),
            queue=QueueId("support"),
            started_at=Instant(early + 3),
        )
        await api.database.history().record([heard])
        [entry] = (await api.database.recordings().entries(call=CallId(picked))).items
        body = {"call": picked, "agent": "1001", "score": 90}
        assert (await api.call("POST", "/api/v1/qa/evaluations", api.supervisor, body))[0] == 201
        _, again = await api.call("GET", "/api/v1/qa/sample", api.supervisor)
        assert {a["agent"]: a for a in again["agents"]}["1001"]["evaluated"] == [picked]
        assert {a["agent"]: a for a in again["agents"]}["1001"]["recordings"] == {
            picked: [entry.id]
        }
        assert [a["calls"] for a in again["agents"]] == [
            a["calls"] for a in answer["agents"]
        ]  # stable
        agent = await api.log_in("1001")
        assert (await api.call("GET", "/api/v1/qa/sample", agent))[0] == 403


async def test_a_parameter_set_for_a_team_applies_to_its_agents(tmp_path: Path) -> None:
    """Rulebook rule 3: 1001 in the team `night`, whose grace is 15 minutes, is not late
    ~12 minutes after its duty's start; 1002, outside the team, is."""
    async with running_api(tmp_path, audit_interval=0.2) as api:
        agent = {"name": "Agent 1001", "queues": {"support": 0}, "team": "night"}
        status, answer = await api.call("PUT", "/api/v1/admin/agents/1001", api.admin, agent)
        assert status == 200, answer
        body = {"scope": "team", "target": "night", "value": 900}
        assert (await api.call("PUT", "/api/v1/compliance/rules/P4.late/grace", api.admin, body))[
            0
        ] == 200
        start = datetime.fromtimestamp(api.now() - 720, UTC).replace(second=0, microsecond=0)
        end = start + timedelta(hours=4)
        day = start.date().isoformat()
        rows = [row(a, f"{start:%H:%M}", f"{end:%H:%M}", day=day) for a in ("1001", "1002")]
        week = {"since": day, "until": (start + timedelta(days=1)).date().isoformat()}
        assert (await api.call("PUT", "/api/v1/schedule", api.admin, {**week, "activities": rows}))[
            0
        ] == 200
        await api.log_in("1001")
        await api.log_in("1002")

        async def late() -> list[str]:
            _, found = await api.call("GET", "/api/v1/findings?rule=P4.late", api.supervisor)
            return [f["agent"] for f in found["findings"]]

        assert await eventually(late, within=10, what="1002 late") == ["1002"]
        period = {"since": start.timestamp() - 60, "until": start.timestamp() + 60}
        _, audit = await api.call("POST", "/api/v1/compliance/evaluate", api.supervisor, period)
        assert (audit["found"], audit["raised"]) == (1, 0) and await late() == ["1002"]
