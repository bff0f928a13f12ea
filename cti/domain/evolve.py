"""evolve: dataclasses.replace for the core's frozen, slotted dataclasses, at half its cost.

Rule 1: `evolve(obj, **changes)` is a copy of `obj` with `changes`, exactly as `replace`
makes it, for a class with slots and neither __post_init__ nor fields left out of
__init__; for any other class it is `replace` itself. `replace` looks up the class's
fields, builds keyword arguments and runs the frozen __init__, which sets every field
through object.__setattr__; evolve sets the slots directly (bench/core_decisions.py:
the core's hot paths copy three or four records a decision).
Rule 2: unknown field names raise TypeError, as with `replace`. The values' types are
not checked by mypy here (replace's are): use it where the profile says, not everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Final, TypeVar

T = TypeVar("T")
Slot = tuple[str, Callable[[Any], Any], Callable[[Any, Any], None]]

_SLOTS: Final[dict[type, tuple[Slot, ...] | None]] = {}


def evolve(obj: T, /, **changes: Any) -> T:
    cls = type(obj)
    slots = _SLOTS.get(cls, ()) or _slots_of(cls)
    if slots is None:
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    made = object.__new__(cls)
    for name, get, put in slots:
        put(made, changes.pop(name) if name in changes else get(obj))
    if changes:
        raise TypeError(f"{cls.__name__} has no field(s) {', '.join(sorted(changes))}")
    return made


def _slots_of(cls: type) -> tuple[Slot, ...] | None:
    """The fields' own slot getters and setters, or None where rule 1 says replace."""
    fields = dataclasses.fields(cls)
    plain = (
        "__slots__" in vars(cls)
        and not hasattr(cls, "__post_init__")
        and all(f.init for f in fields)
    )
    slots = tuple((f.name, vars(cls)[f.name].__get__, vars(cls)[f.name].__set__) for f in fields)
    _SLOTS[cls] = slots if plain else None
    return _SLOTS[cls]
