"""Request bodies and query strings read into typed values by small functions (no pydantic).

Rule 1: a body is one JSON object (an empty body counts as `{}`); anything else is 400.
Bodies larger than MAX_BODY_BYTES are refused by aiohttp itself (413).
Rule 2: a missing required field, or a field of the wrong type, is a 400 naming the field;
an unknown field is a 400 too, so a misspelt option never silently does nothing.
Rule 3: each body has one parser returning a frozen value; handlers build commands from it.
The OpenAPI document (cti/api/openapi.py) describes the same fields; tests keep them equal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, TypeVar

from aiohttp import web

from cti.api.errors import bad_request
from cti.domain.campaign import CampaignId
from cti.domain.config import (
    AgentProfile,
    MaxWaitAction,
    NotReadyReason,
    QueueConfig,
    Strategy,
)
from cti.domain.ids import AgentId, DeviceId, Instant, QueueId

E = TypeVar("E", bound=StrEnum)

DEVICE: Final = re.compile(r"(?:[A-Za-z][A-Za-z0-9]*/)?[A-Za-z0-9_.@+-]+")
DEFAULT_TECHNOLOGY: Final = "PJSIP"


async def read_object(request: web.Request) -> dict[str, object]:
    """The body as a JSON object; `{}` when there is none."""
    raw = await request.read()  # raises HTTPRequestEntityTooLarge past client_max_size
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("malformed JSON body") from None
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    return data


class Fields:
    """Reads one JSON object's fields by name and type; `done()` refuses the rest."""

    def __init__(self, data: Mapping[str, object], where: str = "") -> None:
        self._data = data
        self._where = where
        self._read: set[str] = set()

    def _name(self, name: str) -> str:
        return f"{self._where}.{name}" if self._where else name

    def _get(self, name: str, required: bool) -> object:
        self._read.add(name)
        if name not in self._data:
            if required:
                raise bad_request(f"field '{self._name(name)}' is required", self._name(name))
            return None
        return self._data[name]

    def _wrong(self, name: str, expected: str) -> Exception:
        return bad_request(f"field '{self._name(name)}' must be {expected}", self._name(name))

    def text(self, name: str) -> str:
        """A required, non-blank string."""
        value = self._get(name, True)
        if not isinstance(value, str) or not value.strip():
            raise self._wrong(name, "a non-empty string")
        return value

    def optional_text(self, name: str) -> str | None:
        value = self._get(name, False)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._wrong(name, "a string or null")
        return value

    def moment(self, name: str) -> Instant:
        """A required instant: epoch seconds, or an ISO 8601 string with its offset."""
        value = self._get(name, True)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self._wrong(name, "epoch seconds or an ISO 8601 time with its offset")
        parsed = parse_instant(value)
        if parsed is None:
            raise self._wrong(name, "epoch seconds or an ISO 8601 time with its offset")
        return parsed

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._get(name, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._wrong(name, "true or false")
        return value

    def integer(self, name: str, default: int, *, required: bool = False) -> int:
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._wrong(name, "an integer")
        return value

    def number(self, name: str, default: float, *, required: bool = False) -> float:
        value = self.optional_number(name, required=required)
        return default if value is None else value

    def optional_number(self, name: str, *, required: bool = False) -> float | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self._wrong(name, "a number")
        return float(value)

    def choice(self, name: str, kind: type[E], default: E) -> E:
        value = self._get(name, False)
        if value is None:
            return default
        choices = [k.value for k in kind]
        if not isinstance(value, str) or value not in choices:
            raise self._wrong(name, f"one of {', '.join(choices)}")
        return kind(value)

    def texts(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        value = self._get(name, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._wrong(name, "a list of strings")
        return tuple(value)

    def levels(self, name: str) -> dict[str, int]:
        """An object of names to integers (skill levels, queue penalties)."""
        value = self._get(name, False)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()
        ):
            raise self._wrong(name, "an object of names to integers")
        return {str(k): int(v) for k, v in value.items()}

    def section(self, name: str) -> Fields | None:
        """A nested object's fields (named 'outer.inner' in errors); None when absent."""
        value = self._get(name, False)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._wrong(name, "a JSON object")
        return Fields(value, self._name(name))

    def names(self) -> list[str]:
        """Every field given (for objects keyed by the client: retries by result)."""
        return sorted(self._data)

    def done(self) -> None:
        unknown = sorted(set(self._data) - self._read)
        if unknown:
            name = self._name(unknown[0])
            raise bad_request(f"unknown field '{name}'", name)


# Agents' desktop ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginBody:
    pin: str
    device: DeviceId
    takeover: bool


def device_of(value: str) -> DeviceId:
    """'1001' and 'PJSIP/1001' are the same device; bare names are PJSIP endpoints."""
    value = value.strip()
    if not DEVICE.fullmatch(value):
        raise bad_request(f"field 'device': {value!r} is not a device", "device")
    return DeviceId(value if "/" in value else f"{DEFAULT_TECHNOLOGY}/{value}")


def login_body(data: Mapping[str, object]) -> LoginBody:
    f = Fields(data)
    body = LoginBody(
        pin=f.text("pin"), device=device_of(f.text("device")), takeover=f.flag("takeover")
    )
    f.done()
    return body


def empty_body(data: Mapping[str, object]) -> None:
    Fields(data).done()


def not_ready_body(data: Mapping[str, object]) -> str:
    f = Fields(data)
    reason = f.text("reason")
    f.done()
    return reason.strip()


def preview_body(data: Mapping[str, object]) -> CampaignId:
    """The preview campaign to take the next contact from (issue 4, P25)."""
    return CampaignId(_one_name(data, "campaign", "a campaign"))


def consult_body(data: Mapping[str, object]) -> AgentId:
    """The agent to consult (attended transfer, P8)."""
    return AgentId(_one_name(data, "agent", "an agent"))


def _one_name(data: Mapping[str, object], key: str, what: str) -> str:
    """A body of one field naming something; 400 when it names nothing."""
    f = Fields(data)
    name = f.text(key).strip()
    f.done()
    if not name:
        raise bad_request(f"'{key}' must name {what}", key)
    return name


def wrap_up_body(data: Mapping[str, object]) -> str | None:
    f = Fields(data)
    disposition = f.optional_text("disposition")
    f.done()
    if disposition is None:
        return None
    return disposition.strip() or None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferBody:
    """Exactly one target: a queue, an extension, or the survey (P7, P8)."""

    queue: QueueId | None = None
    extension: str | None = None
    survey: bool = False


def transfer_body(data: Mapping[str, object]) -> TransferBody:
    f = Fields(data)
    queue, extension = f.optional_text("queue"), f.optional_text("extension")
    survey = f.flag("survey")
    f.done()
    given = [n for n, v in (("queue", queue), ("extension", extension), ("survey", survey)) if v]
    if len(given) != 1:
        raise bad_request("give exactly one of 'queue', 'extension' or 'survey': true", "queue")
    return TransferBody(
        queue=QueueId(queue) if queue else None, extension=extension or None, survey=survey
    )


# Configuration --------------------------------------------------------------------------


def queue_body(queue: QueueId, data: Mapping[str, object]) -> QueueConfig:
    """A whole queue (PUT replaces it): the ring limit and cadence must be stated (C3)."""
    f = Fields(data)
    d = QueueConfig(id=queue)
    overflow = f.optional_text("overflow_queue")
    config = QueueConfig(
        id=queue,
        name=f.optional_text("name") or "",
        strategy=f.choice("strategy", Strategy, d.strategy),
        ring_limit=f.integer("ring_limit", d.ring_limit, required=True),
        ring_cadence=f.number("ring_cadence", d.ring_cadence, required=True),
        misses_before_not_ready=f.integer("misses_before_not_ready", d.misses_before_not_ready),
        max_wrap_up=f.number("max_wrap_up", d.max_wrap_up),
        dispositions=f.texts("dispositions"),
        disposition_required=f.flag("disposition_required"),
        skill=f.optional_text("skill") or None,
        min_skill_level=f.integer("min_skill_level", d.min_skill_level),
        widen_after=f.optional_number("widen_after"),
        overflow_after=f.optional_number("overflow_after"),
        overflow_queue=QueueId(overflow) if overflow else None,
        max_wait=f.optional_number("max_wait"),
        max_wait_action=f.choice("max_wait_action", MaxWaitAction, d.max_wait_action),
    )
    f.done()
    return config


def agent_body(agent: AgentId, data: Mapping[str, object]) -> tuple[AgentProfile, str | None]:
    """A whole agent (PUT replaces it) and, optionally, a new PIN."""
    f = Fields(data)
    profile = AgentProfile(
        id=agent,
        name=f.text("name"),
        skills=f.levels("skills"),
        queues={QueueId(q): p for q, p in f.levels("queues").items()},
    )
    pin = f.optional_text("pin")
    f.done()
    return profile, pin


def reason_body(code: str, data: Mapping[str, object]) -> NotReadyReason:
    f = Fields(data)
    reason = NotReadyReason(
        code=code, label=f.text("label"), max_seconds=f.optional_number("max_seconds")
    )
    f.done()
    return reason


# Query strings --------------------------------------------------------------------------


def query_fields(query: Mapping[str, str], allowed: set[str]) -> None:
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise bad_request(f"unknown query parameter '{unknown[0]}'", unknown[0])


def instant(query: Mapping[str, str], name: str) -> Instant | None:
    """Epoch seconds, or an ISO 8601 time with its offset ('2025-01-31T08:00:00+08:00')."""
    value = query.get(name)
    if value is None or value == "":
        return None
    parsed = parse_instant(value)
    if parsed is None:
        raise bad_request(
            f"query parameter '{name}' must be epoch seconds or ISO 8601 with an offset", name
        )
    return parsed


def parse_instant(value: str | float) -> Instant | None:
    """Epoch seconds, or an ISO 8601 time with its offset; None when it is neither."""
    if isinstance(value, int | float):
        return Instant(float(value))
    try:
        return Instant(float(value))
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return None if parsed.tzinfo is None else Instant(parsed.timestamp())


def positive_int(query: Mapping[str, str], name: str, default: int, most: int) -> int:
    value = query.get(name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise bad_request(f"query parameter '{name}' must be an integer from 1 to {most}", name)
    return int(value)
