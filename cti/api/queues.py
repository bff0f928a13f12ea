"""The live queue view: callers in serve order, members by state, open offers (C8, P23).

Rule 1: every queue seen or configured is listed, even with nobody waiting.
Rule 2: any role may read it; agents see callers' numbers masked (P22), supervisors and
admins see them whole.
Rule 3: the not-ready reasons (P5) are read by any role too: agents choose from them,
supervisors force them (C8); system reasons (no answer, busy, unavailable) are not listed.
"""

from __future__ import annotations

from aiohttp import web

from cti.api import answers, views
from cti.api.auth import identify
from cti.api.context import context_of
from cti.api.route import WATCHING, route

routes = web.RouteTableDef()


@route(
    routes,
    "GET",
    "/api/v1/queues",
    answer=answers.Queues,
    roles=WATCHING,
    tag="supervisors",
    summary="Every queue: callers in serve order, members by state, offers (C8)",
)
async def list_queues(request: web.Request) -> web.Response:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    state, now = ctx.engine.state, ctx.now()
    shown = identity.sees_numbers
    queues = [views.queue_view(state, q, now, numbers=shown) for q in views.queue_ids(state)]
    return web.json_response({"queues": queues})


@route(
    routes,
    "GET",
    "/api/v1/reasons",
    answer=answers.Reasons,
    tag="supervisors",
    summary="The not-ready reasons an agent may be put in, with their limits (P5)",
)
async def list_reasons(request: web.Request) -> web.Response:
    ctx = context_of(request)
    await identify(ctx, request)
    reasons = ctx.engine.state.config.reasons
    return web.json_response({"reasons": [views.reason_view(reasons[c]) for c in sorted(reasons)]})
