"""Campaign figures: a campaign's statistics, its attempts, and outbound seats' days (C5, P16).

Rules:
1. Readers are those of the campaign routes (admins and supervisors, campaigns rule 1);
   agents get 403. Numbers in the attempts listing are shown as the rest of the API shows
   them (P22: whole to supervisors and admins, masked to anyone else).
2. Time ranges are half-open, [since, until), in epoch seconds or ISO 8601 with an offset,
   as the history routes take them; an end left out is open. Attempts belong to a range
   by the instant their dial started (cti.storage.campaign_stats rule 1), and are listed
   newest first, a page at a time (cti.api.cursor; cti.storage.campaign_stats rule 7).
3. The abandon window is always the one the pacer holds now (the campaign's
   pacing.window back from now, with its cap), whatever range the statistics cover.
4. A seat's day is a calendar day in UTC (cti.domain.outbound.seats rule 4); today when none is
   given. Targets are the campaign's seat targets when a campaign is named, else P16's
   defaults. An unknown campaign is 404, a bad parameter 400 naming it.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from cti.api import answers, views
from cti.api.auth import identify, require
from cti.api.campaigns import READ_BY, progress_view
from cti.api.context import ApiContext, context_of
from cti.api.cursor import DESCRIBED, PARAMETER, Filters, Listing
from cti.api.identity import SUPERVISING, Identity
from cti.api.query import (
    calendar_day,
    choice,
    count,
    date_of,
    moment,
    one_of,
    positive_int,
    query_fields,
    time_range,
)
from cti.api.route import route
from cti.api.views import Json
from cti.domain.ids import Instant
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.attempt import DialAttempt
from cti.domain.outbound.campaign import AttemptResult, CampaignId, SeatTargets
from cti.domain.outbound.pacing import PacingConfig
from cti.domain.outbound.seats import (
    ADVICE_TEXT,
    Advice,
    SeatDay,
    SeatReview,
    day_of,
    day_range,
    review,
)
from cti.storage.campaign_stats import AttemptFigures

routes = web.RouteTableDef()

MAX_ATTEMPTS: Final = 1000
DEFAULT_ATTEMPTS: Final = 100
DAY_ZONE: Final = "UTC"  # rule 4
ATTEMPTS: Final = Listing("attempts", str)


async def _reader(request: web.Request) -> tuple[ApiContext, Identity]:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    require(identity, *SUPERVISING)
    return ctx, identity


def _range(request: web.Request, *others: str) -> tuple[Instant | None, Instant | None]:
    """since and until (rule 2); the query may hold only those and `others`."""
    query_fields(request.query, {"since", "until", *others})
    return time_range(request.query)


@route(
    routes,
    "GET",
    "/api/v1/campaigns/{campaign_id}/stats",
    summary="A campaign's attempts started in [since, until) by result, dials, answers, "
    "abandon rate, average ring and connect seconds, contacts by status, and the abandon "
    f"window the pacer holds now with its cap {READ_BY}",
    answer=answers.CampaignStats,
    roles=SUPERVISING,
    errors=(400, 404),
    query={"since": moment(), "until": moment()},
    tag="campaigns",
)
async def campaign_stats(request: web.Request) -> web.Response:
    ctx, _ = await _reader(request)
    campaign = CampaignId(request.match_info["campaign_id"])
    since, until = _range(request)
    pacing = (await ctx.campaigns.get(campaign)).config.pacing  # 404 when unknown
    now = ctx.now()
    figures = await ctx.campaigns.attempt_figures(campaign, since, until)
    window = await ctx.campaigns.abandon_window(campaign, now, pacing.window)
    progress = progress_view(
        await ctx.campaigns.progress(campaign), await ctx.campaigns.due(campaign, now)
    )
    body = {"campaign": campaign, "since": since, "until": until, **figures_view(figures)}
    body |= {"progress": progress, "window": window_view(window, pacing, now)}
    return web.json_response({"stats": body})


@route(
    routes,
    "GET",
    "/api/v1/campaigns/{campaign_id}/attempts",
    summary=f"A campaign's dial attempts, newest first, a page at a time {READ_BY}",
    answer=answers.Attempts,
    roles=SUPERVISING,
    errors=(400, 404),
    query={
        "result": one_of("only attempts with this result, e.g. abandoned", AttemptResult),
        "since": moment(),
        "until": moment(),
        "limit": count(MAX_ATTEMPTS, DEFAULT_ATTEMPTS),
        PARAMETER: DESCRIBED,
    },
    tag="campaigns",
)
async def campaign_attempts(request: web.Request) -> web.Response:
    ctx, identity = await _reader(request)
    campaign = CampaignId(request.match_info["campaign_id"])
    since, until = _range(request, "result", "limit", PARAMETER)
    limit = positive_int(request.query, "limit", DEFAULT_ATTEMPTS, MAX_ATTEMPTS)
    result = choice(request.query, "result", AttemptResult)
    bound: Filters = {"campaign": campaign, "result": result, "since": since, "until": until}
    after = ATTEMPTS.resume(request.query, bound)
    await ctx.campaigns.get(campaign)  # 404 when unknown
    page = await ctx.campaigns.attempts(
        campaign, since=since, until=until, result=result, limit=limit, after=after
    )
    shown = [attempt_view(a, numbers=identity.sees_numbers) for a in page.items]
    return web.json_response({"attempts": shown, "next": ATTEMPTS.next(bound, page.after)})


@route(
    routes,
    "GET",
    "/api/v1/outbound/seats",
    summary="P16: each outbound seat's dials and successes in a day (UTC) against the seat "
    f"targets, findings with staffing advice, and the day's staffing {READ_BY}",
    answer=answers.Seats,
    roles=SUPERVISING,
    errors=(400, 404),
    query={
        "day": calendar_day("YYYY-MM-DD, a day in UTC (default: today)"),
        "campaign": "one campaign's dials, against its seat targets",
    },
    tag="campaigns",
)
async def outbound_seats(request: web.Request) -> web.Response:
    ctx, _ = await _reader(request)
    query_fields(request.query, {"day", "campaign"})
    day = date_of(request.query, "day") or day_of(ctx.now())
    named = request.query.get("campaign") or None
    campaign = None if named is None else CampaignId(named)
    targets = SeatTargets()
    if campaign is not None:
        targets = (await ctx.campaigns.get(campaign)).config.seat  # 404 when unknown
    start, end = day_range(day)
    counts = await ctx.campaigns.seat_day(start, end, campaign)
    found = review(counts.seats, counts.unassigned, targets)
    head: Json = {"day": day.isoformat(), "timezone": DAY_ZONE, "since": start, "until": end}
    return web.json_response(head | {"campaign": campaign} | seats_view(found, targets))


# Views -----------------------------------------------------------------------------------


def _seconds(value: float | None) -> float | None:
    return None if value is None else views.seconds(value)


def figures_view(figures: AttemptFigures) -> Json:
    return {
        "attempts": figures.attempts,
        "by_result": {result.value: count for result, count in figures.by_result.items()},
        "dials": figures.dials,
        "answered_by_person": figures.answered_by_person,
        "connected": figures.connected,
        "abandoned": figures.abandoned,
        "abandon_rate": figures.abandon_rate,
        "average_ring_seconds": _seconds(figures.average_ring_seconds),
        "average_connect_seconds": _seconds(figures.average_connect_seconds),
    }


def window_view(window: AbandonWindow, pacing: PacingConfig, now: Instant) -> Json:
    """The abandon window as the pacer enforces it (rule 3; pacing rule 2)."""
    cap = pacing.abandon_cap
    return {
        "seconds": window.length,
        "since": now - window.length,
        "until": now,
        "answered_by_person": window.answered,
        "abandoned": window.abandoned,
        "abandon_rate": window.rate if window.answered else None,
        "cap": cap,
        "at_cap": window.reached(cap),
        "room": round(window.room(cap), 3),
        "dials_ahead": window.room(cap) >= 1.0,  # as the pacer decides it
    }


def attempt_view(attempt: DialAttempt, *, numbers: bool) -> Json:
    connect = None
    if attempt.connected_at is not None and attempt.answered_at is not None:
        connect = views.seconds(attempt.connected_at - attempt.answered_at)
    return _object(attempt) | {
        "number": views.number(attempt.number, numbers),
        "ring_seconds": views.seconds(attempt.ring_seconds),
        "connect_seconds": connect,
    }


def seats_view(found: SeatReview, targets: SeatTargets) -> Json:
    return {
        "targets": _object(targets),
        "seats": [_seat_view(seat) for seat in found.seats],
        "staffing": _object(found.staffing) | _texts(found.staffing.advice),
    }


def _seat_view(seat: SeatDay) -> Json:
    findings = [_object(f) | {"text": ADVICE_TEXT[f.advice]} for f in seat.findings]
    in_range = not findings
    return {"agent": seat.agent, **_object(seat.count), "in_range": in_range, "findings": findings}


def _texts(advice: tuple[Advice, ...]) -> Json:
    return {"text": [ADVICE_TEXT[a] for a in advice]}


def _object(value: object) -> Json:
    body = views.plain(value)
    assert isinstance(body, dict)
    return body
