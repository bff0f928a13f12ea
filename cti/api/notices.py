"""Outage notice routes (P20): a supervisor sets or clears a queue's notice, which every
new caller of that queue hears before queueing (cti/domain/notice.py).

Rules:
1. Supervisors and admins only. A queue that is not configured is a 404; a prompt that is
   not sound file names joined by `&` a 422 naming `prompt`.
2. The notice is stored first, then the engine applies it (Asterisk's global variable), so
   a restart sets it again; clearing removes it from both. Clearing a queue without one is
   a 409. Each change is written to the `cti.audit` log with who made it.
3. `GET /api/v1/notices` lists the notices set now.
"""

from __future__ import annotations

import logging

from aiohttp import web

from cti.api import answers
from cti.api.auth import identify, require
from cti.api.context import ApiContext, context_of
from cti.api.errors import ApiError, invalid
from cti.api.identity import SUPERVISING, Identity
from cti.api.route import BOARD, route
from cti.api.shapes import Empty, NoticeBody
from cti.domain.commands import ClearNotice, SetNotice
from cti.domain.ids import QueueId
from cti.domain.notice import Notice, prompt_problem
from cti.schema.plain import plain_object

audit = logging.getLogger("cti.audit")
routes = web.RouteTableDef()


def notice_view(notice: Notice) -> dict[str, object]:
    return plain_object(notice)


async def _asked(request: web.Request) -> tuple[ApiContext, Identity, QueueId]:
    """Rule 1: who asks (a supervisor or an admin), about which configured queue."""
    ctx = context_of(request)
    identity = await identify(ctx, request)
    require(identity, *SUPERVISING)
    queue = QueueId(request.match_info["queue_id"])
    if queue not in ctx.engine.state.config.queues:
        raise ApiError(404, f"unknown queue {queue}")
    return ctx, identity, queue


@route(
    routes,
    "PUT",
    "/api/v1/queues/{queue_id}/notice",
    body=NoticeBody,
    answer=answers.NoticeAnswer,
    summary="Set the queue's outage notice: every new caller hears it before queueing (P20)",
    errors=(403, 404, 422),
    tag="supervisors",
)
async def set_notice(request: web.Request, body: NoticeBody) -> web.Response:
    ctx, identity, queue = await _asked(request)
    problem = prompt_problem(body.prompt)
    if problem is not None:
        raise invalid("prompt", problem)
    notice = Notice(queue=queue, prompt=body.prompt, text=body.text, by=identity.by,
                    since=ctx.now())  # fmt: skip
    await ctx.directory.put_notice(notice)
    command = SetNotice(at=notice.since, queue=queue, prompt=body.prompt, text=body.text,
                        by=identity.by)  # fmt: skip
    state = (await ctx.execute(command)).state
    audit.info("%s set the outage notice of %s: %s", identity.by, queue, body.prompt)
    return web.json_response({"notice": notice_view(state.notices[queue])})


@route(
    routes,
    "DELETE",
    "/api/v1/queues/{queue_id}/notice",
    body=Empty,
    body_required=False,
    answer=answers.NoticeAnswer,
    summary="Clear the queue's outage notice (P20)",
    errors=(403, 404, 409),
    tag="supervisors",
)
async def clear_notice(request: web.Request, _body: Empty) -> web.Response:
    ctx, identity, queue = await _asked(request)
    if queue not in ctx.engine.state.notices:
        raise ApiError(409, f"queue {queue} has no outage notice")
    await ctx.directory.clear_notice(queue)
    await ctx.execute(ClearNotice(at=ctx.now(), queue=queue, by=identity.by))
    audit.info("%s cleared the outage notice of %s", identity.by, queue)
    return web.json_response({"notice": None})


@route(
    routes,
    "GET",
    "/api/v1/notices",
    answer=answers.Notices,
    summary="The outage notices set now, by queue (P20)",
    roles=BOARD,
    errors=(403,),
    tag="supervisors",
)
async def list_notices(request: web.Request) -> web.Response:
    ctx = context_of(request)
    require(await identify(ctx, request), *BOARD)
    notices = ctx.engine.state.notices
    return web.json_response({"notices": [notice_view(notices[q]) for q in sorted(notices)]})
