"""Settings: the per-field declaration of configuration values, and the core's check of it.

Rule 1: a configuration dataclass (queue, agent, reason, campaign and its parts) declares
each setting once, as `field(default=..., metadata=setting(doc, ge=..., ...))`: its type
and default (the dataclass's own), what it means (`doc`) and the numbers it takes
(`Bounds`). The shell derives everything else from these fields (cti/schema: the API's
models and OpenAPI schemas, the YAML and CSV readers, the command line options, the
stored documents); the core checks the bounds itself, here, so that a value built in code
is held to the same rules as one read from a file.
Rule 2: `check(value, where)` refuses the first setting out of its bounds with
SettingError, whose message says why in the words of the bounds ("queue q: ring_limit
must be at least 1") and whose `field` names it, dotted below the value
("retries.busy.delay"). None (an optional setting left out) has no bounds to keep; a
float must be finite whatever its bounds.
Rule 3: `each` bounds the values of a mapping (skill levels), named "<field>.<key>".
Rule 4: cross-field rules stay in each value's `validate()`, which raises SettingError
naming the field it blames ("" for the value as a whole).
Rule 5: standard library only, like the rest of the core.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import Field, dataclass, fields
from types import MappingProxyType
from typing import Any, Final

KEY: Final = "cti.setting"


class ConfigError(ValueError):
    """A configuration value that cannot be routed by; the message names the field."""


class SettingError(ConfigError):
    """A ConfigError that knows which setting it blames (`field`, dotted; "": the whole)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field

    def under(self, path: str) -> SettingError:
        """The same error, named from the value that holds this one at `path`."""
        return SettingError(str(self), f"{path}.{self.field}" if self.field else path)


@dataclass(frozen=True, slots=True, kw_only=True)
class Bounds:
    """The numbers a setting takes: ge/gt a lower bound, le/lt an upper one."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    unit: str = ""  # said after a number in the reason ("at least 15 s")

    def allows(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        return not (
            (self.ge is not None and value < self.ge)
            or (self.gt is not None and value <= self.gt)
            or (self.le is not None and value > self.le)
            or (self.lt is not None and value >= self.lt)
        )

    def reason(self) -> str:
        """Why a value out of these bounds is refused: 'must be ...'."""
        low = self.ge if self.ge is not None else self.gt
        high = self.le if self.le is not None else self.lt
        unit = f" {self.unit}" if self.unit else ""
        if low is not None and high is not None:
            if self.ge is not None and self.le is not None:
                return f"must be {low:g}-{high:g}{unit}"
            left, right = "[" if self.ge is not None else "(", "]" if self.le is not None else ")"
            return f"must be in {left}{low:g}, {high:g}{right}{unit}"
        if low is not None:
            if low == 0:
                return "must not be negative" if self.ge is not None else "must be positive"
            return f"must be {'at least' if self.ge is not None else 'more than'} {low:g}{unit}"
        if high is not None:
            return f"must be {'at most' if self.le is not None else 'less than'} {high:g}{unit}"
        return "must be a finite number"


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    doc: str = ""
    bounds: Bounds | None = None
    each: Bounds | None = None  # rule 3


def setting(
    doc: str = "",
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    unit: str = "",
    each: Bounds | None = None,
) -> Mapping[str, object]:
    """The metadata of a setting's `dataclasses.field` (rule 1)."""
    limits = (ge, gt, le, lt)
    bounds = None if limits == (None,) * 4 else Bounds(ge=ge, gt=gt, le=le, lt=lt, unit=unit)
    return MappingProxyType({KEY: Setting(doc=doc, bounds=bounds, each=each)})


def setting_of(declared: Field[Any]) -> Setting:
    """The setting a dataclass field declares (an undeclared field: no doc, no bounds)."""
    found = declared.metadata.get(KEY)
    return found if isinstance(found, Setting) else Setting()


def check(value: object, where: str) -> None:
    """Rule 2: every setting of the dataclass `value` within its bounds, or SettingError."""
    for declared in fields(value):  # type: ignore[arg-type]
        rule, found = setting_of(declared), getattr(value, declared.name)
        _number(found, rule.bounds, where, declared.name)
        if rule.each is not None and isinstance(found, Mapping):
            for key, item in found.items():
                _number(item, rule.each, where, f"{declared.name}.{key}")


def _number(found: object, bounds: Bounds | None, where: str, name: str) -> None:
    if isinstance(found, bool) or not isinstance(found, int | float):
        return
    limits = bounds or Bounds()
    if not limits.allows(found):
        raise SettingError(f"{where}: {name} {limits.reason()}", name)
