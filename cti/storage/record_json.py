"""Any history record as one JSON object with a type tag, and back, exactly.

Rule 1: `decode(encode(r)) == r` for every Record: floats (instants included) are written
with repr, so they come back bit for bit; enums are written by value; tuples as lists.
Rule 2: the tag is the "type" key (TAGS); a line without one is a QueueVisit, the only
record the spool held before tags existed, so an old spool still replays.
Rule 3: decoding is strict: a missing field without a default, an unknown field, or a
value of the wrong type raises ValueError naming the field; nothing is guessed.
The codec is driven by the dataclasses' own type hints, so a new field needs no code here.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import json
import types
from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import Final, NewType, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from cti.domain.effects import Record
from cti.domain.outbound.outbound_records import CampaignFinish, ContactsRelease, EndedAttempt
from cti.domain.recording import Recording
from cti.domain.records import (
    CallRecord,
    Finding,
    LoginSession,
    MonitoringSession,
    OfferRecord,
    Presence,
    QueueVisit,
    StateInterval,
)
from cti.schema.plain import plain

TAG_KEY: Final = "type"
TAGS: Final[Mapping[str, type[Record]]] = {
    "queue_visit": QueueVisit,
    "offer": OfferRecord,
    "call": CallRecord,
    "state_interval": StateInterval,
    "login_session": LoginSession,
    "finding": Finding,
    "presence": Presence,
    "attempt": EndedAttempt,
    "contacts_release": ContactsRelease,
    "campaign_finish": CampaignFinish,
    "monitoring": MonitoringSession,
    "recording": Recording,
}
_TAG_OF: Final = {kind: tag for tag, kind in TAGS.items()}
_UNTAGGED: Final = "queue_visit"
T = TypeVar("T")


def encode(record: Record) -> str:
    """One line of JSON (no newline) with the record's tag and every field."""
    body = plain(record)
    assert isinstance(body, dict)
    return json.dumps({TAG_KEY: _TAG_OF[type(record)], **body}, separators=(",", ":"))


def decode(line: str | bytes) -> Record:
    """The record a line of encode() describes; ValueError when it describes none."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError(f"a record is a JSON object, not {type(data).__name__}")
    tag = data.pop(TAG_KEY, _UNTAGGED)
    kind = TAGS.get(tag) if isinstance(tag, str) else None
    if kind is None:
        raise ValueError(f"unknown record type {tag!r}")
    return cast(Record, _value(kind, data, tag))


def _value(kind: object, data: object, where: str) -> object:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        if data is None and type(None) in get_args(kind):
            return None
        (inner,) = (arg for arg in get_args(kind) if arg is not type(None))
        return _value(inner, data, where)
    if origin is tuple:
        item, _ellipsis = get_args(kind)
        items = _expect(data, list, where)
        return tuple(_value(item, x, f"{where}[{i}]") for i, x in enumerate(items))
    if origin is collections.abc.Mapping:
        key, item = get_args(kind)
        pairs = _expect(data, dict, where)
        return MappingProxyType(
            {_value(key, k, where): _value(item, v, f"{where}[{k!r}]") for k, v in pairs.items()}
        )
    if isinstance(kind, NewType):
        return _value(kind.__supertype__, data, where)
    if isinstance(kind, type):
        return _scalar_or_dataclass(kind, data, where)
    raise ValueError(f"{where}: cannot decode values of type {kind!r}")


def _scalar_or_dataclass(kind: type, data: object, where: str) -> object:
    if issubclass(kind, Enum):
        try:
            return kind(data)
        except ValueError:
            raise ValueError(f"{where}: {data!r} is not a {kind.__name__}") from None
    if dataclasses.is_dataclass(kind):
        return _dataclass(kind, _expect(data, dict, where), where)
    if kind is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if kind is int and isinstance(data, bool):
        raise ValueError(f"{where}: expected int, got {data!r}")
    return _expect(data, kind, where)


def _dataclass(kind: type, data: dict[str, object], where: str) -> object:
    hints = _hints(kind)
    unknown = set(data) - set(hints)
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    values: dict[str, object] = {}
    for f in dataclasses.fields(kind):
        if f.name in data:
            values[f.name] = _value(hints[f.name], data[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ValueError(f"{where}: missing field {f.name}")
    return kind(**values)


@functools.cache
def _hints(kind: type) -> dict[str, object]:
    return get_type_hints(kind)


def _expect(data: object, kind: type[T], where: str) -> T:
    if not isinstance(data, kind):
        raise ValueError(f"{where}: expected {kind.__name__}, got {data!r}")
    return data
