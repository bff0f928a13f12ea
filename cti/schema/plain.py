"""Values as plain JSON data: what the API answers, what documents store, what export prints.

Rule 1: a dataclass is an object of its fields, an enum its value, a mapping an object
with text keys, a tuple, list or set a list, a time of day "HH:MM" (with ":SS" only when
it has seconds); anything else is kept as it is (numbers, text, booleans, None).
Rule 2: what `plain` makes of a configuration value, the models of model.py read back to
the same value (tested), so a GET's answer is a valid PUT body and a stored document
reads back unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import time
from enum import Enum


def plain(value: object) -> object:
    """Rule 1."""
    if isinstance(value, Enum):  # before str: a StrEnum is a str too
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        return [plain(item) for item in value]
    if isinstance(value, time):
        return clock_text(value)
    return value


def plain_object(value: object) -> dict[str, object]:
    """A dataclass as a JSON object (rule 1)."""
    found = plain(value)
    if not isinstance(found, dict):
        raise TypeError(f"{value!r} is not a dataclass value")
    return found


def clock_text(moment: time) -> str:
    return moment.isoformat("seconds" if moment.second else "minutes")
