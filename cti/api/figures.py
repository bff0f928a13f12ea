"""Figures routes: an agent's and a queue's figures over a time range (C6, P14, P23).

Rules:
1. An agent reads its own figures; supervisors and admins any agent's. A queue's figures
   are for supervisors and admins (the wallboard); agents get 403.
2. Ranges are half-open, [since, until), in epoch seconds or ISO 8601 with an offset;
   until defaults to now and since to 24 hours before until (cti.api.query rule 3).
3. A queue's figures are the README's definitions (Contact-centre figures), computed as
   cti.storage.queue_figures says, with the queue's configured service-level T; a queue
   that is not configured is 404. Durations are seconds rounded to milliseconds
   (cti.api.views rule 2); rates are fractions (0-1), null when nothing was counted.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from cti.api import answers, views
from cti.api.agents import agent_id
from cti.api.auth import identify, require_agent
from cti.api.context import context_of
from cti.api.errors import ApiError
from cti.api.query import WHEN, figures_range, moment, query_fields
from cti.api.route import BOARD, route
from cti.domain.ids import QueueId

routes = web.RouteTableDef()

SINCE: Final = f"{WHEN} (default: 24 hours before until)"
UNTIL: Final = f"{WHEN} (default: now)"


@route(
    routes,
    "GET",
    "/api/v1/agents/{agent_id}/figures",
    summary="An agent's figures over [since, until)",
    answer=answers.Figures,
    errors=(400,),
    query={"since": moment(SINCE), "until": moment(UNTIL)},
    tag="history",
)
async def agent_figures(request: web.Request) -> web.Response:
    ctx, agent = context_of(request), agent_id(request)
    identity = await identify(ctx, request)
    require_agent(identity, agent)
    query_fields(request.query, {"since", "until"})
    since, until = figures_range(request.query, ctx.now())
    found = await ctx.history.agent_figures(since, until, agent=agent)
    return web.json_response({"figures": views.figures_view(agent, since, until, found)})


@route(
    routes,
    "GET",
    "/api/v1/queues/{queue_id}/figures",
    summary="A queue's offered, answered and abandoned calls, service level, ASA and AHT "
    "over [since, until) (supervisors, admins, viewers)",
    answer=answers.QueueFiguresAnswer,
    roles=BOARD,
    errors=(400, 404),
    query={"since": moment(SINCE), "until": moment(UNTIL)},
    tag="history",
)
async def queue_figures(request: web.Request) -> web.Response:
    ctx = context_of(request)
    queue = QueueId(request.match_info["queue_id"])
    query_fields(request.query, {"since", "until"})
    since, until = figures_range(request.query, ctx.now())
    config = ctx.engine.state.config.queues.get(queue)
    if config is None:
        raise ApiError(404, f"unknown queue {queue}")
    found = await ctx.history.queue_figures(queue, config.service_level_seconds, since, until)
    return web.json_response({"figures": views.queue_figures_view(found, since, until)})
