"""Compliance routes (issue 16): the rulebook and its parameters, agents' schedules, a
supervisor's acknowledgement of a finding, and the evaluation of a past period.

Rules:
1. Supervisors and admins read the rulebook; admins set and clear parameters (per centre,
   team or agent), each checked by the rulebook: a 422 naming the rule's parameter.
2. A schedule is replaced a period of local dates at a time (cti.storage.compliance_store
   rule 1), as JSON rows or a CSV file (columns agent, date, start, end[, activity]), by
   admins; a bad row is a 422 naming it (`row n` of the JSON, `line n` of the file) and
   its field, and nothing is changed. Agents read only their own schedule.
3. A finding is acknowledged once by a supervisor or admin, with a note (404, 409).
4. Evaluating a period judges again every duty that started in it and raises the
   findings not raised before (cti/audit/auditor.py rule 2).
5. Handover notes (P12): an agent writes one for the successor of the handover it gives
   on a position now (cti/domain/compliance/handover.py successor_of; 422 when none is
   scheduled); the successor alone acknowledges it, once. Agents read the notes they
   wrote or were written for them; supervisors all.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Final

from aiohttp import web

from cti.api import answers
from cti.api.auth import identify
from cti.api.campaigns import CSV, csv_text
from cti.api.context import ApiContext, context_of
from cti.api.errors import ApiError, invalid
from cti.api.identity import SUPERVISING, Identity
from cti.api.query import choice, moment, one_of, query_fields, time_range
from cti.api.route import ADMIN, route
from cti.api.shapes import (
    AckBody,
    AuditBody,
    Empty,
    EvaluationBody,
    NoteBody,
    RuleParamBody,
    ScheduleBody,
)
from cti.domain.compliance.handover import successor_of
from cti.domain.compliance.qa_sample import DAY, sample
from cti.domain.compliance.rulebook import RULEBOOK, Override, RuleSpec, Scope
from cti.domain.compliance.schedule import LONGEST, Activity, Row, ScheduleError, parsed
from cti.domain.ids import AgentId, CallId, Instant
from cti.domain.monitoring_quota import week_of
from cti.domain.records import Rule, SegmentKind
from cti.domain.setting import SettingError
from cti.domain.today import day_of, start_of
from cti.schema.plain import plain_object
from cti.storage.tokens import Role

routes = web.RouteTableDef()
audit = logging.getLogger("cti.audit")

COLUMNS: Final = ("agent", "date", "start", "end", "activity", "position")
LONGEST_RANGE: Final = 92 * 86_400.0  # a schedule read covers at most a quarter


@route(
    routes,
    "GET",
    "/api/v1/compliance/rules",
    summary="The compliance rules: what each checks, its evidence, parameters and defaults,"
    " and the values set per centre, team or agent",
    answer=answers.Rules,
    roles=SUPERVISING,
    tag="compliance",
)
async def list_rules(request: web.Request) -> web.Response:
    ctx = context_of(request)
    settings = await ctx.compliance.rule_settings()
    return web.json_response(
        {"rules": [_rule_view(spec, settings.overrides) for spec in RULEBOOK.values()]}
    )


def _rule_view(spec: RuleSpec, overrides: tuple[Override, ...]) -> dict[str, Any]:
    def set_for(param: str) -> list[dict[str, object]]:
        mine = [o for o in overrides if (o.rule, o.param) == (spec.rule, param)]
        return [{"scope": o.scope.value, "target": o.target, "value": o.value} for o in mine]

    return {
        "id": spec.rule.value,
        "requirement": spec.requirement,
        "title": spec.title,
        "checks": spec.checks,
        "evidence": spec.evidence,
        "source": spec.source.value,
        "configured_by": spec.configured_by,
        "params": [
            {
                "name": p.name,
                "doc": p.doc,
                "default": p.default,
                "bounds": p.bounds.reason().removeprefix("must be "),
                "scopes": sorted(s.value for s in p.scopes),
                "overrides": set_for(p.name),
            }
            for p in spec.params
        ],
    }


def _rule(request: web.Request) -> Rule:
    given = request.match_info["rule"]
    try:
        return Rule(given)
    except ValueError:
        raise ApiError(404, f"no compliance rule {given[:40]!r}") from None


@route(
    routes,
    "PUT",
    "/api/v1/compliance/rules/{rule}/{param}",
    body=RuleParamBody,
    summary="Set a rule's parameter for the centre, a team or an agent",
    answer=answers.RuleView,
    roles=ADMIN,
    errors=(404, 422),
    tag="compliance",
)
async def set_param(request: web.Request, body: RuleParamBody) -> web.Response:
    ctx, identity = context_of(request), await identify(context_of(request), request)
    rule = _rule(request)
    override = Override(
        rule=rule,
        param=request.match_info["param"],
        scope=Scope(body.scope),
        target=body.target,
        value=body.value,
    )
    try:
        await ctx.compliance.set_override(override, identity.by)
    except SettingError as exc:
        raise ApiError(422, str(exc), field="value" if "must be" in str(exc) else "param") from None
    settings = await ctx.compliance.rule_settings()
    return web.json_response(_rule_view(RULEBOOK[rule], settings.overrides))


@route(
    routes,
    "DELETE",
    "/api/v1/compliance/rules/{rule}/{param}",
    summary="Clear a rule's parameter for a scope: the next scope's value holds again",
    answer=None,
    status=204,
    roles=ADMIN,
    errors=(400, 404),
    query={
        "scope": one_of("centre (the default), team or agent", Scope),
        "target": "the team or agent",
    },
    tag="compliance",
)
async def clear_param(request: web.Request) -> web.Response:
    ctx = context_of(request)
    query_fields(request.query, {"scope", "target"})
    scope = choice(request.query, "scope", Scope) or Scope.CENTRE
    override = Override(
        rule=_rule(request),
        param=request.match_info["param"],
        scope=scope,
        target=request.query.get("target", ""),
        value=0.0,
    )
    if not await ctx.compliance.clear_override(override):
        raise ApiError(404, f"{override.rule}.{override.param} is not set for that {scope}")
    return web.Response(status=204)


# Schedules (rule 2) ----------------------------------------------------------------------


@route(
    routes,
    "GET",
    "/api/v1/schedule",
    summary="Scheduled activities overlapping a range (at most 92 days), by agent then start"
    " (agents: their own only)",
    answer=answers.Schedule,
    errors=(400, 403, 422),
    query={
        "since": moment(),
        "until": moment(),
        "agent": "one agent's (agents: their own only)",
    },
    tag="compliance",
)
async def get_schedule(request: web.Request) -> web.Response:
    ctx, identity = context_of(request), await identify(context_of(request), request)
    query_fields(request.query, {"since", "until", "agent"})
    since, until = time_range(request.query)
    if since is None or until is None:
        raise invalid("since", "a schedule is read for a range: give since and until")
    if until - since > LONGEST_RANGE:
        raise invalid("until", "a schedule is read at most 92 days at a time")
    agent = _own(identity, request.query.get("agent"))
    found = await ctx.compliance.schedule(since, until, agent)
    return web.json_response({"activities": [_activity_view(a, ctx.zone) for a in found]})


def _own(identity: Identity, asked: str | None) -> AgentId | None:
    if identity.role is not Role.AGENT:
        return AgentId(asked) if asked else None
    if identity.agent is None or (asked and asked != identity.agent):
        raise ApiError(403, "an agent may read only its own schedule")
    return identity.agent


def _activity_view(activity: Activity, zone: tzinfo) -> dict[str, object]:
    start = datetime.fromtimestamp(activity.start, zone)
    end = datetime.fromtimestamp(activity.end, zone)
    return {
        "agent": activity.agent,
        "start": activity.start,
        "end": activity.end,
        "activity": activity.activity,
        "local": {
            "date": start.date().isoformat(),
            "start": f"{start:%H:%M}",
            "end": f"{end:%H:%M}",
        },
    }


@route(
    routes,
    "PUT",
    "/api/v1/schedule",
    body=ScheduleBody,
    summary="Replace the schedule of a period of local dates with these activities (rows in"
    " the centre's local time; a bad row changes nothing)",
    answer=answers.ScheduleReplaced,
    roles=ADMIN,
    errors=(422,),
    tag="compliance",
)
async def put_schedule(request: web.Request, body: ScheduleBody) -> web.Response:
    ctx, identity = context_of(request), await identify(context_of(request), request)
    since, until = _period(body.since, body.until, ctx.zone)
    rows = [(r.agent, r.date, r.start, r.end, r.activity, r.position) for r in body.activities]
    return await _replace(ctx, identity, rows, since, until, lambda row: f"activities.{row - 1}")


@route(
    routes,
    "POST",
    "/api/v1/schedule/import",
    summary="Replace the schedule of a period of local dates (query since, until: YYYY-MM-DD)"
    " with a CSV file's rows: agent, date, start, end[, activity]",
    answer=answers.ScheduleReplaced,
    roles=ADMIN,
    errors=(400, 408, 413, 415, 422),
    content=CSV,
    query={"since": "the first local date replaced", "until": "the local date after the last"},
    tag="compliance",
)
async def import_schedule(request: web.Request) -> web.Response:
    ctx, identity = context_of(request), await identify(context_of(request), request)
    query_fields(request.query, {"since", "until"})
    since, until = _period(request.query.get("since", ""), request.query.get("until", ""), ctx.zone)
    text = await csv_text(request)
    rows, lines = _csv_rows(text)
    return await _replace(ctx, identity, rows, since, until, lambda row: f"line {lines[row - 1]}")


def _period(since: str, until: str, zone: tzinfo) -> tuple[Instant, Instant]:
    """Local midnights of the first date and of the date after the last."""
    found = []
    for name, text in (("since", since), ("until", until)):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise invalid(name, f"{text[:40]!r} is not a date (YYYY-MM-DD)") from None
        found.append(start_of(day, zone))
    if not found[1] > found[0]:
        raise invalid("until", "the period ends before it starts")
    return found[0], found[1]


def _csv_rows(text: str) -> tuple[list[Row], list[int]]:
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS[:4] if c not in header]
    if missing or any(h not in COLUMNS for h in header):
        raise ApiError(
            422,
            f"line 1: the header must name {', '.join(COLUMNS[:4])} (and may name"
            f" activity, position), not {header[:8]}",
        )
    rows, lines = [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ApiError(
                422, f"line {reader.line_num}: {len(row)} columns, the header has {len(header)}"
            )
        given = dict(zip(header, row, strict=True))
        rows.append(
            (
                given["agent"],
                given["date"],
                given["start"],
                given["end"],
                given.get("activity") or "on_queue",
                given.get("position", ""),
            )
        )
        lines.append(reader.line_num)
    return rows, lines


async def _replace(
    ctx: ApiContext,
    identity: Identity,
    rows: list[Row],
    since: Instant,
    until: Instant,
    where: Any,
) -> web.Response:
    agents = (await ctx.directory.load()).agents
    try:
        activities = parsed(rows, ctx.zone)
        replaced = await ctx.compliance.replace_schedule(
            activities, since, until, agents, identity.by
        )
    except ScheduleError as exc:
        if not exc.row:
            raise ApiError(422, exc.reason, field=exc.field) from None
        place = where(exc.row)
        raise ApiError(422, f"{place}: {exc.reason}", field=f"{place}.{exc.field}") from None
    return web.json_response({"replaced": replaced, "stored": len(activities)})


# Findings (rules 3, 4) -------------------------------------------------------------------


@route(
    routes,
    "POST",
    "/api/v1/findings/{finding_id}/acknowledgement",
    body=AckBody,
    summary="Acknowledge a finding once, with a note",
    answer=answers.Acknowledgement,
    status=201,
    roles=SUPERVISING,
    errors=(404, 409),
    tag="compliance",
)
async def acknowledge(request: web.Request, body: AckBody) -> web.Response:
    ctx, identity = context_of(request), await identify(context_of(request), request)
    given = request.match_info["finding_id"]
    if not given.isdigit() or len(given) > 18:
        raise ApiError(404, f"finding {given[:40]!r} does not exist")
    ack = await ctx.compliance.acknowledge(int(given), identity.by, body.note)
    view = {"finding": ack.finding, "by": ack.by, "at": ack.at, "note": ack.note}
    return web.json_response(view, status=201)


@route(
    routes,
    "POST",
    "/api/v1/compliance/evaluate",
    body=AuditBody,
    summary="Judge again every scheduled duty that started in a period; findings not raised"
    " before are raised now",
    answer=answers.AuditAnswer,
    roles=SUPERVISING,
    errors=(422,),
    tag="compliance",
)
async def evaluate(request: web.Request, body: AuditBody) -> web.Response:
    ctx = context_of(request)
    if not body.until > body.since:
        raise invalid("until", "the period ends before it starts")
    if body.until - body.since > LONGEST_RANGE:
        raise invalid("until", "a period is evaluated at most 92 days at a time")
    audit = await ctx.audit(body.since, body.until)
    return web.json_response({"duties": audit.duties, "found": audit.found, "raised": audit.raised})


@route(
    routes,
    "GET",
    "/api/v1/adherence",
    summary="Schedule adherence per agent for a local date (today: so far), P14",
    answer=answers.AdherenceAnswer,
    errors=(400, 403, 422),
    query={"date": "the centre's local date, YYYY-MM-DD (default: today)", "agent": "one agent's"},
    tag="compliance",
)
async def get_adherence(request: web.Request) -> web.Response:
    ctx, identity = context_of(request), await identify(context_of(request), request)
    query_fields(request.query, {"date", "agent"})
    agent = _own(identity, request.query.get("agent"))
    given = request.query.get("date")
    day = day_of(ctx.now(), ctx.zone).date if not given else None
    if given:
        try:
            day = date.fromisoformat(given)
        except ValueError:
            raise invalid("date", f"{given[:40]!r} is not a date (YYYY-MM-DD)") from None
    assert day is not None
    since, until = start_of(day, ctx.zone), start_of(day + timedelta(days=1), ctx.zone)
    found = [a for a in await ctx.adherence(since, until) if agent is None or a.agent == agent]
    views = [
        {
            "agent": a.agent,
            "scheduled": a.scheduled,
            "adherent": a.adherent,
            "adherence": a.ratio,
            "target": a.target,
            "met": a.met,
            "by_activity": {
                k: {"scheduled": s, "adherent": n} for k, (s, n) in a.by_activity.items()
            },
        }
        for a in found
    ]
    body = {"date": day.isoformat(), "since": since, "until": until, "agents": views}
    return web.json_response(body)


# Handover notes (rule 5) -----------------------------------------------------------------


@route(
    routes,
    "POST",
    "/api/v1/handover-notes",
    body=NoteBody,
    summary="The outgoing agent's note for its successor on a position (P12)",
    answer=answers.HandoverNoteView,
    status=201,
    errors=(403, 422),
    tag="compliance",
)
async def write_note(request: web.Request, body: NoteBody) -> web.Response:
    ctx, identity = context_of(request), await identify(context_of(request), request)
    if identity.role is not Role.AGENT or identity.agent is None:
        raise ApiError(403, "the outgoing agent writes its handover note, with its own token")
    now = ctx.now()
    planned = await ctx.compliance.schedule(Instant(now - LONGEST), Instant(now + LONGEST))
    found = successor_of(planned, identity.agent, body.position, now)
    if found is None:
        raise invalid(
            "position",
            f"no successor is scheduled after agent {identity.agent}'s activity on"
            f" {body.position} now",
        )
    note = await ctx.compliance.write_note(
        body.position, identity.agent, found.successor.agent, found.at, body.text
    )
    return web.json_response(plain_object(note), status=201)


@route(
    routes,
    "GET",
    "/api/v1/handover-notes",
    summary="Handover notes written in a range, oldest first (agents: by or for them)",
    answer=answers.HandoverNotes,
    errors=(400, 422),
    query={"since": moment(), "until": moment()},
    tag="compliance",
)
async def list_notes(request: web.Request) -> web.Response:
    ctx, identity = context_of(request), await identify(context_of(request), request)
    query_fields(request.query, {"since", "until"})
    since, until = time_range(request.query)
    now = ctx.now()
    mine = identity.agent if identity.role is Role.AGENT else None
    found = await ctx.compliance.notes(
        since if since is not None else Instant(now - 86400),
        until if until is not None else Instant(now + 1),
        mine,
    )
    return web.json_response({"notes": [plain_object(n) for n in found]})


@route(
    routes,
    "POST",
    "/api/v1/handover-notes/{note_id}/acknowledgement",
    body=Empty,
    body_required=False,
    summary="The successor acknowledges a handover note, once",
    answer=answers.HandoverNoteView,
    errors=(403, 404, 409),
    tag="compliance",
)
async def acknowledge_note(request: web.Request, _body: Empty) -> web.Response:
    ctx, identity = context_of(request), await identify(context_of(request), request)
    given = request.match_info["note_id"]
    note = await ctx.compliance.note(int(given)) if given.isdigit() and len(given) < 18 else None
    if note is None:
        raise ApiError(404, f"handover note {given[:40]!r} does not exist")
    if note.successor != identity.agent:
        raise ApiError(403, f"only {note.successor}, the successor, acknowledges this note")
    return web.json_response(plain_object(await ctx.compliance.acknowledge_note(note.id)))


# QA evaluations (P11) ------------------------------------------------------------------------


@route(
    routes,
    "POST",
    "/api/v1/qa/evaluations",
    body=EvaluationBody,
    summary="A QA evaluation of an agent's call with a score; it counts toward the agent's"
    " weekly monitoring quota (P11)",
    answer=answers.EvaluationView,
    status=201,
    roles=SUPERVISING,
    errors=(404, 422),
    tag="compliance",
)
async def evaluate_call(request: web.Request, body: EvaluationBody) -> web.Response:
    ctx, identity = context_of(request), await identify(context_of(request), request)
    detail = await ctx.history.call(CallId(body.call))
    if detail is None:
        raise ApiError(404, f"call {body.call[:40]!r} is not stored")
    talked = {s.agent for s in detail.record.segments if s.kind is SegmentKind.TALK}
    if AgentId(body.agent) not in talked:
        raise invalid("agent", f"agent {body.agent} did not talk on call {body.call[:40]}")
    found = await ctx.compliance.evaluate(
        CallId(body.call), AgentId(body.agent), identity.by, body.score, body.note
    )
    audit.info("qa evaluation by %s of %s on call %s", identity.by, body.agent, body.call)
    return web.json_response(plain_object(found), status=201)


@route(
    routes,
    "GET",
    "/api/v1/qa/evaluations",
    summary="QA evaluations made in a range, oldest first (agents: their own)",
    answer=answers.Evaluations,
    errors=(400, 403, 422),
    query={"since": moment(), "until": moment(), "agent": "one agent's (agents: their own)"},
    tag="compliance",
)
async def list_evaluations(request: web.Request) -> web.Response:
    ctx, identity = context_of(request), await identify(context_of(request), request)
    query_fields(request.query, {"since", "until", "agent"})
    since, until = time_range(request.query)
    agent = _own(identity, request.query.get("agent"))
    now = ctx.now()
    found = await ctx.compliance.evaluations(
        since if since is not None else Instant(now - 7 * 86400),
        until if until is not None else Instant(now + 1),
        agent,
    )
    return web.json_response({"evaluations": [plain_object(e) for e in found]})


async def _recorded(
    ctx: ApiContext, start: Instant, end: Instant
) -> dict[tuple[AgentId, CallId], list[int]]:
    """The week's recordings that can be played, by agent and call (the sample's audio)."""
    found: dict[tuple[AgentId, CallId], list[int]] = {}
    after = None
    while True:
        page = await ctx.recordings.entries(since=start, until=end, after=after)
        for entry in page.items:
            if entry.deleted_at is None:
                made = entry.recording
                found.setdefault((made.agent, made.call), []).append(entry.id)
        if page.after is None:
            return found
        after = page.after


@route(
    routes,
    "GET",
    "/api/v1/qa/sample",
    summary="The week's QA sample per agent: calls to evaluate, more for new or low-scoring"
    " agents (P11)",
    answer=answers.QaSample,
    roles=SUPERVISING,
    errors=(400, 422),
    query={"week": "a local date in the week, YYYY-MM-DD (default: this week)"},
    tag="compliance",
)
async def qa_sample(request: web.Request) -> web.Response:
    ctx = context_of(request)
    query_fields(request.query, {"week"})
    given = request.query.get("week")
    at = ctx.now()
    if given:
        try:
            at = start_of(date.fromisoformat(given), ctx.zone)
        except ValueError:
            raise invalid("week", f"{given[:40]!r} is not a date (YYYY-MM-DD)") from None
    start, end = week_of(at, ctx.zone)
    rates = ctx.qa_rates
    talked = await ctx.history.talked_calls(start, end)
    before = Instant(start - rates.score_days * DAY)
    scores: dict[AgentId, list[float]] = {}
    for e in await ctx.compliance.evaluations(before, start):
        scores.setdefault(e.agent, []).append(e.score)
    done = {(e.agent, e.call) for e in await ctx.compliance.evaluations(start, end)}
    found = sample(talked, start, rates, await ctx.history.first_logins(), scores)
    recorded = await _recorded(ctx, start, end)
    agents = [
        {
            "agent": s.agent,
            "rate": s.rate,
            "why": s.why,
            "calls": list(s.calls),
            "evaluated": [c for c in s.calls if (s.agent, c) in done],
            "recordings": {c: recorded[s.agent, c] for c in s.calls if (s.agent, c) in recorded},
        }
        for s in found
    ]
    return web.json_response({"week": {"start": start, "end": end}, "agents": agents})
