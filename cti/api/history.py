"""History routes: stored calls and compliance findings, one by one or a page at a time
(C6, P22, P26; issue 12).

Rules:
1. Supervisors and admins read everything. An agent reads only its own: calls it was
   offered or talked to (numbers whole, P22) and its own findings; naming another agent
   is a 403.
2. Every read of call records is logged on the `cti.audit` logger with who read them and
   which (P22), a listing's as one line with its calls' ids.
3. Time ranges are half-open, [since, until), in epoch seconds or ISO 8601 with an offset
   (cti.api.query rule 3); either end may be left open.
4. Listings are paged by cursor (cti.api.cursor): at most `limit` items and `next`. Calls
   come oldest entry first (cti.storage.call_listing rule 1), findings oldest first (by
   their instant, then as stored).
"""

from __future__ import annotations

import logging
from typing import Final

from aiohttp import web

from cti.api import answers, views
from cti.api.auth import identify
from cti.api.context import context_of
from cti.api.cursor import DESCRIBED, PARAMETER, Filters, Listing
from cti.api.errors import ApiError
from cti.api.identity import Identity
from cti.api.query import (
    WHEN,
    choice,
    count,
    moment,
    one_of,
    positive_int,
    query_fields,
    time_range,
)
from cti.api.route import route
from cti.domain.ids import AgentId, CallId, QueueId
from cti.domain.records import CallOutcome, Rule
from cti.schema.plain import plain_object
from cti.storage.queries import CallFilter, FindingEntry
from cti.storage.tokens import Role

audit = logging.getLogger("cti.audit")
routes = web.RouteTableDef()

MAX_FINDINGS: Final = 1000
MAX_CALLS: Final = 1000
DEFAULT_CALLS: Final = 100
CALLS: Final = Listing("calls", int)
FINDINGS: Final = Listing("findings", int)


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
    "/api/v1/calls",
    summary="Stored calls, oldest entry first, a page at a time; an agent sees its own",
    answer=answers.Calls,
    errors=(400,),
    query={
        "queue": "calls that visited this queue",
        "agent": "calls this agent was offered or talked to (agents: their own only)",
        "outcome": one_of("answered, abandoned or unanswered", CallOutcome),
        "since": moment(f"entered at or after ({WHEN})"),
        "until": moment(f"entered before ({WHEN})"),
        "limit": count(MAX_CALLS, DEFAULT_CALLS),
        PARAMETER: DESCRIBED,
    },
    tag="history",
)
async def list_calls(request: web.Request) -> web.Response:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    query = request.query
    query_fields(query, {"queue", "agent", "outcome", "since", "until", "limit", PARAMETER})
    since, until = time_range(query)
    queue = QueueId(query["queue"]) if query.get("queue") else None
    filters = CallFilter(
        queue=queue,
        agent=_agent_filter(identity, query.get("agent"), "calls"),
        outcome=choice(query, "outcome", CallOutcome),
        since=since,
        until=until,
    )
    bound = _bound(filters)
    limit = positive_int(query, "limit", DEFAULT_CALLS, MAX_CALLS)
    page = await ctx.history.calls(filters, limit=limit, after=CALLS.resume(query, bound))
    audit.info(
        "%s listed %d call records: %s", identity.by, len(page.items),
        ",".join(c.call for c in page.items) or "-",
    )  # fmt: skip
    calls = [views.call_record_view(c, numbers=True) for c in page.items]
    return web.json_response({"calls": calls, "next": CALLS.next(bound, page.after)})


@route(
    routes,
    "GET",
    "/api/v1/findings",
    summary="Compliance findings, oldest first, a page at a time",
    answer=answers.Findings,
    errors=(400,),
    query={
        "rule": one_of("a rule id, e.g. C3.ring_limit", Rule),
        "agent": "an agent id (agents: their own only)",
        "since": moment(),
        "until": moment(),
        "limit": count(MAX_FINDINGS, MAX_FINDINGS),
        PARAMETER: DESCRIBED,
    },
    tag="history",
)
async def list_findings(request: web.Request) -> web.Response:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    query = request.query
    query_fields(query, {"rule", "agent", "since", "until", "limit", PARAMETER})
    agent = _agent_filter(identity, query.get("agent"), "findings")
    rule = choice(query, "rule", Rule)
    since, until = time_range(query)
    bound: Filters = {"rule": rule, "agent": agent, "since": since, "until": until}
    page = await ctx.history.finding_entries(
        rule=rule,
        agent=agent,
        since=since,
        until=until,
        limit=positive_int(query, "limit", MAX_FINDINGS, MAX_FINDINGS),
        after=FINDINGS.resume(query, bound),
    )
    found = [_entry_view(e) for e in page.items]
    return web.json_response({"findings": found, "next": FINDINGS.next(bound, page.after)})


def _entry_view(entry: FindingEntry) -> dict[str, object]:
    """A finding with its id and, once a supervisor acknowledged it, who, when and why."""
    ack = None
    if entry.acknowledged_at is not None:
        ack = {"by": entry.acknowledged_by, "at": entry.acknowledged_at, "note": entry.note}
    return {**plain_object(entry.finding), "id": entry.id, "acknowledged": ack}


def _bound(filters: CallFilter) -> Filters:
    """What a calls cursor is bound to (cti.api.cursor rule 2)."""
    return {
        "queue": filters.queue,
        "agent": filters.agent,
        "outcome": filters.outcome,
        "since": filters.since,
        "until": filters.until,
    }


def _agent_filter(identity: Identity, asked: str | None, what: str) -> AgentId | None:
    """Rule 1: agents see their own only; others filter as they ask."""
    if identity.role is not Role.AGENT:
        return AgentId(asked) if asked else None
    if identity.agent is None or (asked and asked != identity.agent):
        raise ApiError(403, f"an agent may read only its own {what}")
    return identity.agent
