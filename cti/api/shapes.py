"""Request bodies: one pydantic model each; the configuration bodies derived from the core.

Rule 1: every body refuses unknown fields and inf/NaN and takes JSON types strictly
(STRICT): a number is not text, "yes" is not true. Each carries a valid body as its first
example, which tests/api/test_openapi.py sends with each field removed or mistyped.
Rule 2: a configuration body is its dataclass's settings but the key, which is in the
URL (cti/schema/model.py): a new setting there is a new field here. PUT replaces the
whole value, so a field left out takes the default; the few a body must state are named
here (a queue's rings and cadence, C3).
Rule 3: handlers turn a body into commands or values; normalising (a bare device name is
a PJSIP endpoint, a reason is stripped) is theirs, with the helpers below.
Rule 4: every text is held to a Text rule (cti/schema/model.py `text`): one printable line
of bounded length by default, a person's note several lines, an id the rule its
configuration checks (cti/domain/ids.py); a fault is a 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, JsonValue, PlainValidator, WithJsonSchema
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from cti.api.query import moment, parse_instant
from cti.domain.config import REASON_CODE, AgentProfile, NotReadyReason, QueueConfig
from cti.domain.ids import PLAIN_NAME, QUEUE_NAME, DeviceId, Instant
from cti.domain.outbound.campaign import ZONE_NAME, CampaignConfig
from cti.domain.setting import LINE, PROSE, Text
from cti.schema.model import STRICT, Kept, model_of

DEVICE: Final = r"^(?:[A-Za-z][A-Za-z0-9]*/)?[A-Za-z0-9_.@+-]+$"
DEFAULT_TECHNOLOGY: Final = "PJSIP"
PIN: Final = r"^[0-9]{4,12}$"
PIN_TEXT: Final = "4-12 digits; the agent keeps its PIN when left out"
Line = Annotated[str, Kept(LINE)]  # one printable line
Note = Annotated[str, Kept(PROSE)]  # what a person wrote: a few lines
PlainName = Annotated[str, Kept(PLAIN_NAME)]  # an agent or campaign id
QueueName = Annotated[str, Kept(QUEUE_NAME)]  # a queue or an extension of the dialplan
ReasonCode = Annotated[str, Kept(REASON_CODE)]
ZoneName = Annotated[str, Kept(ZONE_NAME)]
Number = Annotated[str, Kept(Text(length=64, least=1))]  # as given; normalised later
Secret = Annotated[str, Kept(Text(length=64))]
Password = Annotated[str, Kept(Text(length=200))]
DeviceText = Annotated[str, Field(pattern=DEVICE, max_length=120)]


def _moment(given: object) -> Instant:
    """Epoch seconds or ISO 8601 text with its offset (one type, so errors name the field
    alone, not a member of a union)."""
    found = None
    if isinstance(given, str | int | float) and not isinstance(given, bool):
        found = parse_instant(given)
    if found is None:
        raise PydanticCustomError("instant", "expected epoch seconds or ISO 8601 with an offset")
    return found


MOMENT_SCHEMA: Final = cast(dict[str, JsonValue], moment().schema)  # query.py rule 2
Moment = Annotated[Instant, PlainValidator(_moment), WithJsonSchema(MOMENT_SCHEMA)]


def _examples(*bodies: dict[str, JsonValue]) -> ConfigDict:
    return ConfigDict(**STRICT, json_schema_extra={"examples": list(bodies)})


class Empty(BaseModel):
    model_config = _examples({})


class Login(BaseModel):
    model_config = _examples({"pin": "1234", "device": "PJSIP/1001", "takeover": False})
    pin: Secret = Field(description="the agent's PIN")
    device: DeviceText = Field(description="'1001' means 'PJSIP/1001'")
    takeover: bool = Field(False, description="end the agent's other login (P3)")
    session: bool = Field(
        False,
        description="the agent desktop's sign-in: the login's token goes in the session "
        "cookie (HttpOnly, SameSite=Strict) and not in the answer",
    )


class SoftphoneAsk(BaseModel):
    model_config = _examples({"pin": "1234"})
    pin: Secret = Field(description="the agent's PIN")


class SignIn(BaseModel):
    model_config = _examples({"name": "ann", "password": "correct horse battery"})
    name: PlainName = Field(description="the supervisor's name (`cti admin supervisor add`)")
    password: Password = Field(description="the supervisor's password")


class NotReady(BaseModel):
    model_config = _examples({"reason": "lunch"})
    reason: ReasonCode = Field(description="a configured not-ready reason (P5)")


class WrapUpEnd(BaseModel):
    model_config = _examples({"disposition": "solved"})
    disposition: Line | None = Field(None, description="one of the queue's codes (C4)")


class Consult(BaseModel):
    model_config = _examples({"agent": "1002"})
    agent: PlainName = Field(description="the agent to consult (available, phone idle)")


class Monitoring(BaseModel):
    model_config = _examples({"agent": "1001", "mode": "listen", "device": "PJSIP/2001"})
    agent: PlainName = Field(description="the agent whose call to monitor")
    mode: Literal["listen", "whisper", "barge"] = Field(
        description="listen (hear both sides), whisper (talk to the agent only) or barge "
        "(talk to both), C8"
    )
    device: DeviceText | None = Field(
        None,
        description="the supervisor's phone; default: the one `cti admin supervisor phone` set",
    )


class NoticeBody(BaseModel):
    model_config = _examples({"prompt": "all-circuits-busy-now", "text": "Network outage"})
    prompt: Line = Field(
        description="what callers hear: sound files as Playback names them, joined by &"
    )
    text: Note = Field("", description="what supervisors read on the wallboard")


class Preview(BaseModel):
    model_config = _examples({"campaign": "renewals"})
    campaign: PlainName = Field(description="a preview campaign")


class Transfer(BaseModel):
    """Exactly one target (checked by the handler, as the schema's oneOf says)."""

    model_config = ConfigDict(
        **STRICT,
        json_schema_extra={
            "oneOf": [  # the one given is not null
                {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
                for name in ("queue", "extension", "survey")
            ],
            "examples": [{"queue": "sales"}, {"extension": "2001"}, {"survey": True}],
        },
    )
    queue: QueueName | None = Field(None, description="a queue (P8)")
    extension: QueueName | None = Field(None, description="an extension of the dialplan")
    survey: Literal[True] | None = Field(None, description="the post-call survey (P7)")


class Callback(BaseModel):
    model_config = _examples(
        {
            "number": "+441632960001",
            "at": "2030-01-15T12:00:00+00:00",
            "to": "me",
            "queue": "support",
            "timezone": "Europe/London",
            "note": "about the refund",
        }
    )
    number: Number
    at: Moment = Field(description="epoch seconds or ISO 8601 with offset")
    to: Literal["me", "queue"] = Field("me", description="the agent itself, or the queue")
    queue: QueueName | None = Field(
        None, description="default: the agent's current call's, or only"
    )
    timezone: ZoneName | None = Field(
        None, description="the customer's (IANA); default: the campaign's"
    )
    note: Note | None = None


class DoNotCall(BaseModel):
    model_config = _examples({"numbers": ["+441632960001"], "note": "asked on the phone"})
    numbers: list[Number] = Field(description="phone numbers, checked before every dial")
    note: Note | None = None


QueueBody: Final = model_of(
    QueueConfig,
    name="QueueBody",
    omit=("id",),
    required=("ring_limit", "ring_cadence"),
    example={"name": "Support", "ring_limit": 3, "ring_cadence": 6.0, "max_wrap_up": 60.0},
)
AgentBody: Final = model_of(
    AgentProfile,
    name="AgentBody",
    omit=("id",),
    required=("name",),
    extra={
        "pin": (
            str | None,
            cast(FieldInfo, Field(None, pattern=PIN, max_length=12, description=PIN_TEXT)),
        )
    },
    example={"name": "Ann", "skills": {"english": 5}, "queues": {"support": 0}, "pin": "4321"},
)
ReasonBody: Final = model_of(
    NotReadyReason,
    name="ReasonBody",
    omit=("code",),
    required=("label",),
    example={"label": "Lunch", "max_seconds": 900},
)
CampaignBody: Final = model_of(
    CampaignConfig,
    name="CampaignBody",
    omit=("id",),
    example={
        "name": "Renewals",
        "queue": "support",
        "window": {"start": "09:00", "end": "20:00"},
        "retries": {"busy": {"delay": 900, "max_attempts": 4}},
        "pacing": {"mode": "predictive", "abandon_cap_pct": 3.0},
    },
)


def device_of(given: str) -> DeviceId:
    """'1001' and 'PJSIP/1001' are the same device; bare names are PJSIP endpoints."""
    given = given.strip()
    return DeviceId(given if "/" in given else f"{DEFAULT_TECHNOLOGY}/{given}")


# Compliance (issue 16) -------------------------------------------------------------------

DAY_TEXT: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIME_TEXT: Final = r"^[0-9]{1,2}:[0-9]{2}$"
DayText = Annotated[str, Field(pattern=DAY_TEXT, max_length=10)]
TimeText = Annotated[str, Field(pattern=TIME_TEXT, max_length=5)]
MOST_ROWS: Final = 20_000  # a month of a large centre's schedule in one request


class RuleParamBody(BaseModel):
    model_config = _examples({"scope": "agent", "target": "1001", "value": 600})
    scope: Literal["centre", "team", "agent"]
    target: Annotated[
        str, Field(pattern=r"^([A-Za-z0-9][A-Za-z0-9_.+@-]{0,79})?$", max_length=80)
    ] = Field("", description="the team or agent; empty for the centre")
    value: float = Field(ge=0, le=31 * 86_400, description="within the parameter's bounds")


class ScheduleRow(BaseModel):
    model_config = _examples(
        {"agent": "1001", "date": "2026-12-07", "start": "08:25", "end": "17:35"}
    )
    agent: PlainName
    date: DayText = Field(description="the local date the activity starts on")
    start: TimeText = Field(description="local time HH:MM")
    end: TimeText = Field(description="local time HH:MM; at or before the start: the next day")
    activity: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", max_length=40)] = "on_queue"
    position: Annotated[
        str, Field(pattern=r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,39})?$", max_length=40)
    ] = Field(
        "",
        description="the seat or desk, for handovers (P12): the next agent there is the successor",
    )


class ScheduleBody(BaseModel):
    model_config = _examples(
        {
            "since": "2026-12-07",
            "until": "2026-12-14",
            "activities": [
                {"agent": "1001", "date": "2026-12-07", "start": "08:25", "end": "17:35"}
            ],
        }
    )
    since: DayText = Field(description="the first local date replaced")
    until: DayText = Field(description="the local date after the last one replaced")
    activities: list[ScheduleRow] = Field(max_length=MOST_ROWS)


class AckBody(BaseModel):
    model_config = _examples({"note": "spoke to the agent; a bus strike"})
    note: Note = Field(description="what the supervisor found or did")


class AuditBody(BaseModel):
    model_config = _examples({"since": 1796601600, "until": 1796688000})
    since: Moment
    until: Moment


class BreakAsk(BaseModel):
    model_config = _examples({"reason": "break", "seconds": 1800})
    reason: ReasonCode = Field(description="a not-ready reason with a limit")
    seconds: float = Field(gt=0, le=4 * 3600, description="more than the reason's own limit")


class NoteBody(BaseModel):
    model_config = _examples({"position": "desk-1", "text": "Caller 4471 expects a callback"})
    position: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", max_length=40)]
    text: Note = Field(description="what the successor should know (P12)")


class EvaluationBody(BaseModel):
    model_config = _examples({"call": "c1", "agent": "1001", "score": 86, "note": "greeting ok"})
    call: Annotated[str, Kept(Text(length=200, least=1))] = Field(description="a stored call")
    agent: PlainName = Field(description="an agent who talked on the call")
    score: float = Field(ge=0, le=100, description="0-100")
    note: Note = ""
