"""Campaign routes: outbound campaigns, their contacts and the do-not-call list (C5).

Rules:
1. Admin tokens change things; supervisors may read (campaigns, the do-not-call list);
   agents get 403.
2. Nothing is dialled here: start, pause and stop only move the stored status
   (CampaignStore rule 1: a finished campaign is never restarted, one without contacts
   is not started; refusals are 409 with the store's reason).
3. A campaign's queue must be configured (422 "unknown queue"); the store keeps what it
   is given (its rule 6), so the check is here.
4. A contacts upload is a text/csv body of at most MAX_CSV_BYTES (413 beyond), received
   within UPLOAD_SECONDS (408 after). Bad rows do not fail it: they come back as
   "line <n>: reason" errors and the good rows are stored; a file without a usable header
   is refused whole (422). Storage awaits are bounded by the store's timeout.
"""

from __future__ import annotations

import asyncio
from typing import Final

from aiohttp import web

from cti.api import bodies
from cti.api.auth import identify, require
from cti.api.campaign_json import (
    campaign_body,
    campaign_summary,
    campaign_view,
    dnc_body,
    invalid,
)
from cti.api.context import ApiContext, context_of
from cti.api.errors import ApiError
from cti.domain.campaign import CampaignId, CampaignStatus
from cti.domain.commands import BlockNumbers
from cti.domain.contact import ContactError, normalize_number
from cti.storage.contact_upload import upload_contacts
from cti.storage.tokens import Role

routes = web.RouteTableDef()

MAX_CSV_BYTES: Final = 10 * 1024 * 1024
UPLOAD_SECONDS: Final = 60.0
CSV: Final = "text/csv"
READERS: Final = (Role.ADMIN, Role.SUPERVISOR)
STATUS_OF: Final = {
    "start": CampaignStatus.RUNNING,
    "pause": CampaignStatus.PAUSED,
    "stop": CampaignStatus.FINISHED,
}


async def _allowed(request: web.Request, *roles: Role) -> ApiContext:
    ctx = context_of(request)
    require(await identify(ctx, request), *roles)
    return ctx


def _campaign(request: web.Request) -> CampaignId:
    return CampaignId(request.match_info["campaign_id"])


async def _answer(ctx: ApiContext, campaign: CampaignId, **extra: object) -> web.Response:
    stored = await ctx.campaigns.get(campaign)
    view = campaign_view(stored, await ctx.campaigns.progress(campaign))
    return web.json_response({"campaign": view, **extra})


# Campaigns -------------------------------------------------------------------------------


@routes.get("/api/v1/campaigns")
async def list_campaigns(request: web.Request) -> web.Response:
    ctx = await _allowed(request, *READERS)
    found = await ctx.campaigns.list_campaigns()
    views = [campaign_summary(c, await ctx.campaigns.progress(c.config.id)) for c in found]
    return web.json_response({"campaigns": views})


@routes.get("/api/v1/campaigns/{campaign_id}")
async def get_campaign(request: web.Request) -> web.Response:
    ctx = await _allowed(request, *READERS)
    return await _answer(ctx, _campaign(request))


@routes.put("/api/v1/campaigns/{campaign_id}")
async def put_campaign(request: web.Request) -> web.Response:
    ctx = await _allowed(request, Role.ADMIN)
    config = campaign_body(_campaign(request), await bodies.read_object(request))
    if config.queue not in (await ctx.directory.load()).queues:
        raise invalid("queue", f"unknown queue '{config.queue}'")
    created = await ctx.campaigns.save(config)
    return await _answer(ctx, config.id, created=created)


@routes.post("/api/v1/campaigns/{campaign_id}/contacts")
async def post_contacts(request: web.Request) -> web.Response:
    ctx = await _allowed(request, Role.ADMIN)
    upload = await upload_contacts(ctx.campaigns, _campaign(request), await _csv_text(request))
    if upload.refused:
        raise ApiError(422, upload.errors[0])
    body = {"imported": upload.imported, "already": upload.already, "errors": upload.errors}
    return web.json_response(body)


def _status_route(action: str, status: CampaignStatus) -> None:
    @routes.post(f"/api/v1/campaigns/{{campaign_id}}/{action}")
    async def change_status(request: web.Request) -> web.Response:
        ctx = await _allowed(request, Role.ADMIN)
        bodies.empty_body(await bodies.read_object(request))
        # The core's rules (cti/domain/campaign_status.py), as the CLI applies them.
        acd = await ctx.directory.load() if status is CampaignStatus.RUNNING else None
        await ctx.campaigns.set_status(_campaign(request), status, acd=acd)
        return await _answer(ctx, _campaign(request))


for _action, _status in STATUS_OF.items():
    _status_route(_action, _status)


async def _csv_text(request: web.Request) -> str:
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


@routes.get("/api/v1/dnc")
async def get_dnc(request: web.Request) -> web.Response:
    ctx = await _allowed(request, *READERS)
    return web.json_response({"numbers": sorted(await ctx.campaigns.dnc_numbers())})


@routes.post("/api/v1/dnc")
async def post_dnc(request: web.Request) -> web.Response:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    require(identity, Role.ADMIN)
    numbers, note = dnc_body(await bodies.read_object(request))
    added = await ctx.campaigns.dnc_add(numbers, note)
    # Claimed contacts the core holds are checked again, so none of these is dialled now.
    await ctx.execute(
        BlockNumbers(at=ctx.now(), numbers=frozenset(numbers), by=f"admin:{identity.name}")
    )
    return web.json_response({"added": added, "numbers": numbers})


@routes.delete("/api/v1/dnc/{number}")
async def delete_dnc(request: web.Request) -> web.Response:
    ctx = await _allowed(request, Role.ADMIN)
    try:
        number = normalize_number(request.match_info["number"])
    except ContactError as exc:
        raise invalid("number", exc) from None
    if not await ctx.campaigns.dnc_remove(number):
        raise ApiError(404, f"number {number} is not on the do-not-call list")
    return web.json_response({"deleted": {"number": number}})
