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
Rule 6: every number setting has an upper bound as well as a lower one: a value the core
cannot honour (a ring limit of 10^20, a wrap-up of 10^300 seconds) is refused here rather
than overflowing a database column or a timer (tests/unit/test_setting.py checks that
each declared number has both).
Rule 7: text is held to a `Text` rule, one line of printable characters by default (LINE):
no control characters (tab and line breaks only where `lines`), no lone surrogates (which
no file or database encoding can store), at most `length` characters; an id's text also
matches its `rule` (cti/domain/ids.py: the names the dialplan and AMI can carry). The
rule applies to a text setting, to each text of a tuple, and, with `keys`, to the keys of
a mapping (a skill's name, a queue id).
"""

from __future__ import annotations

import math
import re
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
        return math.isfinite(value) and not (self._below(value) or self._above(value))

    def reason(self) -> str:
        """Why a value out of these bounds is refused: 'must be ...', the whole range (a
        setting has both bounds, rule 6: "1-50", "in (0, 100) %")."""
        unit = f" {self.unit}" if self.unit else ""
        low = self.ge if self.ge is not None else self.gt
        high = self.le if self.le is not None else self.lt
        if low is not None and high is not None:
            if self.ge is not None and self.le is not None:
                return f"must be {_figure(low)}-{_figure(high)}{unit}"
            left, right = "[" if self.ge is not None else "(", "]" if self.le is not None else ")"
            return f"must be in {left}{_figure(low)}, {_figure(high)}{right}{unit}"
        if low is not None:
            return self._low(unit)
        if high is not None:
            return self._high(unit)
        return "must be a finite number"

    def _below(self, value: float) -> bool:
        return (self.ge is not None and value < self.ge) or (
            self.gt is not None and value <= self.gt
        )

    def _above(self, value: float) -> bool:
        return (self.le is not None and value > self.le) or (
            self.lt is not None and value >= self.lt
        )

    def _low(self, unit: str) -> str:
        if self.ge is not None:
            return (
                "must not be negative"
                if self.ge == 0
                else f"must be at least {_figure(self.ge)}{unit}"
            )
        if self.gt == 0:
            return "must be positive"
        return f"must be more than {_figure(self.gt or 0)}{unit}"

    def _high(self, unit: str) -> str:
        if self.le is not None:
            return f"must be at most {_figure(self.le)}{unit}"
        return f"must be less than {_figure(self.lt or 0)}{unit}"


def _figure(number: float) -> str:
    """A bound as a person writes it: 2678400, not 2.6784e+06; 0.5 as 0.5."""
    return str(int(number)) if number == int(number) else f"{number:g}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """What a text setting takes (rule 7)."""

    length: int = 200  # characters at most
    least: int = 0  # characters at least
    lines: bool = False  # tab and line breaks allowed (a script, a note)
    rule: re.Pattern[str] | None = None  # an id's whole text matches it
    says: str = ""  # the rule in words, for the reason ("2-80 letters, digits or _ . + -")

    @property
    def pattern(self) -> str:
        """The rule as a regular expression over the whole text, in the syntax Python's re,
        pydantic's and JSON Schema's (ECMA 262) share: what the OpenAPI document states."""
        if self.rule is not None:
            return f"^(?:{self.rule.pattern})$"
        return f"^[^{_CONTROLS_BUT_LINES if self.lines else _CONTROLS}]*$"

    def fault(self, text: str) -> str | None:
        """Why `text` breaks this rule ('must ...'), or None when it keeps it."""
        if len(text) > self.length:
            return f"must be at most {self.length} characters"
        if len(text) < self.least:
            return "must not be empty" if self.least == 1 else f"must be {self.least}+ characters"
        if _SURROGATE.search(text):
            return "must not contain a lone surrogate (not Unicode text)"
        if self.rule is not None:
            return None if self.rule.fullmatch(text) else f"must be {self.says}"
        bad = (_CONTROL_BUT_LINES if self.lines else _CONTROL).search(text)
        if bad is not None:
            return f"must not contain control characters (U+{ord(bad.group()):04X})"
        return None


# C0 controls, DEL and C1 controls; tab, line feed and carriage return kept where `lines`.
_CONTROLS: Final = r"\x00-\x1f\x7f-\x9f"
_CONTROLS_BUT_LINES: Final = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL: Final = re.compile(f"[{_CONTROLS}]")
_CONTROL_BUT_LINES: Final = re.compile(f"[{_CONTROLS_BUT_LINES}]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
LINE: Final = Text()  # a name, a label, a code: one line
PROSE: Final = Text(length=4000, lines=True)  # what a person reads: a script, a note


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    doc: str = ""
    bounds: Bounds | None = None
    each: Bounds | None = None  # rule 3
    text: Text = LINE  # rule 7: of a text, or of each text of a tuple
    keys: Text | None = None  # rule 7: of a mapping's keys


def setting(
    doc: str = "",
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    unit: str = "",
    each: Bounds | None = None,
    text: Text = LINE,
    keys: Text | None = None,
) -> Mapping[str, object]:
    """The metadata of a setting's `dataclasses.field` (rule 1)."""
    limits = (ge, gt, le, lt)
    bounds = None if limits == (None,) * 4 else Bounds(ge=ge, gt=gt, le=le, lt=lt, unit=unit)
    found = Setting(doc=doc, bounds=bounds, each=each, text=text, keys=keys)
    return MappingProxyType({KEY: found})


def setting_of(declared: Field[Any]) -> Setting:
    """The setting a dataclass field declares (an undeclared field: no doc, no bounds)."""
    found = declared.metadata.get(KEY)
    return found if isinstance(found, Setting) else Setting()


def check(value: object, where: str) -> None:
    """Rules 2, 3 and 7: every setting of the dataclass `value` within its bounds and its
    text rule, or SettingError."""
    for declared in fields(value):  # type: ignore[arg-type]
        rule, found, name = setting_of(declared), getattr(value, declared.name), declared.name
        _number(found, rule.bounds, where, name)
        if isinstance(found, tuple):
            for index, item in enumerate(found):
                _text(item, rule.text, where, f"{name}.{index}")
        else:
            _text(found, rule.text, where, name)
        if isinstance(found, Mapping):
            for key, item in found.items():
                if rule.keys is not None:
                    _text(key, rule.keys, where, name, key=True)
                if rule.each is not None:
                    _number(item, rule.each, where, f"{name}.{key}")


def _number(found: object, bounds: Bounds | None, where: str, name: str) -> None:
    if isinstance(found, bool) or not isinstance(found, int | float):
        return
    limits = bounds or Bounds()
    if not limits.allows(found):
        raise SettingError(f"{where}: {name} {limits.reason()}", name)


def named(kind: str, key: str, rule: Text, field: str = "id") -> str:
    """A value's key checked against its rule first, then the `where` of its other errors
    ("queue support"): a bad key is reported without being echoed whole."""
    fault = rule.fault(key)
    if fault is not None:
        raise SettingError(f"{kind}: {field} {_shown(key)} {fault}", field)
    return f"{kind} {key}"


def _text(found: object, rule: Text, where: str, name: str, *, key: bool = False) -> None:
    if not isinstance(found, str):
        return
    fault = rule.fault(found)
    if fault is not None:
        what = f"{name} key {_shown(found)}" if key else name
        raise SettingError(f"{where}: {what} {fault}", name)


def _shown(text: str, most: int = 40) -> str:
    """A text as the reason quotes it: short, and printable whatever it holds."""
    return ascii(text if len(text) <= most else f"{text[:most]}...")
