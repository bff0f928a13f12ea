"""HTTP API (aiohttp): health, metrics, and the agent, supervisor and admin API (C7, C8).

Rules:
1. Handlers are thin: they check who asks, parse the body, hand a command to the engine
   (or read its state or a storage port) and shape JSON (cti/api/views.py).
2. Errors are JSON `{"error": reason}` with the right status (cti/api/errors.py); nothing
   leaks a traceback.
3. Typed AppKeys. The engine, storage and the AMI link are owned by main.py; the app owns
   only its WebSocket connections, which it closes on shutdown (before cleanup).
4. Route modules: agents (desk and agent list), queues, events (WebSocket), history,
   admin, campaigns (and do-not-call), campaign_stats (a campaign's statistics and
   attempts, outbound seats' days), callbacks (P9, P18), openapi. Every route is in the
   OpenAPI document and vice versa: each is declared once, with cti/api/route.py.
"""

from __future__ import annotations

from aiohttp import web

from cti.api import (
    admin,
    agents,
    answers,
    breaks,
    callbacks,
    campaign_stats,
    campaigns,
    compliance,
    events,
    figures,
    history,
    monitoring,
    notices,
    openapi,
    pages,
    queues,
    recordings,
    session,
    softphones,
)
from cti.api.context import ApiContext, LoginTokens, context_key, context_of
from cti.api.errors import MAX_BODY_BYTES, error_middleware
from cti.api.hub import Hub
from cti.api.route import route
from cti.metrics import CONTENT_TYPE

__all__ = ["ApiContext", "Hub", "LoginTokens", "context_key", "create_app"]

routes = web.RouteTableDef()


@route(
    routes,
    "GET",
    "/healthz",
    summary="AMI and database health: 200 when both are up, else 503 saying what is down",
    answer=answers.Health,
    public=True,
    tag="operations",
)
async def healthz(request: web.Request) -> web.Response:
    ctx = context_of(request)
    ami_up = ctx.ami_up()
    database = await ctx.database_health()  # at most one probe a second (storage/health.py)
    healthy = ami_up and database.ok
    body = answers.Health(
        status="ok" if healthy else "degraded",
        ami=answers.AmiHealth(connected=ami_up, reconnects=ctx.ami_reconnects()),
        database=answers.DatabaseHealth(
            reachable=database.reachable,
            writable=database.writable,
            file=None if database.file is None else database.file.value,
            reason=database.reason,
        ),
    )
    return web.json_response(body.model_dump(mode="json"), status=200 if healthy else 503)


@route(
    routes,
    "GET",
    "/metrics",
    summary="Prometheus metrics (text format)",
    answer=None,
    public=True,
    tag="operations",
)
async def metrics(request: web.Request) -> web.Response:
    body = context_of(request).render_metrics()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def create_app(context: ApiContext) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)
    app[context_key] = context
    for table in (
        routes,
        openapi.routes,
        agents.routes,
        queues.routes,
        events.routes,
        history.routes,
        figures.routes,
        admin.routes,
        campaigns.routes,
        campaign_stats.routes,
        callbacks.routes,
        breaks.routes,
        compliance.routes,
        session.routes,
        monitoring.routes,
        recordings.routes,
        notices.routes,
        softphones.routes,
        pages.routes,
    ):
        app.add_routes(table)
    app.on_shutdown.append(context.hub.close_all)
    app.on_shutdown.append(context.uploads.cancel)
    return app
