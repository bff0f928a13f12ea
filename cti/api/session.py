"""Supervisors' sessions for the pages (issue 14; P3, P22): sign in with a name and a
password, the session a cookie, sign out.

Rules:
1. `POST /api/v1/session {name, password}` signs in: under the sign-in guard (the same
   waits as for PINs, per name and per address, cti/api/signin.py), one answer for an
   unknown name and a wrong password (401), the password checked by scrypt off the loop.
   A success opens a session (a token that expires: cti/storage/supervisors.py rule 3)
   and sets it as the cookie SESSION_COOKIE: HttpOnly (no script reads it), SameSite=
   Strict (no other site's page sends it), Path=/, Secure when reached over HTTPS, and a
   Max-Age of the session's life. The secret is never in the answer's body.
2. `GET /api/v1/session` says who the cookie (or a bearer token) speaks for; 401 when
   nothing does, so a page can tell a session that ended.
3. `DELETE /api/v1/session` revokes the session the cookie carries and clears the cookie;
   again, or without a session, it only clears the cookie.
4. Every sign-in, refusal and sign-out is written to the `cti.audit` log (name and
   address; never a password or a secret).
"""

from __future__ import annotations

import logging
from typing import Final

from aiohttp import web

from cti.api import answers
from cti.api.auth import SESSION_COOKIE, identify, set_session_cookie, token_of
from cti.api.context import context_of
from cti.api.errors import ApiError
from cti.api.route import WATCHING, route
from cti.api.shapes import SignIn
from cti.domain.today import day_of

routes = web.RouteTableDef()
audit = logging.getLogger("cti.audit")
GUARD_PREFIX: Final = "supervisor:"  # the guard's key: names and agent ids never meet


@route(
    routes,
    "POST",
    "/api/v1/session",
    body=SignIn,
    summary="Sign a supervisor in with name and password; the session is a cookie",
    answer=answers.SessionAnswer,
    errors=(401, 429),
    public=True,
    tag="supervisors",
)
async def sign_in(request: web.Request, body: SignIn) -> web.Response:
    ctx, address = context_of(request), request.remote or ""
    key = GUARD_PREFIX + body.name
    ctx.signin.check(key, address, ctx.now())  # before the password is looked at
    role = await ctx.directory.verify_password(body.name, body.password)
    if role is None:
        audit.warning("sign-in refused for supervisor %s from %s", body.name, address)
        for flag in ctx.signin.failed(key, address, ctx.now()):
            await ctx.execute(flag)  # the finding (P22)
        raise ApiError(401, "wrong name or password")
    ctx.signin.succeeded(key)
    lifetime = ctx.session_seconds
    issued = await ctx.directory.open_session(body.name, role, lifetime)
    audit.info("supervisor %s signed in from %s", body.name, address)
    response = web.json_response(
        {"name": body.name, "role": role.value, "expires_at": ctx.now() + lifetime}
    )
    set_session_cookie(response, request, issued.secret, lifetime)
    return response


@route(
    routes,
    "GET",
    "/api/v1/session",
    summary="Who the session cookie (or the bearer token) speaks for",
    answer=answers.SessionAnswer,
    roles=WATCHING,
    tag="supervisors",
)
async def who(request: web.Request) -> web.Response:
    ctx = context_of(request)
    identity = await identify(ctx, request)  # 401 when nothing speaks
    body: dict[str, object] = {
        "name": identity.name,
        "role": identity.role.value,
        "expires_at": identity.expires_at,
    }
    day = day_of(ctx.now(), ctx.zone)  # a page's "today" is the centre's (centre.timezone)
    body["today"] = {"date": day.date.isoformat(), "since": day.start, "until": day.end,
                     "timezone": str(ctx.zone)}  # fmt: skip
    if identity.agent is not None:  # an agent's desktop (issue 15): who and on which phone
        live = ctx.engine.state.agents.get(identity.agent)
        body |= {"agent": identity.agent, "device": live.device if live else None}
    elif identity.expires_at is not None:  # a supervisor's session: their monitoring phone
        body["device"] = await ctx.directory.supervisor_device(identity.name)
    return web.json_response(body)


@route(
    routes,
    "DELETE",
    "/api/v1/session",
    summary="Sign out: the session ends and the cookie is cleared",
    answer=answers.SignedOut,
    public=True,
    tag="supervisors",
)
async def sign_out(request: web.Request) -> web.Response:
    ctx = context_of(request)
    secret = token_of(request)  # rule 1a: the cookie's sign-out needs CSRF_HEADER too
    ended = secret is not None and await ctx.directory.end_session(secret)
    if ended:
        audit.info("a session ended from %s", request.remote or "")
    response = web.json_response({"signed_out": ended})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
