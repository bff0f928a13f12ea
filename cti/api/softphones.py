"""The browsers' softphones (issue 15): an agent signing in on the desktop page asks for
one, with its PIN, before registering it and logging in on it.

Rules:
1. `POST /api/v1/agents/{id}/softphone {pin}` checks the PIN under the sign-in guard (as
   login does) and answers the softphone to register: its device, Asterisk's WebSocket,
   the SIP URI, user and password (cti/softphone.py). The password travels in the body of
   a POST, never in a URL; it opens that one phone only.
2. The softphone is the agent's own when its login is on one (a reloaded page), else the
   first of `softphone.devices` no login is on, not registered now, and not handed to
   another agent within CLAIM_S (two pages signing in at once get two phones).
3. No softphone configured is a 404; all in use is a 409 saying so.
4. `GET /api/v1/agents/{id}/softphone`, with the agent's own token (the desktop's cookie),
   answers the softphone its login is on, so a reloaded page registers again without the
   PIN; 404 when its login is not on a softphone.
5. The answer carries the STUN and TURN servers the browser gathers candidates with
   (`softphone.ice_servers`, for phones across NAT); none on a loopback lab.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from cti import softphone
from cti.api import answers
from cti.api.agents import agent_id, check_pin
from cti.api.auth import identify, require_agent
from cti.api.context import Claims, context_of
from cti.api.errors import ApiError
from cti.api.route import route
from cti.api.shapes import SoftphoneAsk, device_of
from cti.domain.ids import AgentId, DeviceId, Instant
from cti.domain.inputs import DeviceState
from cti.domain.state import AcdState
from cti.settings import SoftphoneSettings
from cti.storage.tokens import Role

routes = web.RouteTableDef()


def choose(
    state: AcdState, phones: list[DeviceId], agent: AgentId, claims: Claims, now: Instant
) -> DeviceId | None:
    """Rule 2."""
    own = state.agents.get(agent)
    if own is not None and own.device in phones:
        return own.device
    held = {a.device for a in state.agents.values()}
    for device in phones:
        registered = state.devices.get(device, DeviceState.UNKNOWN).registered
        if device not in held and not registered and not claims.taken(device, agent, now):
            return device
    return None


@route(
    routes,
    "POST",
    "/api/v1/agents/{agent_id}/softphone",
    body=SoftphoneAsk,
    answer=answers.SoftphoneAnswer,
    summary="A browser softphone for the agent to register and log in on (issue 15)",
    errors=(401, 404, 409, 429),
    public=True,
    tag="agents",
)
async def ask(request: web.Request, body: SoftphoneAsk) -> web.Response:
    ctx, agent = context_of(request), agent_id(request)
    settings = ctx.softphones
    if not settings.websocket_url:
        raise ApiError(404, "this server offers no softphone (softphone.websocket_url)")
    await check_pin(ctx, agent, body.pin, request.remote or "")
    phones = [device_of(d) for d in settings.phones()]
    device = choose(ctx.engine.state, phones, agent, ctx.softphone_claims, ctx.now())
    if device is None:
        raise ApiError(409, f"all {len(phones)} softphones are in use: use a SIP phone")
    ctx.softphone_claims.claim(device, agent, ctx.now())
    return web.json_response({"softphone": _view(settings, device)})


@route(
    routes,
    "GET",
    "/api/v1/agents/{agent_id}/softphone",
    answer=answers.SoftphoneAnswer,
    summary="The softphone the agent's login is on, to register again (issue 15)",
    errors=(404,),
    roles=(Role.AGENT,),
    tag="agents",
)
async def own(request: web.Request) -> web.Response:
    ctx, agent = context_of(request), agent_id(request)
    require_agent(await identify(ctx, request), agent)
    live = ctx.engine.state.agents.get(agent)
    phones = [device_of(d) for d in ctx.softphones.phones()]
    if live is None or live.device not in phones:
        raise ApiError(404, f"agent {agent} is not logged in on a softphone")
    return web.json_response({"softphone": _view(ctx.softphones, live.device)})


def _view(settings: SoftphoneSettings, device: DeviceId) -> dict[str, object]:
    user = device.partition("/")[2]
    host = urlsplit(settings.websocket_url).hostname or "localhost"
    return {
        "device": device,
        "websocket_url": settings.websocket_url,
        "uri": f"sip:{user}@{host}",
        "username": user,
        "password": softphone.password(settings.secret, user),
        "ice_servers": ice_servers(settings),
    }


def ice_servers(settings: SoftphoneSettings) -> list[dict[str, object]]:
    """Rule 5: STUN servers as they are; TURN servers with their credentials."""
    found: list[dict[str, object]] = []
    for url in settings.ice_urls():
        server: dict[str, object] = {"urls": [url]}
        if url.startswith("turn"):
            server |= {"username": settings.ice_username, "credential": settings.ice_credential}
        found.append(server)
    return found
