"""Agent routes: login, status, wrap-up, transfers (blind and attended), hang-up, the agent's
view (C4, C7, P3, P5, P8).

Rules:
1. Order of checks: credentials (401), role (403), body (400), then the engine decides
   (404, 409, 422 from its Rejected note); a refused command changes nothing.
2. Login is the one route without a token: the PIN is checked first and a wrong PIN and
   an unknown agent get the same 401. On success the agent gets a token bound to this
   login (cti/api/auth.py, rule 3); the token of its previous login is revoked. Before the
   PIN is looked at, the sign-in guard (cti/api/signin.py) may refuse the attempt: 429,
   the same for a right and a wrong PIN, after too many failures for the agent or from
   the address.
3. A login names a device that registered a moment ago more often than not (the desk's
   softphone logs in as soon as its REGISTER is answered, before Asterisk's device state
   has reached the core): while the AMI link is up, the login waits up to REGISTERING
   seconds for the device to be registered before the core is asked, and is refused
   (409) only if it still is not. With the link down no registration can arrive: no wait.
4. The same status routes serve supervisors forcing an agent's state (C8); the command
   records who asked (`by`), which the core uses to tell a forced logout from an own one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from cti.api import answers, views
from cti.api.auth import identify, require_agent, revoke_quietly, set_session_cookie
from cti.api.context import ApiContext, context_of
from cti.api.errors import ApiError, bad_request
from cti.api.identity import login_token_name
from cti.api.route import BOARD, route
from cti.api.shapes import Consult, Empty, Login, NotReady, Preview, Transfer, WrapUpEnd, device_of
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
from cti.domain.ids import AgentId, DeviceId, Instant, QueueId
from cti.domain.outbound.campaign import CampaignId
from cti.domain.state import AcdState
from cti.storage.tokens import Role

routes = web.RouteTableDef()

Build = Callable[[Instant, AgentId, str], Command]
ACT: Final = (404, 409)
REGISTERING: Final = 3.0  # seconds a login waits for its device's registration (rule 3)
SIMPLE: Final[dict[str, tuple[str, Callable[..., Command]]]] = {  # path -> summary, command
    "ready": ("Ready for calls (a supervisor's token forces it)", SetReady),
    "consult/complete": (
        "Attended transfer, last step: the consulted agent, who answered, takes the caller; "
        "this agent goes to wrap-up (P8)",
        CompleteTransfer,
    ),
    "consult/cancel": ("End the consultation and take the caller back (P8)", CancelConsult),
    "hangup": ("Hang up the agent's call", HangUp),
    "preview/dial": (
        "Dial the previewed contact; the answered call comes to this agent",
        PreviewDial,
    ),
    "preview/skip": ("Skip the previewed contact (recorded as a skipped attempt)", PreviewSkip),
}


def agent_id(request: web.Request) -> AgentId:
    return AgentId(request.match_info["agent_id"])


def _answer(ctx: ApiContext, state: AcdState, agent: AgentId, **extra: Any) -> web.Response:
    view = views.agent_view(state, agent, ctx.now(), numbers=True)  # its own call (P22)
    return web.json_response({**extra, "agent": view})


@route(
    routes,
    "POST",
    "/api/v1/agents/{agent_id}/login",
    body=Login,
    answer=answers.LoginAnswer,
    summary="Log in with the agent's PIN on a device; returns the agent's token (P3)",
    errors=(401, 429, *ACT),
    public=True,
)
async def log_in(request: web.Request, body: Login) -> web.Response:
    ctx, agent = context_of(request), agent_id(request)
    address = request.remote or ""
    await check_pin(ctx, agent, body.pin, address)
    device = device_of(body.device)
    await _registered(ctx, device, REGISTERING)
    command = LogIn(
        at=ctx.now(),
        agent=agent,
        device=device,
        address=address,
        takeover=body.takeover,
        by=f"agent:{agent}",
    )
    state = (await ctx.execute(command)).state
    login = state.agents[agent].logged_in_at
    # Should storage fail here (503), the agent is logged in without a token: logging in
    # again with takeover recovers, and no one else can act under this login meanwhile.
    issued = await ctx.directory.issue_token(login_token_name(agent, login), Role.AGENT, agent)
    await revoke_quietly(ctx, ctx.login_tokens.swap(agent, issued.id))
    if not body.session:
        return _answer(ctx, state, agent, token=issued.secret)
    response = _answer(ctx, state, agent, token=None)  # the desktop: the cookie holds it
    set_session_cookie(response, request, issued.secret, ctx.session_seconds)
    return response


async def _registered(ctx: ApiContext, device: DeviceId, within: float) -> None:
    """Rule 3: returns once the core sees `device` registered, or after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while ctx.ami_up() and loop.time() < deadline:
        state = ctx.engine.state.devices.get(device)
        if state is not None and state.registered:
            return
        await asyncio.sleep(0.05)


async def check_pin(ctx: ApiContext, agent: AgentId, pin: str, address: str) -> None:
    """The agent's PIN, under the sign-in guard (rule 2): 401 when wrong, 429 when waiting."""
    ctx.signin.check(agent, address, ctx.now())  # before the PIN is looked at
    if not await ctx.directory.verify_pin(agent, pin):
        for flag in ctx.signin.failed(agent, address, ctx.now()):
            await ctx.execute(flag)  # the finding (P22); a busy engine is a 503, as anywhere
        raise ApiError(401, "wrong agent or PIN")
    ctx.signin.succeeded(agent)


async def _agent_command(request: web.Request, build: Build) -> web.Response:
    ctx, agent = context_of(request), agent_id(request)
    identity = await identify(ctx, request)
    require_agent(identity, agent)
    decision = await ctx.execute(build(ctx.now(), agent, identity.by))
    return _answer(ctx, decision.state, agent)


@route(
    routes,
    "POST",
    "/api/v1/agents/{agent_id}/logout",
    body=Empty,
    body_required=False,
    summary="Log out (a supervisor's token forces it)",
    answer=answers.AgentAnswer,
    errors=ACT,
)
async def log_out(request: web.Request, _body: Empty) -> web.Response:
    response = await _agent_command(request, lambda at, a, by: LogOut(at=at, agent=a, by=by))
    ctx = context_of(request)
    await revoke_quietly(ctx, ctx.login_tokens.pop(agent_id(request)))
    return response


def _simple_route(action: str, summary: str, command: Callable[..., Command]) -> None:
    """A status or call action with an empty body: the command says it all."""

    @route(
        routes,
        "POST",
        f"/api/v1/agents/{{agent_id}}/{action}",
        body=Empty,
        body_required=False,
        summary=summary,
        answer=answers.AgentAnswer,
        errors=ACT,
    )
    async def act(request: web.Request, _body: Empty) -> web.Response:
        return await _agent_command(request, lambda at, a, by: command(at=at, agent=a, by=by))


for _action, (_summary, _command) in SIMPLE.items():
    _simple_route(_action, _summary, _command)


@route(
    routes,
    "POST",
    "/api/v1/agents/{agent_id}/not-ready",
    body=NotReady,
    summary="Not ready with a reason (P5)",
    answer=answers.AgentAnswer,
    errors=(*ACT, 422),
)
async def set_not_ready(request: web.Request, body: NotReady) -> web.Response:
    reason = body.reason.strip()
    return await _agent_command(
        request, lambda at, a, by: SetNotReady(at=at, agent=a, reason=reason, by=by)
    )


@route(
    routes,
    "POST",
    "/api/v1/agents/{agent_id}/wrap-up/end",
    body=WrapUpEnd,
    body_required=False,
    summary="End wrap-up, with a disposition (C4)",
    answer=answers.AgentAnswer,
    errors=(*ACT, 422),
)
async def end_wrap_up(request: web.Request, body: WrapUpEnd) -> web.Response:
    code = (body.disposition or "").strip() or None
    return await _agent_command(
        request, lambda at, a, by: EndWrapUp(at=at, agent=a, disposition=code, by=by)
    )


@route(
    routes,
    "POST",
    "/api/v1/agents/{agent_id}/transfer",
    body=Transfer,
    summary="Blind transfer of the caller to a queue, an extension or the survey (P7, P8)",
    answer=answers.AgentAnswer,
    errors=(*ACT, 422),
)
async def transfer(request: web.Request, body: Transfer) -> web.Response:
    given = [name for name in ("queue", "extension", "survey") if getattr(body, name)]
    if len(given) != 1:
        raise bad_request("give exactly one of 'queue', 'extension' or 'survey': true", "queue")

    def build(at: Instant, agent: AgentId, by: str) -> Command:
        if body.queue:
            return TransferToQueue(at=at, agent=agent, queue=QueueId(body.queue), by=by)
        if body.extension:
            return TransferToExtension(at=at, agent=agent, extension=body.extension, by=by)
        return TransferToSurvey(at=at, agent=agent, by=by)

    return await _agent_command(request, build)


@route(
    routes,
    "POST",
    "/api/v1/agents/{agent_id}/consult",
    body=Consult,
    summary="Attended transfer, first step: the caller holds while another agent, who must "
    "be available, is rung from this agent's phone (P8)",
    answer=answers.AgentAnswer,
    errors=(*ACT, 422),
)
async def consult(request: web.Request, body: Consult) -> web.Response:
    target = AgentId(body.agent.strip())
    return await _agent_command(
        request, lambda at, a, by: ConsultAgent(at=at, agent=a, target=target, by=by)
    )


@route(
    routes,
    "GET",
    "/api/v1/agents/{agent_id}",
    answer=answers.AgentAnswer,
    summary="An agent's live state and current call",
    errors=(404,),
)
async def get_agent(request: web.Request) -> web.Response:
    ctx, agent = context_of(request), agent_id(request)
    identity = await identify(ctx, request)
    require_agent(identity, agent)
    state = ctx.engine.state
    if agent not in state.config.agents and agent not in state.agents:
        raise ApiError(404, f"unknown agent {agent}")
    return _answer(ctx, state, agent)


@route(
    routes,
    "GET",
    "/api/v1/agents",
    answer=answers.Agents,
    roles=BOARD,
    summary="Every configured agent with its live state (C8; numbers masked to viewers, P22)",
    tag="supervisors",
)
async def list_agents(request: web.Request) -> web.Response:
    """Every configured agent with its live state; logged-out ones as logged_out (C8)."""
    ctx = context_of(request)
    shown = (await identify(ctx, request)).sees_numbers
    state, now = ctx.engine.state, ctx.now()
    agents = [views.agent_view(state, a, now, numbers=shown) for a in views.agent_ids(state)]
    return web.json_response({"agents": agents})


# Preview dialling (issue 4, P25) ---------------------------------------------------------


@route(
    routes,
    "POST",
    "/api/v1/agents/{agent_id}/preview",
    body=Preview,
    summary="Preview dialling (P25): take the next contact of a preview campaign; it is "
    "shown under agent.outbound with the campaign's script, and the agent is reserved "
    "until it dials or skips it",
    answer=answers.AgentAnswer,
    errors=(*ACT, 422),
)
async def preview_next(request: web.Request, body: Preview) -> web.Response:
    """The next contact of a preview campaign, shown under `agent.outbound`; the agent
    waits (reserved) until it dials or skips it."""
    campaign = CampaignId(body.campaign.strip())
    return await _agent_command(
        request, lambda at, a, by: PreviewNext(at=at, agent=a, campaign=campaign, by=by)
    )
