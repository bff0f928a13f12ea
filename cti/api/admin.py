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

from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel

from cti.api import answers, views
from cti.api.auth import identify, require
from cti.api.context import ApiContext, context_of
from cti.api.errors import ApiError
from cti.api.identity import Identity
from cti.api.route import ADMIN, route
from cti.api.shapes import AgentBody, Empty, QueueBody, ReasonBody
from cti.domain.commands import LoadConfig
from cti.domain.config import AcdConfig, AgentProfile, NotReadyReason, QueueConfig
from cti.domain.ids import AgentId, QueueId
from cti.schema.model import updated
from cti.storage.tokens import Role

routes = web.RouteTableDef()
Change = Callable[[ApiContext], Awaitable[AcdConfig | None]]


async def _admin(request: web.Request) -> tuple[ApiContext, Identity]:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    require(identity, Role.ADMIN)
    return ctx, identity


async def _changed(request: web.Request, change: Change) -> None:
    """Rule 2: the change stored, then the stored configuration loaded, one at a time (the
    store answers it with the change: ConfigStore rule 6; a reload reads it)."""
    ctx, identity = await _admin(request)
    async with ctx.admin_lock:
        config = await change(ctx) or await ctx.directory.load()
        await ctx.execute(LoadConfig(at=ctx.now(), config=config, by=identity.by))


@route(
    routes,
    "POST",
    "/api/v1/admin/reload",
    body=Empty,
    body_required=False,
    summary="Load the stored configuration again (after a change made in the database)",
    answer=answers.Changed,
    roles=ADMIN,
    tag="admin",
)
async def reload_config(request: web.Request, _body: Empty) -> web.Response:
    await _changed(request, _nothing)
    return web.json_response({"reloaded": True})


async def _nothing(_ctx: ApiContext) -> None:
    return None


@route(
    routes,
    "GET",
    "/api/v1/admin/config",
    summary="The stored configuration",
    answer=answers.Config,
    roles=ADMIN,
    tag="admin",
)
async def get_config(request: web.Request) -> web.Response:
    ctx, _ = await _admin(request)
    return web.json_response(views.config_view(await ctx.directory.load()))


@route(
    routes,
    "PUT",
    "/api/v1/admin/queues/{queue_id}",
    body=QueueBody,
    summary="Create or replace a queue",
    answer=answers.Changed,
    roles=ADMIN,
    errors=(422,),
    tag="admin",
)
async def put_queue(request: web.Request, body: BaseModel) -> web.Response:
    queue = updated(QueueConfig(id=QueueId(request.match_info["queue_id"])), body)
    await _changed(request, lambda ctx: ctx.directory.put_queue(queue))
    return web.json_response({"queue": views.queue_config_view(queue)})


@route(
    routes,
    "DELETE",
    "/api/v1/admin/queues/{queue_id}",
    summary="Delete a queue without members",
    answer=answers.Changed,
    roles=ADMIN,
    errors=(404, 409),
    tag="admin",
)
async def delete_queue(request: web.Request) -> web.Response:
    queue = QueueId(request.match_info["queue_id"])
    await _changed(request, lambda ctx: ctx.directory.delete_queue(queue))
    return web.json_response({"deleted": {"queue": queue}})


@route(
    routes,
    "PUT",
    "/api/v1/admin/agents/{agent_id}",
    body=AgentBody,
    summary="Create or replace an agent (and its PIN)",
    answer=answers.Changed,
    roles=ADMIN,
    errors=(422,),
    tag="admin",
)
async def put_agent(request: web.Request, body: BaseModel) -> web.Response:
    profile = updated(AgentProfile(id=AgentId(request.match_info["agent_id"])), body)
    pin: str | None = getattr(body, "pin", None)
    await _changed(request, lambda ctx: ctx.directory.put_agent(profile, pin))
    return web.json_response({"agent": views.agent_profile_view(profile)})


@route(
    routes,
    "DELETE",
    "/api/v1/admin/agents/{agent_id}",
    summary="Delete an agent who is logged out",
    answer=answers.Changed,
    roles=ADMIN,
    errors=(404, 409),
    tag="admin",
)
async def delete_agent(request: web.Request) -> web.Response:
    agent = AgentId(request.match_info["agent_id"])

    async def delete(ctx: ApiContext) -> AcdConfig:
        if agent in ctx.engine.state.agents:  # rule 3, checked under the lock
            raise ApiError(409, f"agent {agent} is logged in; log it out first")
        return await ctx.directory.delete_agent(agent)

    await _changed(request, delete)
    return web.json_response({"deleted": {"agent": agent}})


@route(
    routes,
    "PUT",
    "/api/v1/admin/reasons/{code}",
    body=ReasonBody,
    summary="Create or replace a not-ready reason",
    answer=answers.Changed,
    roles=ADMIN,
    errors=(422,),
    tag="admin",
)
async def put_reason(request: web.Request, body: BaseModel) -> web.Response:
    reason = updated(NotReadyReason(code=request.match_info["code"]), body)
    await _changed(request, lambda ctx: ctx.directory.put_reason(reason))
    return web.json_response({"reason": views.reason_view(reason)})


@route(
    routes,
    "DELETE",
    "/api/v1/admin/reasons/{code}",
    summary="Delete a not-ready reason",
    answer=answers.Changed,
    roles=ADMIN,
    errors=(404,),
    tag="admin",
)
async def delete_reason(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    await _changed(request, lambda ctx: ctx.directory.delete_reason(code))
    return web.json_response({"deleted": {"reason": code}})
