"""Campaign routes: outbound campaigns, their contacts and the do-not-call list (C5).

Rules:
1. Admin tokens change things; supervisors may read (campaigns, the do-not-call list);
   agents get 403.
2. Start, pause and stop move the stored status by the core's rules
   (cti/domain/outbound/campaign_status.py: a finished campaign is never restarted; one without
   contacts is not started (409); nor one no agent serves (422)), then tell the engine at
   once (RunCampaign through the dialer, which rebuilds the abandon window from stored
   attempts once the history is written, HaltCampaign); the dialer's round would tell it
   too. Do-not-call
   changes reach the engine at once the same way (BlockNumbers, UnblockNumbers).
3. A campaign's queue must be configured (422 "unknown queue"); the store keeps what it
   is given (its rule 6), so the check is here.
4. A contacts upload is a text/csv body of at most MAX_CSV_BYTES (413 beyond), received
   within UPLOAD_SECONDS (408 after). Bad rows do not fail it: they come back as
   "line <n>: reason" errors and the good rows are stored; a file without a usable header
   is refused whole (422). Storage awaits are bounded by the store's timeout.
4a. One upload is received, read and stored at a time: another one meanwhile is a 503
   with Retry-After, answered before its body is read. Why not more: the database has one
   writer (SQLite), so two big imports only make each other's transactions wait and fail,
   and imports are an admin's occasional act; a refusal says when to come back. A stop
   cancels the upload in flight (cti/api/upload_slot.py): nothing of it is stored.
5. A campaign's progress says, besides its contacts by status, how many pending contacts
   are due now and when the next one is (`due_now`, `next_due`: the store's rule 7), so a
   running campaign whose contacts are all put off says why it dials nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Final

from aiohttp import web
from pydantic import BaseModel

from cti.api import answers
from cti.api.auth import identify, require
from cti.api.context import ApiContext, accepted, context_of
from cti.api.errors import ApiError, invalid
from cti.api.identity import SUPERVISING
from cti.api.route import ADMIN, route
from cti.api.shapes import CampaignBody, DoNotCall, Empty
from cti.domain.commands import BlockNumbers, HaltCampaign, UnblockNumbers
from cti.domain.ids import QueueId
from cti.domain.outbound.campaign import CampaignId, CampaignStatus, new_campaign
from cti.domain.outbound.contact import ContactError, ContactStatus, normalize_number
from cti.schema.model import updated
from cti.schema.plain import plain_object
from cti.storage.campaign_store import Due, StoredCampaign
from cti.storage.contact_upload import upload_contacts
from cti.storage.tokens import Role

routes = web.RouteTableDef()

Json = dict[str, object]
MAX_CSV_BYTES: Final = 10 * 1024 * 1024
UPLOAD_SECONDS: Final = 60.0
UPLOAD_RETRY_S: Final = 5
CSV: Final = "text/csv"
READ_BY: Final = "(admins and supervisors)"
STATUS_OF: Final = {
    "start": (CampaignStatus.RUNNING, "Start or resume; 409 without contacts or when finished"),
    "pause": (CampaignStatus.PAUSED, "Pause: calls in progress end, nothing new is dialled"),
    "stop": (CampaignStatus.FINISHED, "Stop for good: a finished campaign never restarts"),
}


async def _allowed(request: web.Request, *roles: Role) -> ApiContext:
    ctx = context_of(request)
    require(await identify(ctx, request), *roles)
    return ctx


def _campaign(request: web.Request) -> CampaignId:
    return CampaignId(request.match_info["campaign_id"])


async def _answer(ctx: ApiContext, campaign: CampaignId, **extra: object) -> web.Response:
    stored = await ctx.campaigns.get(campaign)
    progress = await ctx.campaigns.progress(campaign)
    view = campaign_view(stored, progress, await ctx.campaigns.due(campaign, ctx.now()))
    return web.json_response({"campaign": view, **extra})


# Campaigns -------------------------------------------------------------------------------


@route(
    routes,
    "GET",
    "/api/v1/campaigns",
    summary=f"Every campaign with its status and contacts {READ_BY}",
    answer=answers.Campaigns,
    roles=SUPERVISING,
    tag="campaigns",
)
async def list_campaigns(request: web.Request) -> web.Response:
    ctx = await _allowed(request, *SUPERVISING)
    found, now = await ctx.campaigns.list_campaigns(), ctx.now()
    views = [
        campaign_summary(
            c, await ctx.campaigns.progress(c.config.id), await ctx.campaigns.due(c.config.id, now)
        )
        for c in found
    ]
    return web.json_response({"campaigns": views})


@route(
    routes,
    "GET",
    "/api/v1/campaigns/{campaign_id}",
    summary=f"A campaign's config, status and contacts by status {READ_BY}",
    answer=answers.CampaignAnswer,
    roles=SUPERVISING,
    errors=(404,),
    tag="campaigns",
)
async def get_campaign(request: web.Request) -> web.Response:
    ctx = await _allowed(request, *SUPERVISING)
    return await _answer(ctx, _campaign(request))


@route(
    routes,
    "PUT",
    "/api/v1/campaigns/{campaign_id}",
    body=CampaignBody,
    summary="Create (as a draft) or replace a campaign's config; its queue must exist",
    answer=answers.CampaignAnswer,
    roles=ADMIN,
    errors=(409, 422),
    tag="campaigns",
)
async def put_campaign(request: web.Request, body: BaseModel) -> web.Response:
    ctx = await _allowed(request, Role.ADMIN)
    queue = QueueId(str(dict(body)["queue"]).strip())  # a required field of the body
    config = updated(new_campaign(_campaign(request), queue), body)
    config.validate()  # a SettingError is a 422 naming the field
    if config.queue not in (await ctx.directory.load()).queues:
        raise invalid("queue", f"unknown queue '{config.queue}'")
    created = await ctx.campaigns.save(config)
    return await _answer(ctx, config.id, created=created)


@route(
    routes,
    "POST",
    "/api/v1/campaigns/{campaign_id}/contacts",
    summary="Add contacts from a CSV file (at most 10 MB): good rows are stored, each bad row "
    "is listed as 'line n: reason', a number the campaign has is counted as already",
    answer=answers.Upload,
    roles=ADMIN,
    errors=(404, 408, 409, 413, 415, 422),
    content=CSV,
    tag="campaigns",
)
async def post_contacts(request: web.Request) -> web.Response:
    ctx = await _allowed(request, Role.ADMIN)
    if ctx.uploads.busy:  # rule 4a: one at a time, the others told when to come back
        raise ApiError(
            503,
            f"another contacts upload is being read: uploads go one at a time; "
            f"try again in {UPLOAD_RETRY_S} s",
            headers={"Retry-After": str(UPLOAD_RETRY_S)},
        )
    async with ctx.uploads.holding():
        text = await csv_text(request)
        upload = await upload_contacts(ctx.campaigns, _campaign(request), text)
    if upload.refused:
        raise ApiError(422, upload.errors[0])
    body = {"imported": upload.imported, "already": upload.already, "errors": upload.errors}
    return web.json_response(body)


def _status_route(action: str, status: CampaignStatus, summary: str) -> None:
    @route(
        routes,
        "POST",
        f"/api/v1/campaigns/{{campaign_id}}/{action}",
        body=Empty,
        body_required=False,
        summary=summary,
        answer=answers.CampaignAnswer,
        roles=ADMIN,
        errors=(404, 409),
        tag="campaigns",
    )
    async def change_status(request: web.Request, _body: Empty) -> web.Response:
        ctx = await _allowed(request, Role.ADMIN)
        campaign = _campaign(request)
        # The core's rules (cti/domain/outbound/campaign_status.py), as the CLI applies them.
        acd = await ctx.directory.load() if status is CampaignStatus.RUNNING else None
        await ctx.campaigns.set_status(campaign, status, acd=acd)
        await _tell_engine(ctx, campaign, status)
        return await _answer(ctx, campaign)


async def _tell_engine(ctx: ApiContext, campaign: CampaignId, status: CampaignStatus) -> None:
    """Rule 2: the engine dials (or stops) at once; the dialer's round would tell it too."""
    if status is CampaignStatus.RUNNING:
        decision = await ctx.run_campaign((await ctx.campaigns.get(campaign)).config)
        if decision is not None:
            accepted(decision)
    else:
        await ctx.engine.execute(HaltCampaign(at=ctx.now(), campaign=campaign))


for _action, (_status, _summary) in STATUS_OF.items():
    _status_route(_action, _status, _summary)


async def csv_text(request: web.Request) -> str:
    """The body as text, within the size and time limits (rule 4)."""
    if request.content_type != CSV:
        raise ApiError(415, f"the body must be {CSV}, not {request.content_type}")
    too_large = ApiError(413, f"request body too large (at most {MAX_CSV_BYTES} bytes)")
    if (request.content_length or 0) > MAX_CSV_BYTES:
        raise too_large
    raw = bytearray()
    try:
        async with asyncio.timeout(UPLOAD_SECONDS):
            async for chunk in request.content.iter_any():
                raw += chunk
                if len(raw) > MAX_CSV_BYTES:
                    raise too_large
    except TimeoutError:
        raise ApiError(408, f"the file was not received within {UPLOAD_SECONDS:g} s") from None
    try:
        return raw.decode(request.charset or "utf-8")
    except (UnicodeDecodeError, LookupError):
        raise ApiError(422, f"the file is not {request.charset or 'utf-8'} text") from None


# Do not call -----------------------------------------------------------------------------


@route(
    routes,
    "GET",
    "/api/v1/dnc",
    summary=f"The do-not-call numbers {READ_BY}",
    answer=answers.Numbers,
    roles=SUPERVISING,
    tag="campaigns",
)
async def get_dnc(request: web.Request) -> web.Response:
    ctx = await _allowed(request, *SUPERVISING)
    return web.json_response({"numbers": sorted(await ctx.campaigns.dnc_numbers())})


@route(
    routes,
    "POST",
    "/api/v1/dnc",
    body=DoNotCall,
    summary="Add numbers to the do-not-call list (a bad number: 422, nothing added)",
    answer=answers.Blocked,
    roles=ADMIN,
    errors=(422,),
    tag="campaigns",
)
async def post_dnc(request: web.Request, body: DoNotCall) -> web.Response:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    require(identity, Role.ADMIN)
    try:
        numbers = [normalize_number(number) for number in body.numbers]
    except ContactError as exc:
        raise invalid("numbers", exc) from None
    added = await ctx.campaigns.dnc_add(numbers, body.note or "")
    # Claimed contacts the core holds are checked again, so none of these is dialled now.
    await ctx.execute(
        BlockNumbers(at=ctx.now(), numbers=frozenset(numbers), by=f"admin:{identity.name}")
    )
    return web.json_response({"added": added, "numbers": numbers})


@route(
    routes,
    "DELETE",
    "/api/v1/dnc/{number}",
    summary="Take a number off the do-not-call list",
    answer=answers.Changed,
    roles=ADMIN,
    errors=(404, 422),
    tag="campaigns",
)
async def delete_dnc(request: web.Request) -> web.Response:
    ctx = await _allowed(request, Role.ADMIN)
    try:
        number = normalize_number(request.match_info["number"])
    except ContactError as exc:
        raise invalid("number", exc) from None
    if not await ctx.campaigns.dnc_remove(number):
        raise ApiError(404, f"number {number} is not on the do-not-call list")
    await ctx.execute(UnblockNumbers(at=ctx.now(), numbers=frozenset({number})))
    return web.json_response({"deleted": {"number": number}})


# Views -----------------------------------------------------------------------------------


def progress_view(progress: Mapping[ContactStatus, int], due: Due) -> Json:
    """Contacts by status, and the pending ones due now and the next instant one is (rule 5)."""
    counts = {status.value: progress.get(status, 0) for status in ContactStatus}
    return {
        "contacts": sum(counts.values()),
        "by_status": counts,
        "due_now": due.due_now,
        "next_due": due.next_due,
    }


def campaign_summary(
    stored: StoredCampaign, progress: Mapping[ContactStatus, int], due: Due
) -> Json:
    config = stored.config
    return {
        "id": config.id,
        "name": config.name,
        "queue": config.queue,
        "mode": config.mode.value,
        "status": stored.status.value,
        "progress": progress_view(progress, due),
    }


def campaign_view(stored: StoredCampaign, progress: Mapping[ContactStatus, int], due: Due) -> Json:
    """Status and progress, and under `config` the whole config as the PUT body takes it."""
    config = {k: v for k, v in plain_object(stored.config).items() if k != "id"}
    return campaign_summary(stored, progress, due) | {"config": config}
