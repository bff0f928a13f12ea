"""Who is asking: bearer tokens, roles, and what each role may do (P3, P22).

Rules:
1. Every /api/v1 route needs a token, except the OpenAPI document, agent login (which
   checks the agent's PIN and issues one) and a supervisor's sign-in (cti/api/session.py,
   which checks the password and sets a session). A token comes as `Authorization: Bearer
   <token>` or, from the pages, as the session cookie (SESSION_COOKIE, HttpOnly); never in
   a URL. The header wins when both come.
1a. A request that the cookie alone signs must prove it comes from the pages themselves:
   a change (any method but GET and HEAD) carries the header CSRF_HEADER, which a page of
   another site cannot send without a CORS preflight this server never grants, and the
   WebSocket upgrade (a GET browsers send cross-site too) an Origin of this server's own
   host. Otherwise 403, before anything is looked at. The cookie is SameSite=Strict too.
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
SESSION_COOKIE: Final = "cti_session"
CSRF_HEADER: Final = "X-CTI-CSRF"
SAFE_METHODS: Final = frozenset({"GET", "HEAD"})
identity_key: Final = web.RequestKey("identity", Identity)  # rule 5


def set_session_cookie(
    response: web.StreamResponse, request: web.Request, secret: str, seconds: float
) -> None:
    """The pages' session (rule 1): HttpOnly, SameSite=Strict, Secure over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(seconds),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )


def token_of(request: web.Request) -> str | None:
    """The bearer token, else the session cookie's (rule 1), after rule 1a's check."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith(BEARER):
        return header[len(BEARER) :].strip() or None
    secret = request.cookies.get(SESSION_COOKIE) or None
    if secret is not None:
        _from_the_pages(request)
    return secret


def _from_the_pages(request: web.Request) -> None:
    """Rule 1a."""
    if request.method not in SAFE_METHODS and CSRF_HEADER not in request.headers:
        raise ApiError(403, f"a change signed by the session cookie needs the {CSRF_HEADER} header")
    if request.headers.get("Upgrade", "").lower() == "websocket" and not same_origin(request):
        raise ApiError(403, "the live feed takes the session cookie from this server's pages only")


def same_origin(request: web.Request) -> bool:
    """The Origin header names this server's own host (and the scheme it was reached by)."""
    origin = request.headers.get("Origin", "")
    return origin == f"{request.scheme}://{request.host}"


async def identify(ctx: ApiContext, request: web.Request) -> Identity:
    """The identity behind the request's token; 401 when there is none (rule 5)."""
    if identity_key in request:
        return request[identity_key]
    secret = token_of(request)
    if secret is None and "token" in request.query:  # rule 1: a URL ends up in logs
        reason = "a token never goes in the URL: send Authorization: Bearer, or sign in"
        raise ApiError(400, reason, field="token")
    if secret is None:
        raise ApiError(401, "not signed in: send a bearer token or sign in")
    found = await ctx.directory.token_identity(secret)
    if found is None:
        raise ApiError(401, "invalid or revoked token")
    role, agent = found.role, found.agent
    name = found.supervisor or found.name  # a session speaks as its supervisor
    login = login_of(name) if role is Role.AGENT else None
    identity = Identity(role=role, name=name, agent=agent, login=login, expires_at=found.expires_at)
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
