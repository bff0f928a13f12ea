"""Readers of settings written by people: YAML values and CSV cells, chosen by declared type.

Rule 1: a reader takes what YAML produced (str, int, float, bool, list, mapping) or a CSV
cell (str) and returns the value of the declared type, or raises ValueError with the
reason; the caller adds the field's name and where it was.
Rule 2: an absent value (missing key, YAML null, empty CSV cell) means "keep the default";
readers never see one. An optional text setting read as "" is None.
Rule 3: the reader of a setting follows from its type alone (`reader_of`): text, whole
number, number, true/false, one of an enum, a list of codes ("a;b" in a cell), a mapping
of names to whole numbers ("a:1;b:2" in a cell), a time of day. A setting of any other
type (a nested part, a mapping of parts) has no reader: it is not written in a cell.
Rule 4: bounds are the values' own validate() (cti/domain/setting.py); not repeated here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import time
from enum import Enum
from types import MappingProxyType
from typing import Final, TypeVar

from cti.schema.hints import TypeForm, base, declared, items_of, mapping_of, optional

Reader = Callable[[object], object]
T = TypeVar("T")
_WHOLE: Final = re.compile(r"[+-]?[0-9]+")
_TRUE: Final = frozenset({"true", "yes", "on", "1"})
_FALSE: Final = frozenset({"false", "no", "off", "0"})


def text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {value!r}")
    return str(value).strip()


def optional_text(value: object) -> str | None:
    return text(value) or None


def whole(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value)
    raise ValueError(f"expected a whole number, got {value!r}")


def number(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(f"expected a number of seconds, got {value!r}")


def flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


def codes(value: object) -> tuple[str, ...]:
    """A YAML list, or a CSV cell "a;b;c"."""
    items = value.split(";") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError(f"expected a list, got {value!r}")
    return tuple(code for code in map(text, items) if code)


def levels(value: object) -> Mapping[str, int]:
    """A YAML mapping {name: number}, or a CSV cell "name:number;name:number"."""
    if isinstance(value, Mapping):
        return MappingProxyType({text(name): whole(level) for name, level in value.items()})
    if not isinstance(value, str):
        raise ValueError(f"expected name: number pairs, got {value!r}")
    pairs: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in value.split(";"))):
        name, colon, level = item.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"{item!r} is not name:number")
        pairs[name.strip()] = whole(level)
    return MappingProxyType(pairs)


def clock(value: object) -> time:
    try:
        return time.fromisoformat(text(value))
    except ValueError:
        raise ValueError(f"expected a time of day (HH:MM), got {value!r}") from None


def choice(kind: type[Enum]) -> Reader:
    def read(value: object) -> object:
        try:
            return kind(text(value))
        except ValueError:
            choices = ", ".join(str(member.value) for member in kind)
            raise ValueError(f"{value!r} is not one of {choices}") from None

    return read


_SCALARS: Final[Mapping[object, Reader]] = {
    str: text,
    bool: flag,
    int: whole,
    float: number,
    time: clock,
}


def reader_of(tp: TypeForm) -> Reader | None:
    """Rule 3: the reader for a setting of type `tp`, or None when it has none."""
    inner, nullable = optional(tp)
    kind = base(inner)
    if kind is str and nullable:
        return optional_text
    if isinstance(kind, type) and issubclass(kind, Enum):
        return choice(kind)
    if kind in _SCALARS:
        return _SCALARS[kind]
    if items_of(kind) is not None and base(items_of(kind)) is str:
        return codes
    pair = mapping_of(kind)
    if pair is not None and base(pair[0]) is str and base(pair[1]) is int:
        return levels
    return None


def readers(cls: type) -> Mapping[str, Reader]:
    """The reader of every setting of `cls` that has one, in declaration order."""
    found = ((d.name, reader_of(d.type)) for d in declared(cls))
    return MappingProxyType({name: read for name, read in found if read is not None})


def with_key(cls: type[T], name: str, key: object) -> T:
    """A value of `cls` with its key (`name`) and every setting at its default."""
    make: Callable[..., T] = cls
    return make(**{name: key})


def given(value: T, settings: Mapping[str, object]) -> T:
    """`value` with the settings read (not validated)."""
    return replace(value, **settings)  # type: ignore[type-var]
