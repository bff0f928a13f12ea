"""JSON Schemas of the OpenAPI document: request bodies and answers, as data.

Rule 1: each request body schema states the same required fields and types as its parser
in cti/api/bodies.py, allows no other fields, and carries a valid body as its first
example; tests/api/test_openapi.py sends it with each field removed or mistyped.
Rule 2: answers are described as far as clients rely on them; views.py shapes them.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Final

from cti.domain.campaign import RETRIED, AttemptResult, SeatTargets
from cti.domain.pacing import DialMode, PacingConfig
from cti.domain.seats import Advice, Bound, Measure

Schema = dict[str, object]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: Schema) -> Schema:
    return {"content": {"application/json": {"schema": schema}}}


def _object(properties: dict[str, Schema], required: tuple[str, ...], example: Schema) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
        "examples": [example],
    }


STRING: Final[Schema] = {"type": "string"}
NUMBER: Final[Schema] = {"type": "number"}
INSTANT: Final[Schema] = {"type": ["number", "null"], "description": "seconds since the epoch"}
LEVELS: Final[Schema] = {"type": "object", "additionalProperties": {"type": "integer"}}
OPTIONAL_NUMBER: Final[Schema] = {"type": ["number", "null"]}
AGENT_STATES: Final = [
    "logged_out",
    "available",
    "reserved",
    "offered",
    "on_call",
    "wrap_up",
    "not_ready",
]

BODIES: Final[dict[str, Schema]] = {
    "Empty": _object({}, (), {}),
    "Login": _object(
        {
            "pin": {"type": "string", "pattern": "^[0-9]{4,12}$"},
            "device": {"type": "string", "description": "'1001' means 'PJSIP/1001'"},
            "takeover": {"type": "boolean", "default": False},
        },
        ("pin", "device"),
        {"pin": "1234", "device": "PJSIP/1001", "takeover": False},
    ),
    "NotReady": _object(
        {"reason": {"type": "string", "description": "a configured not-ready reason (P5)"}},
        ("reason",),
        {"reason": "lunch"},
    ),
    "WrapUpEnd": _object(
        {"disposition": {"type": ["string", "null"]}}, (), {"disposition": "solved"}
    ),
    "Consult": _object({"agent": STRING}, ("agent",), {"agent": "1002"}),
    "Preview": _object({"campaign": STRING}, ("campaign",), {"campaign": "renewals"}),
    "Transfer": {
        "oneOf": [
            _object({"queue": STRING}, ("queue",), {"queue": "sales"}),
            _object({"extension": STRING}, ("extension",), {"extension": "2001"}),
            _object({"survey": {"const": True}}, ("survey",), {"survey": True}),
        ],
        "examples": [{"queue": "sales"}],
    },
    "Queue": _object(
        {
            "name": STRING,
            "strategy": {"enum": ["longest_idle", "fewest_calls", "skills"]},
            "ring_limit": {"type": "integer", "minimum": 1, "description": "N rings (C3)"},
            "ring_cadence": {"type": "number", "description": "seconds per ring cycle"},
            "misses_before_not_ready": {"type": "integer", "minimum": 1},
            "max_wrap_up": {"type": "number", "minimum": 0},
            "dispositions": {"type": "array", "items": STRING},
            "disposition_required": {"type": "boolean"},
            "skill": {"type": ["string", "null"]},
            "min_skill_level": {"type": "integer", "minimum": 0},
            "widen_after": OPTIONAL_NUMBER,
            "overflow_after": OPTIONAL_NUMBER,
            "overflow_queue": {"type": ["string", "null"]},
            "max_wait": OPTIONAL_NUMBER,
            "max_wait_action": {"enum": ["none", "voicemail", "callback"]},
        },
        ("ring_limit", "ring_cadence"),
        {"name": "Support", "ring_limit": 3, "ring_cadence": 6.0, "max_wrap_up": 60.0},
    ),
    "Agent": _object(
        {
            "name": STRING,
            "skills": LEVELS,
            "queues": {**LEVELS, "description": "queue -> penalty"},
            "pin": {"type": ["string", "null"], "pattern": "^[0-9]{4,12}$"},
        },
        ("name",),
        {"name": "Ann", "skills": {"english": 5}, "queues": {"support": 0}, "pin": "4321"},
    ),
    "Reason": _object(
        {"label": STRING, "max_seconds": OPTIONAL_NUMBER},
        ("label",),
        {"label": "Lunch", "max_seconds": 900},
    ),
}


def _section(properties: dict[str, Schema]) -> Schema:
    return {"type": "object", "properties": properties, "additionalProperties": False}


CLOCK: Final[Schema] = {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}(:[0-9]{2})?$"}
# Derived from the domain, so the document cannot drift from the campaign's fields.
MODES: Final = [mode.value for mode in DialMode]
PACING: Final = tuple(f.name for f in fields(PacingConfig) if f.name != "mode")
SEAT: Final = tuple(f.name for f in fields(SeatTargets))
RETRIED_RESULTS: Final = sorted(result.value for result in RETRIED)
BODIES["Campaign"] = _object(
    {
        "name": STRING,
        "queue": {"type": "string", "description": "a configured queue; its agents serve it"},
        "caller_id": STRING,
        "script": {"type": "string", "description": "what the agent reads (P25)"},
        "shown_fields": {"type": "array", "items": STRING},
        "window": {
            **_section({"start": CLOCK, "end": CLOCK}),
            "description": "calling window in the called party's local time (08:00-21:00)",
        },
        "timezone": {"type": "string", "description": "IANA, for contacts without one"},
        "retries": {
            "type": "object",
            "description": "by the last attempt's result; null: no retry (P17)",
            "propertyNames": {"enum": RETRIED_RESULTS},
            "additionalProperties": {
                "type": ["object", "null"],
                "properties": {"delay": NUMBER, "max_attempts": {"type": "integer"}},
                "required": ["delay", "max_attempts"],
                "additionalProperties": False,
            },
        },
        "follow_up_within": NUMBER,
        "callback_grace": NUMBER,
        "callback_within": NUMBER,
        "standing": {"type": "boolean"},
        "abandon_quiet": NUMBER,
        "ring_timeout": {"type": "number", "minimum": 15},
        "machine_detection": {"type": "boolean"},
        "pacing": _section({"mode": {"enum": MODES}, **{name: NUMBER for name in PACING}}),
        "seat": _section({name: {"type": "integer"} for name in SEAT}),
    },
    ("queue",),
    {
        "name": "Renewals",
        "queue": "support",
        "window": {"start": "09:00", "end": "20:00"},
        "retries": {"busy": {"delay": 900, "max_attempts": 4}},
        "pacing": {"mode": "predictive", "abandon_cap_pct": 3.0},
    },
)
BODIES["Callback"] = _object(
    {
        "number": STRING,
        "at": {
            "type": ["string", "number"],
            "description": "epoch seconds or ISO 8601 with offset",
        },
        "to": {"enum": ["me", "queue"], "description": "the agent itself (default) or the queue"},
        "queue": {**STRING, "description": "default: the agent's current call's, or only, queue"},
        "timezone": {**STRING, "description": "the customer's (IANA); default: the campaign's"},
        "note": STRING,
    },
    ("number", "at"),
    {
        "number": "+441632960001",
        "at": "2030-01-15T12:00:00+00:00",
        "to": "me",
        "queue": "support",
        "timezone": "Europe/London",
        "note": "about the refund",
    },
)
BODIES["DoNotCall"] = _object(
    {"numbers": {"type": "array", "items": STRING}, "note": STRING},
    ("numbers",),
    {"numbers": ["+441632960001"], "note": "asked on the phone"},
)

PROGRESS: Final[Schema] = {
    "type": "object",
    "properties": {
        "contacts": {"type": "integer"},
        "by_status": {
            "type": "object",
            "description": "pending, dialling, done, closed",
            "additionalProperties": {"type": "integer"},
        },
    },
}
SUMMARY_FIELDS: Final[dict[str, Schema]] = {
    "id": STRING,
    "name": STRING,
    "queue": STRING,
    "mode": {"enum": MODES},
    "status": {"enum": ["draft", "running", "paused", "finished"]},
    "progress": PROGRESS,
}


def _answer(properties: dict[str, Schema]) -> Schema:
    return {"type": "object", "properties": properties}


COUNT: Final[Schema] = {"type": "integer"}
RATIO: Final[Schema] = {"type": ["number", "null"], "description": "0-1; null: nothing answered"}
RESULTS: Final = [result.value for result in AttemptResult]
STATS: Final[dict[str, Schema]] = {
    "campaign": STRING,
    "since": INSTANT,
    "until": INSTANT,
    "attempts": COUNT,
    "by_result": {**_answer({r: COUNT for r in RESULTS}), "description": "every result"},
    "dials": {**COUNT, "description": "attempts that were not preview skips"},
    "answered_by_person": COUNT,
    "connected": COUNT,
    "abandoned": COUNT,
    "abandon_rate": {**RATIO, "description": "abandoned / answered by a person"},
    "average_ring_seconds": {**OPTIONAL_NUMBER, "description": "dial to answer"},
    "average_connect_seconds": {**OPTIONAL_NUMBER, "description": "answer to an agent"},
}
WINDOW: Final[Schema] = _answer(
    {
        "seconds": NUMBER,
        "since": NUMBER,
        "until": NUMBER,
        "answered_by_person": COUNT,
        "abandoned": COUNT,
        "abandon_rate": RATIO,
        "cap": {"type": "number", "description": "the abandon cap, a fraction (0.03)"},
        "at_cap": {"type": "boolean"},
        "room": {"type": "number", "description": "abandons that keep the rate within the cap"},
        "dials_ahead": {"type": "boolean", "description": "predictive may dial ahead (room >= 1)"},
    }
)
ATTEMPT: Final[Schema] = _answer(
    {
        **{name: STRING for name in ("id", "campaign", "contact", "number")},
        "agent": {"type": ["string", "null"]},
        "mode": {"enum": MODES},
        "result": {"enum": RESULTS},
        "person": {"type": "boolean"},
        **{f"{t}_at": INSTANT for t in ("started", "answered", "connected", "ended")},
        "ring_seconds": NUMBER,
        "connect_seconds": OPTIONAL_NUMBER,
    }
)
ADVICE: Final[Schema] = {"enum": [advice.value for advice in Advice]}
SEAT_DAY: Final[Schema] = _answer(
    {
        "agent": STRING,
        "dials": COUNT,
        "successes": COUNT,
        "in_range": {"type": "boolean"},
        "findings": {
            "type": "array",
            "items": _answer(
                {
                    "rule": {"enum": ["P16.seat_dials", "P16.seat_successes"]},
                    "agent": STRING,
                    "measure": {"enum": [measure.value for measure in Measure]},
                    "value": COUNT,
                    "bound": {"enum": [bound.value for bound in Bound]},
                    "limit": COUNT,
                    "advice": ADVICE,
                    "text": STRING,
                }
            ),
        },
    }
)
STAFFING: Final[Schema] = _answer(
    {
        "seats": {**COUNT, "description": "seats that dialled"},
        "volume": _answer({"dials": COUNT, "successes": COUNT}),
        "seats_needed": COUNT,
        "seats_supported": {"type": ["integer", "null"]},
        "seats_short": COUNT,
        "dials_short": COUNT,
        "successes_short": COUNT,
        "advice": {"type": "array", "items": ADVICE},
        "text": {"type": "array", "items": STRING},
    }
)
CALLBACK: Final[Schema] = _answer(
    {
        **{name: STRING for name in ("id", "campaign", "number", "timezone")},
        "kind": {"enum": ["callback", "follow_up"]},
        "status": {"enum": ["pending", "dialling", "done", "closed"]},
        "agent": {"type": ["string", "null"], "description": "promised to; null: the queue's"},
        "at": {**NUMBER, "description": "dialled from (epoch seconds)"},
        "due": {**INSTANT, "description": "dialled (a follow-up: done) by, else overdue"},
        "overdue": {"type": "boolean"},
        "place": {**INSTANT, "description": "a waiting caller's place in line, kept (P9)"},
        "attempts": COUNT,
        "last_result": {"type": ["string", "null"]},
        "fields": {"type": "object", "additionalProperties": STRING},
    }
)

ANSWERS: Final[dict[str, Schema]] = {
    "Error": {
        "type": "object",
        "properties": {"error": STRING, "field": STRING},
        "required": ["error"],
    },
    "Agent": {
        "type": "object",
        "properties": {
            "agent": STRING,
            "name": STRING,
            "queues": {"type": "array", "items": STRING},
            "state": {"enum": AGENT_STATES},
            "reason": {"type": ["string", "null"]},
            "status": {"type": ["object", "null"]},
            "since": INSTANT,
            "logged_in_at": INSTANT,
            "device": {"type": ["string", "null"]},
            "address": {"type": ["string", "null"]},
            "call": {
                "type": ["object", "null"],
                "properties": {
                    "call_id": STRING,
                    "caller": STRING,
                    "queue": STRING,
                    "waited_seconds": NUMBER,
                    "consult": {
                        "type": ["object", "null"],
                        "description": "an attended transfer in progress (P8)",
                        "properties": {
                            "by": STRING,
                            "agent": STRING,
                            "answered": {"type": "boolean"},
                        },
                    },
                },
            },
            "calls_answered": {"type": "integer"},
            "misses_in_row": {"type": "integer"},
            "outbound": {
                "type": ["object", "null"],
                "description": "the campaign contact previewed, dialled for or talked to (P25)",
                "properties": {
                    "campaign": STRING,
                    "contact": STRING,
                    "number": STRING,
                    "fields": {"type": "object", "additionalProperties": STRING},
                    "script": STRING,
                    "preview": {"type": "boolean"},
                },
            },
        },
    },
    "AgentAnswer": {"type": "object", "properties": {"agent": ref("Agent")}},
    "LoginAnswer": {
        "type": "object",
        "properties": {"token": STRING, "agent": ref("Agent")},
        "required": ["token", "agent"],
    },
    "Agents": {
        "type": "object",
        "properties": {"agents": {"type": "array", "items": ref("Agent")}},
    },
    "Queues": {
        "type": "object",
        "properties": {
            "queues": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "queue": STRING,
                        "waiting": {"type": "integer"},
                        "oldest_wait_seconds": NUMBER,
                        "calls": {"type": "array"},
                        "agents": {"type": "object", "description": "member ids by state"},
                        "offers": {"type": "array"},
                    },
                },
            }
        },
    },
    "Config": {"type": "object", "description": "queues, agents and reasons (no PINs)"},
    "Changed": {"type": "object", "description": "the stored value, or what was deleted"},
    "Call": {"type": "object", "description": "the call record with segments, and offers"},
    "Findings": {"type": "object", "properties": {"findings": {"type": "array"}}},
    "Figures": {"type": "object", "properties": {"figures": {"type": "object"}}},
    "Campaigns": {
        "type": "object",
        "properties": {
            "campaigns": {
                "type": "array",
                "items": {"type": "object", "properties": SUMMARY_FIELDS},
            }
        },
    },
    "Campaign": {
        "type": "object",
        "properties": {
            "campaign": {
                "type": "object",
                "properties": {
                    **SUMMARY_FIELDS,
                    "config": {**ref("CampaignBody"), "description": "a valid PUT body"},
                },
            },
            "created": {"type": "boolean", "description": "PUT only"},
        },
    },
    "Upload": {
        "type": "object",
        "properties": {
            "imported": {"type": "integer"},
            "already": {"type": "integer", "description": "numbers the campaign had"},
            "errors": {"type": "array", "items": STRING, "description": "line <n>: reason"},
        },
    },
    "DoNotCall": {"type": "object", "properties": {"numbers": {"type": "array", "items": STRING}}},
    "CampaignStats": {
        "type": "object",
        "properties": {"stats": _answer({**STATS, "progress": PROGRESS, "window": WINDOW})},
    },
    "Attempts": {
        "type": "object",
        "properties": {"attempts": {"type": "array", "items": ATTEMPT}},
    },
    "Seats": _answer(
        {
            "day": {"type": "string", "format": "date"},
            "timezone": {"const": "UTC"},
            "since": NUMBER,
            "until": NUMBER,
            "campaign": {"type": ["string", "null"]},
            "targets": _answer({name: COUNT for name in SEAT}),
            "seats": {"type": "array", "items": SEAT_DAY},
            "staffing": STAFFING,
        }
    ),
    "Callback": {"type": "object", "properties": {"callback": CALLBACK}},
    "Callbacks": {
        "type": "object",
        "properties": {"callbacks": {"type": "array", "items": CALLBACK}},
    },
    "Health": {"type": "object"},
    "Text": {"type": "string"},
    "OpenApi": {"type": "object"},
}
