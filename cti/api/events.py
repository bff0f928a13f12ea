"""The WebSocket route: `GET /api/v1/events` joins the live feed (C7, C8).

Rule 1: the token is checked before the upgrade (401/403 as plain JSON answers): a bearer
header from a program, the session cookie from the pages (cti/api/auth.py rules 1, 1a: no
credential in the URL; browsers cannot set headers on a WebSocket, but send the cookie).
Rule 2: what each role receives is the hub's business (cti/api/hub.py).
Rule 3: `feed=board` asks for the wallboard's feed (hub rule 7a): the snapshot, the views,
alerts, monitoring and notices, without a message per event; `feed=events` (the default)
is everything.
"""

from __future__ import annotations

from enum import StrEnum

from aiohttp import web

from cti.api.auth import identify
from cti.api.context import context_of
from cti.api.query import choice, one_of, query_fields
from cti.api.route import WATCHING, route

routes = web.RouteTableDef()


class Feed(StrEnum):
    EVENTS = "events"
    BOARD = "board"


@route(
    routes,
    "GET",
    "/api/v1/events",
    summary="WebSocket: snapshot, then live events (screen pop for agents, C7)",
    answer=None,
    status=101,
    errors=(400,),
    roles=WATCHING,
    query={"feed": one_of("events (every message, the default) or board (rule 3)", Feed)},
    tag="supervisors",
)
async def events(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    query_fields(request.query, {"feed"})
    feed = choice(request.query, "feed", Feed) or Feed.EVENTS
    identity = await identify(ctx, request)
    return await ctx.hub.serve(request, identity, board_only=feed is Feed.BOARD)
