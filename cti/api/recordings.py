"""Recording routes (issue 16, P11, P22): the recordings of calls, and their audio.

Rules:
1. Supervisors and admins only (403 for agents and viewers): recordings are customer data
   (P22); QA and monitoring are theirs (P11).
2. `GET /api/v1/recordings` lists recordings, oldest answer first, paged, filterable by
   call, agent, queue and range of the agent's answer; each with its length in seconds
   (the file's; null when the file is missing or unreadable) and whether its audio can be
   played (`available`: the file is there and retention has not deleted it).
3. `GET /api/v1/recordings/{id}/audio` streams the WAV (`audio/wav`; HTTP ranges work, so
   a player can seek). 404 for an unknown id or a missing file, 410 once retention
   deleted it.
4. Every listing and every playing is written to the `cti.audit` log with who, which
   recordings and which call (P22), before the first byte is sent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from aiohttp import web

from cti.api import answers
from cti.api.auth import identify
from cti.api.context import ApiContext, context_of
from cti.api.cursor import DESCRIBED, PARAMETER, Filters, Listing
from cti.api.errors import ApiError
from cti.api.identity import SUPERVISING
from cti.api.query import count, moment, positive_int, query_fields, time_range
from cti.api.route import route
from cti.domain.ids import AgentId, CallId, QueueId
from cti.storage.recording_store import RecordingEntry

audit = logging.getLogger("cti.audit")
routes = web.RouteTableDef()

MAX_RECORDINGS: Final = 500
DEFAULT_RECORDINGS: Final = 100
RECORDINGS: Final = Listing("recordings", int)
WAV: Final = "audio/wav"


@route(
    routes,
    "GET",
    "/api/v1/recordings",
    summary="Call recordings (one per agent who answered a recorded call), oldest first, paged",
    answer=answers.Recordings,
    roles=SUPERVISING,
    errors=(400,),
    query={
        "call": "a call id",
        "agent": "an agent id",
        "queue": "a queue",
        "since": moment("answered at or after"),
        "until": moment("answered before"),
        "limit": count(MAX_RECORDINGS, DEFAULT_RECORDINGS),
        PARAMETER: DESCRIBED,
    },
    tag="history",
)
async def list_recordings(request: web.Request) -> web.Response:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    query = request.query
    query_fields(query, {"call", "agent", "queue", "since", "until", "limit", PARAMETER})
    call = CallId(query["call"]) if query.get("call") else None
    agent = AgentId(query["agent"]) if query.get("agent") else None
    queue = QueueId(query["queue"]) if query.get("queue") else None
    since, until = time_range(query)
    bound: Filters = {"call": call, "agent": agent, "queue": queue, "since": since, "until": until}
    page = await ctx.recordings.entries(
        call=call,
        agent=agent,
        queue=queue,
        since=since,
        until=until,
        limit=positive_int(query, "limit", DEFAULT_RECORDINGS, MAX_RECORDINGS),
        after=RECORDINGS.resume(query, bound),
    )
    audit.info(
        "%s listed %d recordings: %s", identity.by, len(page.items),
        ",".join(str(e.id) for e in page.items) or "-",
    )  # fmt: skip
    # Each length is a read of a file's header in a thread: read them side by side.
    listed = await asyncio.gather(*(_view(ctx, entry) for entry in page.items))
    return web.json_response({"recordings": listed, "next": RECORDINGS.next(bound, page.after)})


@route(
    routes,
    "GET",
    "/api/v1/recordings/{recording_id}/audio",
    summary="A recording's audio (audio/wav; ranges allowed); every playing is audited (P22)",
    answer=None,
    roles=SUPERVISING,
    errors=(404, 410),
    tag="history",
)
async def play(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    identity = await identify(ctx, request)
    entry = await _entry(ctx, request.match_info["recording_id"])
    if entry.deleted_at is not None:
        raise ApiError(410, f"recording {entry.id} was deleted by retention")
    path = ctx.recording_audio.path(entry.recording.file)
    if path is None or await ctx.recording_audio.seconds(entry.recording.file) is None:
        raise ApiError(404, f"the file of recording {entry.id} is missing")
    audit.info(
        "%s played recording %d (call %s, agent %s)", identity.by, entry.id,
        entry.recording.call, entry.recording.agent,
    )  # fmt: skip
    return web.FileResponse(path, headers={"Content-Type": WAV, "Cache-Control": "no-store"})


async def _entry(ctx: ApiContext, given: str) -> RecordingEntry:
    if not given.isdigit():
        raise ApiError(404, f"no recording {given}")
    entry = await ctx.recordings.entry(int(given))
    if entry is None:
        raise ApiError(404, f"no recording {given}")
    return entry


async def _view(ctx: ApiContext, entry: RecordingEntry) -> dict[str, object]:
    recording = entry.recording
    seconds = (
        None if entry.deleted_at is not None else await ctx.recording_audio.seconds(recording.file)
    )
    return {
        "id": entry.id,
        "call": recording.call,
        "agent": recording.agent,
        "queue": recording.queue,
        "file": recording.file,
        "started_at": recording.started_at,
        "seconds": None if seconds is None else round(seconds, 3),
        "available": seconds is not None,
        "deleted_at": entry.deleted_at,
        "audio": f"/api/v1/recordings/{entry.id}/audio",
    }
