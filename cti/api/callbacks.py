"""Callback routes (P9, P18): an agent promises a callback; supervisors and agents list
and cancel them.

Rules:
1. An agent schedules for itself (or a supervisor for any agent): `to: "me"` binds the
   callback to that agent, who must serve the queue; `to: "queue"` leaves it to any agent
   of the queue. The queue defaults to the one of the agent's current call, or the
   agent's only queue; otherwise it must be given (422).
2. The time is epoch seconds or ISO 8601 with an offset, not in the past (a minute of
   slack), and inside the calling window in the customer's local time (the number's
   time zone, else the callbacks campaign's): 422 naming the field otherwise.
3. The callback is stored in the queue's callbacks campaign, which the dialer dials
   (cti/storage/callback_store.py); a number being dialled right now, or a finished
   callbacks campaign, is 409.
4. Agents see and cancel only the callbacks promised to them; supervisors and admins see
   and cancel all (numbers whole: agents hold their own customers' numbers, P22).
5. The list comes a page at a time (cti.api.cursor), soonest due first
   (cti.storage.callback_store rule 4).
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from cti.api import answers
from cti.api.auth import identify, require, require_agent
from cti.api.context import ApiContext, context_of
from cti.api.cursor import DESCRIBED, PARAMETER, Filters, Listing
from cti.api.errors import ApiError, invalid
from cti.api.identity import Identity
from cti.api.query import count, flag, positive_int, query_fields, true_or_false
from cti.api.route import route
from cti.api.shapes import Callback
from cti.domain.callback import promised_contact
from cti.domain.ids import AgentId, Instant, QueueId
from cti.domain.outbound.contact import Contact, ContactError, ContactId, overdue
from cti.storage.errors import CampaignRefused
from cti.storage.tokens import Role

routes = web.RouteTableDef()

SLACK: Final = 60.0  # seconds a promised time may lie in the past (clocks, typing)
EVERYONE: Final = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)
LISTED: Final = 500
CALLBACKS: Final = Listing("callbacks", str)


@route(
    routes,
    "POST",
    "/api/v1/agents/{agent_id}/callbacks",
    body=Callback,
    summary="P9: promise a callback for a time, to this agent (`to: me`) or to the queue; "
    "refused outside the calling window in the customer's local time",
    answer=answers.CallbackAnswer,
    status=201,
    errors=(404, 409, 422),
    tag="callbacks",
)
async def schedule(request: web.Request, body: Callback) -> web.Response:
    ctx, identity = await _who(request)
    agent = AgentId(request.match_info["agent_id"])
    require_agent(identity, agent)
    at, number, timezone, note = body.at, body.number, body.timezone or "", body.note
    queue = _queue(ctx, agent, body.queue, mine=body.to == "me")
    if at < ctx.now() - SLACK:
        raise invalid("at", "is in the past")
    campaign = await ctx.callbacks.campaign(queue)
    fields = {"promised_by": agent, **({"note": note} if note else {})}
    try:
        contact = promised_contact(
            campaign,
            number=number,
            at=at,
            agent=agent if body.to == "me" else None,
            timezone=timezone,
            fields=fields,
        )
    except ContactError as exc:
        raise invalid(_field_of(str(exc)), exc) from None
    try:
        stored = await ctx.callbacks.add(contact)
    except CampaignRefused as exc:
        raise ApiError(409, str(exc)) from None
    return web.json_response({"callback": callback_view(stored, ctx.now())}, status=201)


@route(
    routes,
    "GET",
    "/api/v1/callbacks",
    summary="Open callbacks and follow-ups by due time (P9, P18), a page at a time; an "
    "agent sees its own",
    answer=answers.Callbacks,
    errors=(400,),
    query={
        "queue": "one queue's",
        "agent": "promised to this agent",
        "all": flag("true: closed and done ones too"),
        "limit": count(LISTED, LISTED),
        PARAMETER: DESCRIBED,
    },
    tag="callbacks",
)
async def list_callbacks(request: web.Request) -> web.Response:
    ctx, identity = await _who(request)
    query = request.rel_url.query
    query_fields(query, {"queue", "agent", "all", "limit", PARAMETER})
    agent = _agent_filter(identity, query.get("agent"))
    queue = QueueId(query["queue"]) if query.get("queue") else None
    everything = true_or_false(query, "all")
    bound: Filters = {"queue": queue, "agent": agent, "all": everything}
    page = await ctx.callbacks.listed(
        queue=queue,
        agent=agent,
        open_only=not everything,
        limit=positive_int(query, "limit", LISTED, LISTED),
        after=CALLBACKS.resume(query, bound),
    )
    now = ctx.now()
    shown = [callback_view(c, now) for c in page.items]
    return web.json_response({"callbacks": shown, "next": CALLBACKS.next(bound, page.after)})


@route(
    routes,
    "DELETE",
    "/api/v1/callbacks/{contact_id}",
    summary="Cancel a pending callback or follow-up (its agent, supervisors, admins)",
    answer=answers.CallbackAnswer,
    errors=(404, 409),
    tag="callbacks",
)
async def cancel(request: web.Request) -> web.Response:
    ctx, identity = await _who(request)
    contact = ContactId(request.match_info["contact_id"])
    if identity.role is Role.AGENT:
        mine = await ctx.callbacks.listed(agent=identity.agent, limit=LISTED)
        if all(c.id != contact for c in mine.items):
            raise ApiError(404, f"no open callback {contact} promised to you")
    try:
        closed = await ctx.callbacks.cancel(contact)
    except CampaignRefused as exc:
        raise ApiError(409, str(exc)) from None
    if closed is None:
        raise ApiError(404, f"no open callback or follow-up {contact}")
    return web.json_response({"callback": callback_view(closed, ctx.now())})


async def _who(request: web.Request) -> tuple[ApiContext, Identity]:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    require(identity, *EVERYONE)
    return ctx, identity


def callback_view(contact: Contact, now: Instant) -> dict[str, object]:
    return {
        "id": contact.id,
        "campaign": contact.campaign,
        "kind": contact.kind.value,
        "number": contact.number,
        "timezone": contact.timezone,
        "status": contact.status.value,
        "agent": contact.agent,
        "at": contact.next_at,
        "due": contact.due,
        "overdue": overdue(contact, now),
        "place": contact.place,
        "attempts": contact.attempts,
        "last_result": None if contact.last_result is None else contact.last_result.value,
        "fields": dict(contact.fields),
    }


def _queue(ctx: ApiContext, agent: AgentId, given: str | None, *, mine: bool) -> QueueId:
    """Rule 1."""
    config = ctx.engine.state.config
    profile = config.agents.get(agent)
    if profile is None:
        raise ApiError(404, f"unknown agent {agent}")
    live = ctx.engine.state.agents.get(agent)
    if given:
        queue = QueueId(given.strip())
    elif live is not None and live.queue is not None:
        queue = live.queue
    elif len(profile.queues) == 1:
        (queue,) = profile.queues
    else:
        raise invalid("queue", "name the queue: the agent has no call and several queues")
    if queue not in config.queues:
        raise invalid("queue", f"unknown queue {queue}")
    if mine and queue not in profile.queues:
        raise invalid("queue", f"agent {agent} does not serve queue {queue}")
    return queue


def _agent_filter(identity: Identity, asked: str | None) -> AgentId | None:
    if identity.role is Role.AGENT:
        if asked and asked != identity.agent:
            raise ApiError(403, "an agent sees only its own callbacks")
        return identity.agent
    return AgentId(asked) if asked else None


def _field_of(reason: str) -> str:
    if reason.startswith("time zone"):
        return "timezone"
    return "number" if reason.startswith("number") else "at"
