"""Query strings read into typed values: each parameter by name, 400 naming a bad one.

Rule 1: a query may hold only the parameters its route reads; any other is a 400 naming it
(so a misspelt filter never silently returns everything).
Rule 2: instants are epoch seconds or ISO 8601 with an offset, as bodies take them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cti.api.errors import bad_request
from cti.domain.ids import Instant


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
