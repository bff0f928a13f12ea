"""Who is asking: bearer tokens, roles, and what each role may do (P3, P22).

Rules:
1. Every /api/v1 route needs a token, except the OpenAPI document and agent login (which
   checks the agent's PIN and issues one). Tokens come as `Authorization: Bearer <token>`;
   the WebSocket route also takes `?token=`, since browsers cannot set its headers.
2. Roles: an agent acts only on itself; a supervisor on any agent; an admin on everything.
3. An agent token issued at login is named after that login (agent and login instant) and
   is valid only while that login lasts: after a logout or a takeover from another desk it
   speaks for no one, so nobody works under a login that has ended (P3). Agent tokens an
   admin issues by hand are not bound to a login.
4. Bad credentials are 401 without saying which part was wrong; a valid token used beyond
   its role is 403.
5. A request is identified once: the route declaration checks the token and the roles
   before the body is read (cti/api/route.py), and handlers asking again get the same
   identity.
"""

from __future__ import annotations

import logging
from typing import Final

from aiohttp import web

from cti.api.context import ApiContext
from cti.api.errors import ApiError
from cti.api.identity import Identity, login_current, login_of
from cti.domain.ids import AgentId
from cti.storage.tokens import Role

logger = logging.getLogger(__name__)

BEARER: Final = "bearer "
identity_key: Final = web.RequestKey("identity", Identity)  # rule 5


def token_of(request: web.Request, *, query: bool = False) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith(BEARER):
        return header[len(BEARER) :].strip() or None
    if query:
        return request.query.get("token") or None
    return None


async def identify(ctx: ApiContext, request: web.Request, *, query: bool = False) -> Identity:
    """The identity behind the request's token; 401 when there is none (rule 5)."""
    if identity_key in request:
        return request[identity_key]
    secret = token_of(request, query=query)
    if secret is None:
        raise ApiError(401, "missing bearer token")
    found = await ctx.directory.token_identity(secret)
    if found is None:
        raise ApiError(401, "invalid or revoked token")
    role, name, agent = found
    login = login_of(name) if role is Role.AGENT else None
    identity = Identity(role=role, name=name, agent=agent, login=login)
    if not login_current(identity, ctx.engine.state):
        raise ApiError(401, "this login has ended; log in again")
    request[identity_key] = identity
    return identity


def require(identity: Identity, *roles: Role) -> None:
    if identity.role not in roles:
        wanted = " or ".join(r.value for r in roles)
        article = "an" if wanted[0] in "aeiou" else "a"
        raise ApiError(403, f"this needs {article} {wanted} token")


def require_agent(identity: Identity, agent: AgentId) -> None:
    if not identity.may_act_on(agent):
        raise ApiError(403, "an agent may act only on itself")


async def revoke_quietly(ctx: ApiContext, token: int | None) -> None:
    """Revoke a login's token; a failure is logged, since the login check already ends it."""
    if token is None:
        return
    try:
        await ctx.directory.revoke_token(token)
    except Exception as exc:
        logger.warning("could not revoke token %d: %r", token, exc)
