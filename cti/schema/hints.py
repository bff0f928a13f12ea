"""The declared settings of a configuration dataclass, with their types resolved.

Rule 1: the core's modules use `from __future__ import annotations`, so a field's type is
text until resolved; `declared(cls)` resolves it once per class (typing.get_type_hints).
Rule 2: `X | None` is an optional setting: `optional(tp)` gives X and whether None is
allowed; a NewType is its supertype to everything here (`base(tp)`).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import cast

from cti.domain.setting import Setting, setting_of

TypeForm = object  # a type as get_type_hints returns it: a class, a NewType, an alias


@dataclass(frozen=True, slots=True)
class Declared:
    """One field of a configuration dataclass: name, resolved type, default, setting."""

    name: str
    type: TypeForm
    setting: Setting
    default: object  # dataclasses.MISSING when the field is required
    factory: object  # dataclasses.MISSING, or the default's factory

    @property
    def required(self) -> bool:
        return self.default is dataclasses.MISSING and self.factory is dataclasses.MISSING

    def default_value(self) -> object:
        """The default the dataclass gives (rule: factories are called anew)."""
        if callable(self.factory):
            return self.factory()
        return None if self.default is dataclasses.MISSING else self.default


@cache
def declared(cls: type) -> tuple[Declared, ...]:
    """Rule 1: the fields of the dataclass `cls`, in declaration order."""
    hints = typing.get_type_hints(cls)
    return tuple(
        Declared(
            name=f.name,
            type=hints[f.name],
            setting=setting_of(f),
            default=f.default,
            factory=f.default_factory,
        )
        for f in dataclasses.fields(cls)
    )


def optional(tp: TypeForm) -> tuple[TypeForm, bool]:
    """Rule 2: (X, True) for `X | None`, else (tp, False)."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        if len(args) == 1:
            return cast(TypeForm, args[0]), True
    return tp, False


def base(tp: TypeForm) -> TypeForm:
    """Rule 2: a NewType's supertype (recursively), any other type as it is."""
    while isinstance(tp, typing.NewType):
        tp = tp.__supertype__
    return tp


def mapping_of(tp: TypeForm) -> tuple[TypeForm, TypeForm] | None:
    """(K, V) for Mapping[K, V] (or dict), else None."""
    origin = typing.get_origin(tp)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        key, value = typing.get_args(tp)
        return key, value
    return None


def items_of(tp: TypeForm) -> TypeForm | None:
    """X for tuple[X, ...], else None."""
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return cast(TypeForm, args[0])
    return None


def is_dataclass_type(tp: TypeForm) -> typing.TypeGuard[type]:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)
