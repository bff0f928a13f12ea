"""The OpenAPI 3.1 document of the HTTP API, written by hand as data.

Rule 1: every routed path and method is described here and everything described here is
routed; tests/api/test_openapi.py walks the router to keep the two equal.
Rule 2: the schemas (cti/api/schemas.py) say what the parsers in cti/api/bodies.py accept.
Rule 3: every operation lists the error statuses it can answer; 401 and 403 on all but
the public ones (health, metrics, this document, agent login), 503 on all.
"""

from __future__ import annotations

from typing import Final, cast

from aiohttp import web

from cti.api.schemas import ANSWERS, BODIES, STRING, Schema, json_content, ref

routes = web.RouteTableDef()

ERROR_STATUSES: Final = {
    400: "Malformed JSON, a missing or mistyped field, or an unknown field (`field` names it)",
    401: "Missing, unknown or revoked token; or a wrong agent or PIN at login",
    403: "The token's role may not do this, or an agent acting on another agent",
    404: "Unknown agent, queue, call, reason or campaign; a number not on the do-not-call list",
    408: "The request body was not received in time",
    409: "Not allowed in the current state (e.g. already logged in, not in wrap-up)",
    413: "Request body too large",
    415: "The body is not of the media type the operation takes",
    422: "A well-formed value the configuration refuses",
    503: "The engine is busy or storage is unavailable",
}


def _op(
    summary: str,
    ok: str,
    *,
    errors: tuple[int, ...] = (),
    body: str | None = None,
    body_required: bool = True,
    public: bool = False,
    tag: str = "agents",
) -> Schema:
    responses: dict[str, object] = {"200": {"description": "Success", **json_content(ref(ok))}}
    statuses = sorted({*errors, *(() if public else (401, 403)), 503})
    for status in statuses:
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    op: Schema = {"summary": summary, "tags": [tag], "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": body_required, **json_content(ref(f"{body}Body"))}
        responses.setdefault("400", {"$ref": "#/components/responses/E400"})
        responses.setdefault("413", {"$ref": "#/components/responses/E413"})
    op["security"] = [] if public else [{"bearer": []}]
    return op


def _created(op: Schema) -> Schema:
    """The operation answering 201 Created where _op says 200."""
    responses = dict(cast(Schema, op["responses"]))
    return {**op, "responses": {"201": responses.pop("200"), **responses}}


def _path_param(name: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": STRING}


def _query(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": STRING,
        "description": description,
    }


AGENT = [_path_param("agent_id")]
WHEN = "epoch seconds or ISO 8601 with an offset"
NOT_FOUND, CONFLICT, INVALID = 404, 409, 422
ACT = (CONFLICT, NOT_FOUND)


CAMPAIGN = [_path_param("campaign_id")]
READ_BY = "(admins and supervisors)"


def _campaign_action(summary: str) -> Schema:
    op = _op(summary, "Campaign", body="Empty", body_required=False, errors=ACT, tag="campaigns")
    return {"parameters": CAMPAIGN, "post": op}


def _campaign_read(summary: str, answer: str, **query: str) -> Schema:
    """A GET of campaign figures by its readers, with query parameters (name: text)."""
    op = _op(f"{summary} {READ_BY}", answer, errors=(400, NOT_FOUND), tag="campaigns")
    return {**op, "parameters": [_query(name, text) for name, text in query.items()]}


def _csv_upload(summary: str) -> Schema:
    op = _op(summary, "Upload", errors=(404, 408, 409, 413, 415, 422), tag="campaigns")
    csv = {"schema": {"type": "string", "description": "a header row with a number column"}}
    return {**op, "requestBody": {"required": True, "content": {"text/csv": csv}}}


def _agent_action(summary: str, body: str, *, required: bool, errors: tuple[int, ...]) -> Schema:
    return {
        "parameters": AGENT,
        "post": _op(summary, "AgentAnswer", body=body, body_required=required, errors=errors),
    }


PATHS: Final[dict[str, Schema]] = {
    "/healthz": {
        "get": _op("AMI and database health", "Health", public=True, tag="operations"),
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics (text format)",
            "tags": ["operations"],
            "security": [],
            "responses": {"200": {"description": "Prometheus text format"}},
        }
    },
    "/api/v1/openapi.json": {
        "get": _op("This document", "OpenApi", public=True, tag="operations"),
    },
    "/api/v1/agents/{agent_id}/login": {
        "parameters": AGENT,
        "post": _op(
            "Log in with the agent's PIN on a device; returns the agent's token (P3)",
            "LoginAnswer",
            body="Login",
            errors=(401, *ACT),
            public=True,
        ),
    },
    "/api/v1/agents/{agent_id}/logout": _agent_action(
        "Log out (a supervisor's token forces it)", "Empty", required=False, errors=ACT
    ),
    "/api/v1/agents/{agent_id}/ready": _agent_action(
        "Ready for calls (a supervisor's token forces it)", "Empty", required=False, errors=ACT
    ),
    "/api/v1/agents/{agent_id}/not-ready": _agent_action(
        "Not ready with a reason (P5)", "NotReady", required=True, errors=(*ACT, INVALID)
    ),
    "/api/v1/agents/{agent_id}/wrap-up/end": _agent_action(
        "End wrap-up, with a disposition (C4)", "WrapUpEnd", required=False, errors=(*ACT, INVALID)
    ),
    "/api/v1/agents/{agent_id}/transfer": _agent_action(
        "Blind transfer of the caller to a queue, an extension or the survey (P7, P8)",
        "Transfer",
        required=True,
        errors=(*ACT, INVALID),
    ),
    "/api/v1/agents/{agent_id}/consult": _agent_action(
        "Attended transfer, first step: the caller holds while another agent, who must be "
        "available, is rung from this agent's phone (P8)",
        "Consult",
        required=True,
        errors=(*ACT, INVALID),
    ),
    "/api/v1/agents/{agent_id}/consult/complete": _agent_action(
        "Attended transfer, last step: the consulted agent, who answered, takes the caller; "
        "this agent goes to wrap-up (P8)",
        "Empty",
        required=False,
        errors=ACT,
    ),
    "/api/v1/agents/{agent_id}/consult/cancel": _agent_action(
        "End the consultation and take the caller back (P8)", "Empty", required=False, errors=ACT
    ),
    "/api/v1/agents/{agent_id}/preview": _agent_action(
        "Preview dialling (P25): take the next contact of a preview campaign; it is shown under "
        "agent.outbound with the campaign's script, and the agent is reserved until it dials or "
        "skips it",
        "Preview",
        required=True,
        errors=(*ACT, INVALID),
    ),
    "/api/v1/agents/{agent_id}/preview/dial": _agent_action(
        "Dial the previewed contact; the answered call comes to this agent",
        "Empty",
        required=False,
        errors=ACT,
    ),
    "/api/v1/agents/{agent_id}/preview/skip": _agent_action(
        "Skip the previewed contact (recorded as a skipped attempt)",
        "Empty",
        required=False,
        errors=ACT,
    ),
    "/api/v1/agents/{agent_id}/hangup": _agent_action(
        "Hang up the agent's call", "Empty", required=False, errors=ACT
    ),
    "/api/v1/agents/{agent_id}": {
        "parameters": AGENT,
        "get": _op("An agent's live state and current call", "AgentAnswer", errors=(NOT_FOUND,)),
    },
    "/api/v1/agents/{agent_id}/figures": {
        "parameters": AGENT,
        "get": {
            **_op(
                "An agent's figures over [since, until)", "Figures", errors=(400,), tag="history"
            ),
            "parameters": [_query("since", WHEN), _query("until", WHEN)],
        },
    },
    "/api/v1/agents": {
        "get": _op("Every configured agent with its live state (C8)", "Agents", tag="supervisors"),
    },
    "/api/v1/queues": {
        "get": _op(
            "Every queue: callers in serve order, members by state, offers (C8)",
            "Queues",
            tag="supervisors",
        ),
    },
    "/api/v1/events": {
        "get": {
            "summary": "WebSocket: snapshot, then live events (screen pop for agents, C7)",
            "tags": ["supervisors"],
            "parameters": [_query("token", "the bearer token (browsers cannot set headers)")],
            "security": [{"bearer": []}, {"query": []}],
            "responses": {
                "101": {"description": "Switching to the WebSocket protocol"},
                "400": {"$ref": "#/components/responses/E400"},
                "401": {"$ref": "#/components/responses/E401"},
            },
        }
    },
    "/api/v1/calls/{call_id}": {
        "parameters": [_path_param("call_id")],
        "get": _op(
            "A stored call with its segments and offers", "Call", errors=(NOT_FOUND,), tag="history"
        ),
    },
    "/api/v1/findings": {
        "get": {
            **_op("Compliance findings, oldest first", "Findings", errors=(400,), tag="history"),
            "parameters": [
                _query("rule", "a rule id, e.g. C3.ring_limit"),
                _query("agent", "an agent id (agents: their own only)"),
                _query("since", WHEN),
                _query("until", WHEN),
                _query("limit", "at most this many (1-1000)"),
            ],
        }
    },
    "/api/v1/admin/config": {
        "get": _op("The stored configuration", "Config", tag="admin"),
    },
    "/api/v1/admin/queues/{queue_id}": {
        "parameters": [_path_param("queue_id")],
        "put": _op(
            "Create or replace a queue", "Changed", body="Queue", errors=(INVALID,), tag="admin"
        ),
        "delete": _op("Delete a queue without members", "Changed", errors=ACT, tag="admin"),
    },
    "/api/v1/admin/agents/{agent_id}": {
        "parameters": AGENT,
        "put": _op(
            "Create or replace an agent (and its PIN)",
            "Changed",
            body="Agent",
            errors=(INVALID,),
            tag="admin",
        ),
        "delete": _op("Delete an agent who is logged out", "Changed", errors=ACT, tag="admin"),
    },
    "/api/v1/admin/reasons/{code}": {
        "parameters": [_path_param("code")],
        "put": _op(
            "Create or replace a not-ready reason",
            "Changed",
            body="Reason",
            errors=(INVALID,),
            tag="admin",
        ),
        "delete": _op("Delete a not-ready reason", "Changed", errors=(NOT_FOUND,), tag="admin"),
    },
    "/api/v1/campaigns": {
        "get": _op(
            f"Every campaign with its status and contacts {READ_BY}", "Campaigns", tag="campaigns"
        ),
    },
    "/api/v1/campaigns/{campaign_id}": {
        "parameters": CAMPAIGN,
        "get": _op(
            f"A campaign's config, status and contacts by status {READ_BY}",
            "Campaign",
            errors=(NOT_FOUND,),
            tag="campaigns",
        ),
        "put": _op(
            "Create (as a draft) or replace a campaign's config; its queue must exist",
            "Campaign",
            body="Campaign",
            errors=(CONFLICT, INVALID),
            tag="campaigns",
        ),
    },
    "/api/v1/campaigns/{campaign_id}/contacts": {
        "parameters": CAMPAIGN,
        "post": _csv_upload(
            "Add contacts from a CSV file (at most 10 MB): good rows are stored, each bad row "
            "is listed as 'line n: reason', a number the campaign has is counted as already"
        ),
    },
    "/api/v1/campaigns/{campaign_id}/start": _campaign_action(
        "Start or resume (status only: running); 409 without contacts or when finished"
    ),
    "/api/v1/campaigns/{campaign_id}/pause": _campaign_action("Pause (status only: paused)"),
    "/api/v1/campaigns/{campaign_id}/stop": _campaign_action(
        "Stop for good (status only: finished); a finished campaign never restarts"
    ),
    "/api/v1/campaigns/{campaign_id}/stats": {
        "parameters": CAMPAIGN,
        "get": _campaign_read(
            "A campaign's attempts started in [since, until) by result, dials, answers, "
            "abandon rate, average ring and connect seconds, contacts by status, and the "
            "abandon window the pacer holds now with its cap",
            "CampaignStats",
            since=WHEN,
            until=WHEN,
        ),
    },
    "/api/v1/campaigns/{campaign_id}/attempts": {
        "parameters": CAMPAIGN,
        "get": _campaign_read(
            "A campaign's dial attempts, newest first",
            "Attempts",
            result="only attempts with this result, e.g. abandoned",
            since=WHEN,
            until=WHEN,
            limit="at most this many (1-1000, default 100)",
        ),
    },
    "/api/v1/outbound/seats": {
        "get": _campaign_read(
            "P16: each outbound seat's dials and successes in a day (UTC) against the seat "
            "targets, findings with staffing advice, and the day's staffing",
            "Seats",
            day="YYYY-MM-DD, a day in UTC (default: today)",
            campaign="one campaign's dials, against its seat targets",
        ),
    },
    "/api/v1/agents/{agent_id}/callbacks": {
        "parameters": AGENT,
        "post": _created(
            _op(
                "P9: promise a callback for a time, to this agent (`to: me`) or to the queue; "
                "refused outside the calling window in the customer's local time",
                "Callback",
                body="Callback",
                errors=(NOT_FOUND, CONFLICT, INVALID),
                tag="callbacks",
            )
        ),
    },
    "/api/v1/callbacks": {
        "get": {
            **_op(
                "Open callbacks and follow-ups by due time (P9, P18); an agent sees its own",
                "Callbacks",
                errors=(400,),
                tag="callbacks",
            ),
            "parameters": [
                _query("queue", "one queue's"),
                _query("agent", "promised to this agent"),
                _query("all", "true: closed and done ones too"),
            ],
        },
    },
    "/api/v1/callbacks/{contact_id}": {
        "parameters": [_path_param("contact_id")],
        "delete": _op(
            "Cancel a pending callback or follow-up (its agent, supervisors, admins)",
            "Callback",
            errors=(NOT_FOUND, CONFLICT),
            tag="callbacks",
        ),
    },
    "/api/v1/dnc": {
        "get": _op(f"The do-not-call numbers {READ_BY}", "DoNotCall", tag="campaigns"),
        "post": _op(
            "Add numbers to the do-not-call list (a bad number: 422, nothing added)",
            "Changed",
            body="DoNotCall",
            errors=(INVALID,),
            tag="campaigns",
        ),
    },
    "/api/v1/dnc/{number}": {
        "parameters": [_path_param("number")],
        "delete": _op(
            "Take a number off the do-not-call list",
            "Changed",
            errors=(NOT_FOUND, INVALID),
            tag="campaigns",
        ),
    },
}

DOCUMENT: Final[Schema] = {
    "openapi": "3.1.0",
    "info": {
        "title": "cti: ACD and CTI server for Asterisk",
        "version": "1",
        "description": (
            'Agents, supervisors and admins. Errors are JSON {"error": reason}; a refused '
            "command changes nothing. Phone numbers are masked for agents except on their "
            "own calls (P22)."
        ),
    },
    "paths": PATHS,
    "components": {
        "schemas": {**{f"{k}Body": v for k, v in BODIES.items()}, **ANSWERS},
        "responses": {
            f"E{status}": {"description": text, **json_content(ref("Error"))}
            for status, text in ERROR_STATUSES.items()
        },
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "query": {"type": "apiKey", "in": "query", "name": "token"},
        },
    },
}


@routes.get("/api/v1/openapi.json")
async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)
