"""Agent routes: login, status, wrap-up, transfers (blind and attended), hang-up, the agent's
view (C4, C7, P3, P5, P8).

Rules:
1. Order of checks: credentials (401), role (403), body (400), then the engine decides
   (404, 409, 422 from its Rejected note); a refused command changes nothing.
2. Login is the one route without a token: the PIN is checked first and a wrong PIN and
   an unknown agent get the same 401. On success the agent gets a token bound to this
   login (cti/api/auth.py, rule 3); the token of its previous login is revoked.
3. The same status routes serve supervisors forcing an agent's state (C8); the command
   records who asked (`by`), which the core uses to tell a forced logout from an own one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from cti.api import bodies, views
from cti.api.auth import identify, require, require_agent, revoke_quietly
from cti.api.context import ApiContext, context_of
from cti.api.errors import ApiError
from cti.api.identity import Identity, login_token_name
from cti.domain.commands import (
    CancelConsult,
    Command,
    CompleteTransfer,
    ConsultAgent,
    EndWrapUp,
    HangUp,
    LogIn,
    LogOut,
    PreviewDial,
    PreviewNext,
    PreviewSkip,
    SetNotReady,
    SetReady,
    TransferToExtension,
    TransferToQueue,
    TransferToSurvey,
)
from cti.domain.ids import AgentId, Instant
from cti.domain.state import AcdState
from cti.storage.tokens import Role

routes = web.RouteTableDef()

Build = Callable[[Instant, AgentId, str, dict[str, object]], Command]


def agent_id(request: web.Request) -> AgentId:
    return AgentId(request.match_info["agent_id"])


def _answer(ctx: ApiContext, state: AcdState, agent: AgentId, **extra: Any) -> web.Response:
    view = views.agent_view(state, agent, ctx.now(), numbers=True)  # its own call (P22)
    return web.json_response({**extra, "agent": view})


@routes.post("/api/v1/agents/{agent_id}/login")
async def log_in(request: web.Request) -> web.Response:
    ctx, agent = context_of(request), agent_id(request)
    body = bodies.login_body(await bodies.read_object(request))
    if not await ctx.directory.verify_pin(agent, body.pin):
        raise ApiError(401, "wrong agent or PIN")
    command = LogIn(
        at=ctx.now(),
        agent=agent,
        device=body.device,
        address=request.remote or "",
        takeover=body.takeover,
        by=f"agent:{agent}",
    )
    state = (await ctx.execute(command)).state
    login = state.agents[agent].logged_in_at
    # Should storage fail here (503), the agent is logged in without a token: logging in
    # again with takeover recovers, and no one else can act under this login meanwhile.
    issued = await ctx.directory.issue_token(login_token_name(agent, login), Role.AGENT, agent)
    await revoke_quietly(ctx, ctx.login_tokens.swap(agent, issued.id))
    return _answer(ctx, state, agent, token=issued.secret)


async def _agent_command(request: web.Request, build: Build) -> web.Response:
    ctx, agent = context_of(request), agent_id(request)
    identity = await identify(ctx, request)
    require_agent(identity, agent)
    data = await bodies.read_object(request)
    decision = await ctx.execute(build(ctx.now(), agent, identity.by, data))
    return _answer(ctx, decision.state, agent)


def _log_out(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
    bodies.empty_body(data)
    return LogOut(at=at, agent=agent, by=by)


@routes.post("/api/v1/agents/{agent_id}/logout")
async def log_out(request: web.Request) -> web.Response:
    response = await _agent_command(request, _log_out)
    ctx = context_of(request)
    await revoke_quietly(ctx, ctx.login_tokens.pop(agent_id(request)))
    return response


@routes.post("/api/v1/agents/{agent_id}/ready")
async def set_ready(request: web.Request) -> web.Response:
    def build(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
        bodies.empty_body(data)
        return SetReady(at=at, agent=agent, by=by)

    return await _agent_command(request, build)


@routes.post("/api/v1/agents/{agent_id}/not-ready")
async def set_not_ready(request: web.Request) -> web.Response:
    def build(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
        return SetNotReady(at=at, agent=agent, reason=bodies.not_ready_body(data), by=by)

    return await _agent_command(request, build)


@routes.post("/api/v1/agents/{agent_id}/wrap-up/end")
async def end_wrap_up(request: web.Request) -> web.Response:
    def build(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
        return EndWrapUp(at=at, agent=agent, disposition=bodies.wrap_up_body(data), by=by)

    return await _agent_command(request, build)


@routes.post("/api/v1/agents/{agent_id}/transfer")
async def transfer(request: web.Request) -> web.Response:
    def build(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
        body = bodies.transfer_body(data)
        if body.queue is not None:
            return TransferToQueue(at=at, agent=agent, queue=body.queue, by=by)
        if body.extension is not None:
            return TransferToExtension(at=at, agent=agent, extension=body.extension, by=by)
        return TransferToSurvey(at=at, agent=agent, by=by)

    return await _agent_command(request, build)


@routes.post("/api/v1/agents/{agent_id}/consult")
async def consult(request: web.Request) -> web.Response:
    def build(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
        return ConsultAgent(at=at, agent=agent, target=bodies.consult_body(data), by=by)

    return await _agent_command(request, build)


@routes.post("/api/v1/agents/{agent_id}/consult/complete")
async def complete_transfer(request: web.Request) -> web.Response:
    def build(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
        bodies.empty_body(data)
        return CompleteTransfer(at=at, agent=agent, by=by)

    return await _agent_command(request, build)


@routes.post("/api/v1/agents/{agent_id}/consult/cancel")
async def cancel_consult(request: web.Request) -> web.Response:
    def build(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
        bodies.empty_body(data)
        return CancelConsult(at=at, agent=agent, by=by)

    return await _agent_command(request, build)


@routes.post("/api/v1/agents/{agent_id}/hangup")
async def hang_up(request: web.Request) -> web.Response:
    def build(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
        bodies.empty_body(data)
        return HangUp(at=at, agent=agent, by=by)

    return await _agent_command(request, build)


@routes.get("/api/v1/agents/{agent_id}")
async def get_agent(request: web.Request) -> web.Response:
    ctx, agent = context_of(request), agent_id(request)
    identity = await identify(ctx, request)
    require_agent(identity, agent)
    state = ctx.engine.state
    if agent not in state.config.agents and agent not in state.agents:
        raise ApiError(404, f"unknown agent {agent}")
    return _answer(ctx, state, agent)


@routes.get("/api/v1/agents")
async def list_agents(request: web.Request) -> web.Response:
    """Every configured agent with its live state; logged-out ones as logged_out (C8)."""
    ctx = context_of(request)
    identity = await identify(ctx, request)
    _supervising(identity)
    state, now = ctx.engine.state, ctx.now()
    agents = [views.agent_view(state, a, now, numbers=True) for a in views.agent_ids(state)]
    return web.json_response({"agents": agents})


def _supervising(identity: Identity) -> None:
    require(identity, Role.SUPERVISOR, Role.ADMIN)


# Preview dialling (issue 4, P25) ---------------------------------------------------------


@routes.post("/api/v1/agents/{agent_id}/preview")
async def preview_next(request: web.Request) -> web.Response:
    """The next contact of a preview campaign, shown under `agent.outbound`; the agent
    waits (reserved) until it dials or skips it."""

    def build(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
        campaign = bodies.preview_body(data)
        return PreviewNext(at=at, agent=agent, campaign=campaign, by=by)

    return await _agent_command(request, build)


@routes.post("/api/v1/agents/{agent_id}/preview/dial")
async def preview_dial(request: web.Request) -> web.Response:
    def build(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
        bodies.empty_body(data)
        return PreviewDial(at=at, agent=agent, by=by)

    return await _agent_command(request, build)


@routes.post("/api/v1/agents/{agent_id}/preview/skip")
async def preview_skip(request: web.Request) -> web.Response:
    def build(at: Instant, agent: AgentId, by: str, data: dict[str, object]) -> Command:
        bodies.empty_body(data)
        return PreviewSkip(at=at, agent=agent, by=by)

    return await _agent_command(request, build)
