"""Query strings read into typed values: each parameter by name, 400 naming a bad one.

Rule 1: a query may hold only the parameters its route reads; any other is a 400 naming it
(so a misspelt filter never silently returns everything).
Rule 2: instants are epoch seconds or ISO 8601 with an offset, as bodies take them.
Rule 3: a time range is half-open, [since, until); `since` must be before `until` (a 422
naming `since`: each is well formed, the pair is refused). A listing's range may leave
either end open; a figures range ends now and starts its length before its end unless told.
Rule 4: a route declares each parameter it reads with a `Param` (its meaning and its JSON
Schema: an instant, a count within bounds, one of an enum's values, a flag, a day, an
opaque cursor), from which the OpenAPI document says what the parameter takes; a plain
text filter is a description alone (one printable line). A parameter given empty
(`?since=`) is as if left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Final, TypeVar

from cti.api.errors import ApiError, bad_request
from cti.domain.ids import Instant
from cti.domain.setting import LINE, Text

DAY: Final = 86_400.0
DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_MOMENT: Final = -62_135_596_800.0  # 0001-01-01T00:00:00Z: the calendar's range
LAST_MOMENT: Final = 253_402_300_799.0  # 9999-12-31T23:59:59Z
E = TypeVar("E", bound=StrEnum)
WHEN: Final = "epoch seconds or ISO 8601 with an offset"
CURSOR: Final = "cursor"  # a listing's page (cti/api/cursor.py)
CURSOR_TEXT: Final = Text(length=2000)
LINE_SCHEMA: Final = {"type": "string", "maxLength": LINE.length, "pattern": LINE.pattern}
Schema = dict[str, object]


@dataclass(frozen=True, slots=True)
class Param:
    """Rule 4: one query parameter as the document states it."""

    doc: str
    schema: Schema = field(default_factory=lambda: dict(LINE_SCHEMA))
    errors: tuple[int, ...] = (400,)  # a bad value; 422: well formed, refused with another


def moment(doc: str = WHEN) -> Param:
    """An instant (rule 2): epoch seconds from year 1 to 9999, or RFC 3339 text; as an
    end of a range, out of order with the other end (rule 3: 422)."""
    number: Schema = {"type": "number", "minimum": FIRST_MOMENT, "maximum": LAST_MOMENT}
    text: Schema = {"type": "string", "format": "date-time", "maxLength": 64}
    return Param(doc, {"anyOf": [number, text]}, errors=(400, 422))


def count(most: int, default: int) -> Param:
    return Param(
        f"at most this many (1-{most}, default {default})",
        {"type": "integer", "minimum": 1, "maximum": most},
    )


def one_of(doc: str, kind: type[StrEnum]) -> Param:
    return Param(doc, {"type": "string", "enum": [member.value for member in kind]})


def flag(doc: str) -> Param:
    return Param(doc, {"type": "boolean"})


def calendar_day(doc: str) -> Param:
    return Param(doc, {"type": "string", "format": "date"})


def date_of(query: Mapping[str, str], name: str) -> date | None:
    """A calendar_day parameter (YYYY-MM-DD) as a date; None when left out or empty."""
    value = query.get(name)
    if not value:
        return None
    try:
        if DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise bad_request(f"query parameter {name!r} must be a date, YYYY-MM-DD", name)


def query_fields(query: Mapping[str, str], allowed: set[str]) -> None:
    """Rule 1, and every value one printable line of at most 200 characters (LINE; a
    cursor 2,000)."""
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise bad_request(f"unknown query parameter '{unknown[0]}'", unknown[0])
    for name, value in query.items():
        fault = (CURSOR_TEXT if name == CURSOR else LINE).fault(value)
        if fault is not None:
            raise bad_request(f"query parameter '{name}' {fault}", name)


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
    """Epoch seconds, or an ISO 8601 time with its offset, within the calendar (years 1 to
    9999: not NaN, not infinite, not 1e400); None when it is neither."""
    number: float | None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # OverflowError: an int too big for a float
        number = None
    if number is None and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            number = None if parsed.tzinfo is None else parsed.timestamp()
        except (ValueError, OverflowError):  # OverflowError: an offset past year 1 or 9999
            return None
    if number is None or not FIRST_MOMENT <= number <= LAST_MOMENT:
        return None
    return Instant(number)


def choice(query: Mapping[str, str], name: str, kind: type[E]) -> E | None:
    """One of the enum's values, or None when left out; a 400 listing them otherwise."""
    value = query.get(name)
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise bad_request(f"query parameter '{name}' must be one of {choices}", name) from None


def true_or_false(query: Mapping[str, str], name: str) -> bool:
    """A flag: `true` or `false` (left out: false); anything else is a 400 naming it."""
    value = query.get(name, "").lower()
    if value not in ("", "true", "false"):
        raise bad_request(f"query parameter '{name}' must be true or false", name)
    return value == "true"


def positive_int(query: Mapping[str, str], name: str, default: int, most: int) -> int:
    value = query.get(name)
    if not value:
        return default
    # isdigit alone takes "²", which int() refuses; a short ASCII run is a number int() reads.
    if not (value.isascii() and value.isdigit() and len(value) <= 9) or not 1 <= int(value) <= most:
        raise bad_request(f"query parameter '{name}' must be an integer from 1 to {most}", name)
    return int(value)


def time_range(query: Mapping[str, str]) -> tuple[Instant | None, Instant | None]:
    """Rule 3: `since` and `until`, either left open (None)."""
    since, until = instant(query, "since"), instant(query, "until")
    if since is not None and until is not None and since >= until:
        raise _unordered()
    return since, until


def _unordered() -> ApiError:
    return ApiError(422, "query parameter 'since' must be before 'until'", field="since")


def figures_range(
    query: Mapping[str, str], now: Instant, length: float = DAY
) -> tuple[Instant, Instant]:
    """Rule 3: until defaults to now, since to `length` (a day) before until."""
    since, until = time_range(query)
    until = now if until is None else until
    since = Instant(until - length) if since is None else since
    if since >= until:
        raise _unordered()
    return since, until
