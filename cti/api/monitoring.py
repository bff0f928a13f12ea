"""Monitoring routes: listen, whisper and barge on an agent's call (C8), the sessions
recorded, and the weekly monitoring quota they count toward (P11).

Rules:
1. Supervisors and admins only (403 for agents). A supervisor speaks for itself: the
   session they start or end is theirs (by their name; an API token's name for a token).
2. `POST /api/v1/monitoring {agent, mode, device?}` calls the supervisor's device, which
   then spies on the agent's leg; asked again for the same agent in another mode, it
   switches the running session (no new call). The device is the body's, else the one set
   with `cti admin supervisor phone`; with neither, 422 naming `device`. What the core
   refuses (an agent not on a call, a device not registered or busy, another agent being
   monitored already) is 404/409 with the reason; nothing changes.
3. `DELETE /api/v1/monitoring` ends the supervisor's session (409 when there is none).
4. `GET /api/v1/monitoring` lists live sessions of every supervisor; `GET
   /api/v1/monitoring/sessions` the recorded ones, oldest first, paged, filterable by
   agent, supervisor and range; `GET /api/v1/monitoring/quota?week=YYYY-MM-DD` every
   agent's monitored calls in the week holding that day, in the centre's time zone
   (cti/domain/monitoring_quota.py).
5. Each start, switch and end is written to the `cti.audit` log with who and on whom.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Final

from aiohttp import web

from cti.api import answers, views
from cti.api.auth import identify, require
from cti.api.context import ApiContext, context_of
from cti.api.cursor import DESCRIBED, PARAMETER, Filters, Listing
from cti.api.errors import ApiError
from cti.api.identity import SUPERVISING, Identity
from cti.api.query import (
    calendar_day,
    count,
    date_of,
    moment,
    positive_int,
    query_fields,
    time_range,
)
from cti.api.route import route
from cti.api.shapes import Empty, Monitoring, device_of
from cti.api.spy_view import spy_view
from cti.domain.commands import EndMonitoring, Monitor
from cti.domain.ids import AgentId, DeviceId, Instant
from cti.domain.monitoring import spy_of
from cti.domain.monitoring_quota import WEEKLY_CALLS, quotas, week_of
from cti.domain.records import SpyMode
from cti.domain.state import AcdState
from cti.schema.plain import plain_object

audit = logging.getLogger("cti.audit")
routes = web.RouteTableDef()

MAX_SESSIONS: Final = 1000
SESSIONS: Final = Listing("monitoring", int)
ACT: Final = (404, 409, 422)


async def _supervisor(ctx: ApiContext, request: web.Request) -> Identity:
    identity = await identify(ctx, request)
    require(identity, *SUPERVISING)
    return identity


def _own(state: AcdState, identity: Identity) -> web.Response:
    spy = spy_of(state.spies.values(), identity.name)
    return web.json_response({"monitoring": None if spy is None else spy_view(spy)})


@route(
    routes,
    "POST",
    "/api/v1/monitoring",
    body=Monitoring,
    answer=answers.MonitoringAnswer,
    summary="Listen, whisper or barge on an agent's call from the supervisor's own phone "
    "(C8); asked again in another mode, switch the running session",
    errors=(403, *ACT),
    tag="supervisors",
)
async def monitor(request: web.Request, body: Monitoring) -> web.Response:
    ctx = context_of(request)
    identity = await _supervisor(ctx, request)
    device = await _device(ctx, identity, body.device)
    command = Monitor(
        at=ctx.now(),
        agent=AgentId(body.agent),
        supervisor=identity.name,
        device=device,
        mode=SpyMode(body.mode),
        by=identity.by,
    )
    decision = await ctx.execute(command)
    audit.info("%s monitors agent %s (%s) from %s", identity.by, body.agent, body.mode, device)
    return _own(decision.state, identity)


async def _device(ctx: ApiContext, identity: Identity, given: str | None) -> DeviceId:
    if given:
        return device_of(given)
    stored = await ctx.directory.supervisor_device(identity.name)
    if stored:
        return DeviceId(stored)
    raise ApiError(
        422, "no device: give one, or set yours with `cti admin supervisor phone`", field="device"
    )


@route(
    routes,
    "DELETE",
    "/api/v1/monitoring",
    body=Empty,
    body_required=False,
    answer=answers.MonitoringAnswer,
    summary="End the supervisor's monitoring session (their phone is hung up)",
    errors=(403, 409),
    tag="supervisors",
)
async def end_monitoring(request: web.Request, _body: Empty) -> web.Response:
    ctx = context_of(request)
    identity = await _supervisor(ctx, request)
    decision = await ctx.execute(
        EndMonitoring(at=ctx.now(), supervisor=identity.name, by=identity.by)
    )
    audit.info("%s ends monitoring", identity.by)
    return _own(decision.state, identity)


@route(
    routes,
    "GET",
    "/api/v1/monitoring",
    answer=answers.MonitoringList,
    summary="Every supervisor's live monitoring session",
    errors=(403,),
    tag="supervisors",
)
async def live(request: web.Request) -> web.Response:
    ctx = context_of(request)
    await _supervisor(ctx, request)
    spies = sorted(ctx.engine.state.spies.values(), key=lambda s: (s.supervisor, s.asked_at))
    return web.json_response({"monitoring": [spy_view(s) for s in spies]})


@route(
    routes,
    "GET",
    "/api/v1/monitoring/sessions",
    answer=answers.MonitoringSessions,
    summary="Recorded monitoring sessions (one per stretch in one mode), oldest first, paged",
    errors=(400, 403),
    query={
        "agent": "an agent id",
        "supervisor": "a supervisor's name",
        "since": moment(),
        "until": moment(),
        "limit": count(MAX_SESSIONS, MAX_SESSIONS),
        PARAMETER: DESCRIBED,
    },
    tag="supervisors",
)
async def sessions(request: web.Request) -> web.Response:
    ctx = context_of(request)
    await _supervisor(ctx, request)
    query = request.query
    query_fields(query, {"agent", "supervisor", "since", "until", "limit", PARAMETER})
    agent = AgentId(query["agent"]) if query.get("agent") else None
    supervisor = query.get("supervisor") or None
    since, until = time_range(query)
    bound: Filters = {"agent": agent, "supervisor": supervisor, "since": since, "until": until}
    page = await ctx.history.monitoring_sessions(
        agent=agent,
        supervisor=supervisor,
        since=since,
        until=until,
        limit=positive_int(query, "limit", MAX_SESSIONS, MAX_SESSIONS),
        after=SESSIONS.resume(query, bound),
    )
    found = [{**plain_object(s), "seconds": views.seconds(s.seconds)} for s in page.items]
    return web.json_response({"sessions": found, "next": SESSIONS.next(bound, page.after)})


@route(
    routes,
    "GET",
    "/api/v1/monitoring/quota",
    answer=answers.MonitoringQuota,
    summary="P11: each agent's calls monitored in a week (Monday to Monday in the centre's "
    "time zone) against the weekly target",
    errors=(400, 403),
    query={"week": calendar_day("YYYY-MM-DD, a day of the week (default: this week)")},
    tag="supervisors",
)
async def quota(request: web.Request) -> web.Response:
    ctx = context_of(request)
    await _supervisor(ctx, request)
    query_fields(request.query, {"week"})
    day = date_of(request.query, "week")
    at = (
        ctx.now() if day is None else Instant(datetime.combine(day, time(12), ctx.zone).timestamp())
    )
    since, until = week_of(at, ctx.zone)
    found = quotas(await ctx.history.monitored(since, until), ctx.engine.state.config.agents)
    agents = [{**plain_object(q), "met": q.met} for q in found]
    body = {"since": since, "until": until, "target": WEEKLY_CALLS, "agents": agents}
    return web.json_response(body)
