"""Query strings read into typed values: each parameter by name, 400 naming a bad one.

Rule 1: a query may hold only the parameters its route reads; any other is a 400 naming it
(so a misspelt filter never silently returns everything).
Rule 2: instants are epoch seconds or ISO 8601 with an offset, as bodies take them.
Rule 3: a time range is half-open, [since, until); `since` must be before `until` (a 400
naming `since`). A listing's range may leave either end open; a figures range ends now
and starts its length before its end unless told.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Final, TypeVar

from cti.api.errors import bad_request
from cti.domain.ids import Instant

DAY: Final = 86_400.0
E = TypeVar("E", bound=StrEnum)


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


LAST_MOMENT: Final = 253_402_300_799.0  # 9999-12-31T23:59:59Z


def parse_instant(value: str | float) -> Instant | None:
    """Epoch seconds, or an ISO 8601 time with its offset, from 1970 to 9999 (a moment a
    calendar can show: not NaN, not infinite, not 1e400); None when it is neither."""
    number: float | None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # OverflowError: an int too big for a float
        number = None
    if number is None and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        number = None if parsed.tzinfo is None else parsed.timestamp()
    if number is None or not 0 <= number <= LAST_MOMENT:
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


def positive_int(query: Mapping[str, str], name: str, default: int, most: int) -> int:
    value = query.get(name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise bad_request(f"query parameter '{name}' must be an integer from 1 to {most}", name)
    return int(value)


def time_range(query: Mapping[str, str]) -> tuple[Instant | None, Instant | None]:
    """Rule 3: `since` and `until`, either left open (None)."""
    since, until = instant(query, "since"), instant(query, "until")
    if since is not None and until is not None and since >= until:
        raise bad_request("query parameter 'since' must be before 'until'", "since")
    return since, until


def figures_range(
    query: Mapping[str, str], now: Instant, length: float = DAY
) -> tuple[Instant, Instant]:
    """Rule 3: until defaults to now, since to `length` (a day) before until."""
    since, until = time_range(query)
    until = now if until is None else until
    since = Instant(until - length) if since is None else since
    if since >= until:
        raise bad_request("query parameter 'since' must be before 'until'", "since")
    return since, until
