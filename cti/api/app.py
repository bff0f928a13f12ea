"""HTTP API (aiohttp): health, queues and Prometheus metrics.

Rules:
1. Handlers are thin: they read the engine's state or a port and shape JSON.
2. Errors are JSON with a reason and the right status; nothing leaks a traceback.
3. Typed AppKeys; anything with a lifetime is owned by main.py, not by handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from cti.domain.acd import AcdState
from cti.domain.ids import Instant, QueueId
from cti.metrics import CONTENT_TYPE


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiContext:
    state: Callable[[], AcdState]
    now: Callable[[], Instant]
    ami_up: Callable[[], bool]
    ami_reconnects: Callable[[], int]
    database_reachable: Callable[[], Awaitable[bool]]
    render_metrics: Callable[[], bytes]


context_key = web.AppKey("context", ApiContext)
routes = web.RouteTableDef()

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json":
            raise
        return web.json_response({"error": exc.reason}, status=exc.status)


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    ctx = request.app[context_key]
    ami_up = ctx.ami_up()
    db_ok = await ctx.database_reachable()
    body = {
        "status": "ok" if ami_up and db_ok else "degraded",
        "ami": {"connected": ami_up, "reconnects": ctx.ami_reconnects()},
        "database": {"reachable": db_ok},
    }
    return web.json_response(body, status=200 if ami_up and db_ok else 503)


@routes.get("/api/v1/queues")
async def queues(request: web.Request) -> web.Response:
    ctx = request.app[context_key]
    state, now = ctx.state(), ctx.now()
    queues = sorted(state.known_queues)
    return web.json_response({"queues": [_queue(state, q, now) for q in queues]})


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    body = request.app[context_key].render_metrics()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def _queue(state: AcdState, queue: str, now: Instant) -> dict[str, Any]:
    calls = state.waiting.in_queue(QueueId(queue))
    return {
        "queue": queue,
        "waiting": len(calls),
        "oldest_wait_seconds": round(max((now - c.entered_at for c in calls), default=0.0), 3),
        "calls": [
            {
                "position": position,
                "call_id": c.call,
                "caller": c.caller,
                "priority": c.priority,
                "entered_at": c.entered_at,
                "waited_seconds": round(max(0.0, now - c.entered_at), 3),
            }
            for position, c in enumerate(calls, start=1)
        ],
    }


def create_app(context: ApiContext) -> web.Application:
    app = web.Application(middlewares=[error_middleware])
    app[context_key] = context
    app.add_routes(routes)
    return app
