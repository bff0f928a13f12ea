"""Admin routes: queues, agents and not-ready reasons kept by the ConfigStore (C2, P5).

Rules:
1. Admin tokens only (403 otherwise).
2. Each change is stored first (the store validates the whole resulting configuration
   and refuses it whole: 422, or 404/409 for deletes), then the engine reloads the stored
   configuration with LoadConfig, so the engine always routes by what is stored.
   Changes are serialised (`admin_lock`), so reloads arrive in the order of the changes.
   If the engine does not answer in time the change stays stored and the answer is 503;
   the next change (or a restart) loads it.
3. An agent who is logged in cannot be deleted (409): log it out first.
4. PUT replaces the whole value; PINs are never returned.
"""

from __future__ import annotations

from aiohttp import web

from cti.api import bodies, views
from cti.api.auth import identify, require
from cti.api.context import ApiContext, context_of
from cti.api.errors import ApiError
from cti.api.identity import Identity
from cti.domain.commands import LoadConfig
from cti.domain.ids import AgentId, QueueId
from cti.storage.tokens import Role

routes = web.RouteTableDef()


async def _admin(request: web.Request) -> tuple[ApiContext, Identity]:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    require(identity, Role.ADMIN)
    return ctx, identity


async def _reload(ctx: ApiContext, identity: Identity) -> None:
    config = await ctx.directory.load()
    await ctx.execute(LoadConfig(at=ctx.now(), config=config, by=identity.by))


@routes.get("/api/v1/admin/config")
async def get_config(request: web.Request) -> web.Response:
    ctx, _ = await _admin(request)
    return web.json_response(views.config_view(await ctx.directory.load()))


@routes.put("/api/v1/admin/queues/{queue_id}")
async def put_queue(request: web.Request) -> web.Response:
    ctx, identity = await _admin(request)
    queue = bodies.queue_body(QueueId(request.match_info["queue_id"]), await _body(request))
    async with ctx.admin_lock:
        await ctx.directory.put_queue(queue)
        await _reload(ctx, identity)
    return web.json_response({"queue": views.queue_config_view(queue)})


@routes.delete("/api/v1/admin/queues/{queue_id}")
async def delete_queue(request: web.Request) -> web.Response:
    ctx, identity = await _admin(request)
    queue = QueueId(request.match_info["queue_id"])
    async with ctx.admin_lock:
        await ctx.directory.delete_queue(queue)
        await _reload(ctx, identity)
    return web.json_response({"deleted": {"queue": queue}})


@routes.put("/api/v1/admin/agents/{agent_id}")
async def put_agent(request: web.Request) -> web.Response:
    ctx, identity = await _admin(request)
    profile, pin = bodies.agent_body(AgentId(request.match_info["agent_id"]), await _body(request))
    async with ctx.admin_lock:
        await ctx.directory.put_agent(profile, pin)
        await _reload(ctx, identity)
    return web.json_response({"agent": views.agent_profile_view(profile)})


@routes.delete("/api/v1/admin/agents/{agent_id}")
async def delete_agent(request: web.Request) -> web.Response:
    ctx, identity = await _admin(request)
    agent = AgentId(request.match_info["agent_id"])
    async with ctx.admin_lock:
        if agent in ctx.engine.state.agents:
            raise ApiError(409, f"agent {agent} is logged in; log it out first")
        await ctx.directory.delete_agent(agent)
        await _reload(ctx, identity)
    return web.json_response({"deleted": {"agent": agent}})


@routes.put("/api/v1/admin/reasons/{code}")
async def put_reason(request: web.Request) -> web.Response:
    ctx, identity = await _admin(request)
    reason = bodies.reason_body(request.match_info["code"], await _body(request))
    async with ctx.admin_lock:
        await ctx.directory.put_reason(reason)
        await _reload(ctx, identity)
    return web.json_response({"reason": views.reason_view(reason)})


@routes.delete("/api/v1/admin/reasons/{code}")
async def delete_reason(request: web.Request) -> web.Response:
    ctx, identity = await _admin(request)
    code = request.match_info["code"]
    async with ctx.admin_lock:
        await ctx.directory.delete_reason(code)
        await _reload(ctx, identity)
    return web.json_response({"deleted": {"reason": code}})


async def _body(request: web.Request) -> dict[str, object]:
    return await bodies.read_object(request)
