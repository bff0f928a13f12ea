"""History routes: a stored call, compliance findings, an agent's figures (C6, P14, P22).

Rules:
1. Supervisors and admins read everything. An agent reads only its own: calls it was
   offered or talked to (numbers whole, P22), its own findings and its own figures (403
   for anything else).
2. Every read of a call record is logged on the `cti.audit` logger with who read it (P22).
3. Time ranges are half-open, [since, until), in epoch seconds or ISO 8601 with an offset;
   figures default to the last 24 hours.
"""

from __future__ import annotations

import logging
from typing import Final

from aiohttp import web

from cti.api import answers, views
from cti.api.agents import agent_id
from cti.api.auth import identify, require_agent
from cti.api.context import context_of
from cti.api.errors import ApiError, bad_request
from cti.api.identity import Identity
from cti.api.query import instant, positive_int, query_fields
from cti.api.route import route
from cti.domain.ids import AgentId, CallId, Instant
from cti.domain.records import Rule
from cti.storage.tokens import Role

audit = logging.getLogger("cti.audit")
routes = web.RouteTableDef()

DAY: Final = 86_400.0
MAX_FINDINGS: Final = 1000
WHEN: Final = "epoch seconds or ISO 8601 with an offset"


@route(
    routes,
    "GET",
    "/api/v1/calls/{call_id}",
    summary="A stored call with its segments and offers",
    answer=answers.Call,
    errors=(404,),
    tag="history",
)
async def get_call(request: web.Request) -> web.Response:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    call = CallId(request.match_info["call_id"])
    detail = await ctx.history.call(call)
    if detail is None:
        raise ApiError(404, f"no stored call {call}")
    if identity.role is Role.AGENT and (
        identity.agent is None or not views.took_part(detail, identity.agent)
    ):
        raise ApiError(403, "an agent may read only its own calls")
    audit.info("%s read call record %s", identity.by, call)
    return web.json_response(views.call_detail_view(detail, numbers=True))


@route(
    routes,
    "GET",
    "/api/v1/findings",
    summary="Compliance findings, oldest first",
    answer=answers.Findings,
    errors=(400,),
    query={
        "rule": "a rule id, e.g. C3.ring_limit",
        "agent": "an agent id (agents: their own only)",
        "since": WHEN,
        "until": WHEN,
        "limit": "at most this many (1-1000)",
    },
    tag="history",
)
async def list_findings(request: web.Request) -> web.Response:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    query = request.query
    query_fields(query, {"rule", "agent", "since", "until", "limit"})
    agent = _agent_filter(identity, query.get("agent"))
    found = await ctx.history.findings(
        rule=_rule(query.get("rule")),
        agent=agent,
        since=instant(query, "since"),
        until=instant(query, "until"),
        limit=positive_int(query, "limit", MAX_FINDINGS, MAX_FINDINGS),
    )
    return web.json_response({"findings": [views.plain(f) for f in found]})


def _rule(value: str | None) -> Rule | None:
    if not value:
        return None
    try:
        return Rule(value)
    except ValueError:
        choices = ", ".join(r.value for r in Rule)
        raise bad_request(f"query parameter 'rule' must be one of {choices}", "rule") from None


def _agent_filter(identity: Identity, asked: str | None) -> AgentId | None:
    """Agents see their own findings only; others filter as they ask."""
    if identity.role is not Role.AGENT:
        return AgentId(asked) if asked else None
    if asked and asked != identity.agent:
        raise ApiError(403, "an agent may read only its own findings")
    return identity.agent


@route(
    routes,
    "GET",
    "/api/v1/agents/{agent_id}/figures",
    summary="An agent's figures over [since, until)",
    answer=answers.Figures,
    errors=(400,),
    query={"since": WHEN, "until": WHEN},
    tag="history",
)
async def agent_figures(request: web.Request) -> web.Response:
    ctx, agent = context_of(request), agent_id(request)
    identity = await identify(ctx, request)
    require_agent(identity, agent)
    query = request.query
    query_fields(query, {"since", "until"})
    until = instant(query, "until")
    until = ctx.now() if until is None else until
    since = instant(query, "since")
    since = Instant(until - DAY) if since is None else since
    if since >= until:
        raise bad_request("query parameter 'since' must be before 'until'", "since")
    found = await ctx.history.agent_figures(since, until, agent=agent)
    return web.json_response({"figures": views.figures_view(agent, since, until, found)})
