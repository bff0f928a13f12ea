"""Fields of imported configuration: one small parser per field, for YAML values and CSV cells.

Rule 1: a parser takes what YAML produced (str, int, float, bool, list, mapping) or a CSV
cell (str) and returns the typed value, or raises ValueError with the reason; the caller
adds the field's name and where it was.
Rule 2: an absent value (missing key, YAML null, empty CSV cell) means "keep the default";
parsers never see one.
Rule 3: a PIN must be text: YAML reads 0042 as the number 34 (octal), which would be a
different PIN, so a number is refused with a hint to quote it.
Range rules (ring_limit >= 1, levels 0-9 ...) are the values' own validate(); not repeated here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Final, TypeVar

from cti.domain.config import AgentProfile, MaxWaitAction, NotReadyReason, QueueConfig, Strategy
from cti.domain.ids import AgentId, QueueId
from cti.storage import credentials

Parser = Callable[[object], object]
T = TypeVar("T")
U = TypeVar("U")
_WHOLE: Final = re.compile(r"[+-]?[0-9]+")
_TRUE: Final = frozenset({"true", "yes", "on", "1"})
_FALSE: Final = frozenset({"false", "no", "off", "0"})


class Kind(StrEnum):
    QUEUES = "queues"
    AGENTS = "agents"
    REASONS = "reasons"

    @property
    def noun(self) -> str:
        return {"queues": "queue", "agents": "agent", "reasons": "reason"}[self.value]

    @property
    def key(self) -> str:
        return "code" if self is Kind.REASONS else "id"


def text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {value!r}")
    return str(value).strip()


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


def levels(value: object) -> dict[str, int]:
    """A YAML mapping {name: number}, or a CSV cell "name:number;name:number"."""
    if isinstance(value, Mapping):
        return {text(name): whole(level) for name, level in value.items()}
    if not isinstance(value, str):
        raise ValueError(f"expected name: number pairs, got {value!r}")
    pairs: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in value.split(";"))):
        name, colon, level = item.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"{item!r} is not name:number")
        pairs[name.strip()] = whole(level)
    return pairs


def choice(kind: type[Enum]) -> Parser:
    def parse(value: object) -> object:
        try:
            return kind(text(value))
        except ValueError:
            choices = ", ".join(str(member.value) for member in kind)
            raise ValueError(f"{value!r} is not one of {choices}") from None

    return parse


def pin(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("write the PIN in quotes (YAML reads 0042 as a number)")
    return credentials.check_pin(value.strip())


def optional_text(value: object) -> str | None:
    return text(value) or None


FIELDS: Final[Mapping[Kind, Mapping[str, Parser]]] = {
    Kind.QUEUES: {
        "id": text,
        "name": text,
        "strategy": choice(Strategy),
        "ring_limit": whole,
        "ring_cadence": number,
        "misses_before_not_ready": whole,
        "max_wrap_up": number,
        "dispositions": codes,
        "disposition_required": flag,
        "skill": optional_text,
        "min_skill_level": whole,
        "widen_after": number,
        "overflow_after": number,
        "overflow_queue": optional_text,
        "max_wait": number,
        "max_wait_action": choice(MaxWaitAction),
    },
    Kind.AGENTS: {"id": text, "name": text, "pin": pin, "skills": levels, "queues": levels},
    Kind.REASONS: {"code": text, "label": text, "max_seconds": number},
}


def build(kind: Kind, values: Mapping[str, object]) -> QueueConfig | AgentProfile | NotReadyReason:
    """The value the parsed fields describe (key field present), validated on its own."""
    key = _get(values, kind.key, str, "")
    if kind is Kind.QUEUES:
        return queue_with(QueueConfig(id=QueueId(key)), values).validate()
    if kind is Kind.REASONS:
        base = NotReadyReason(code=key)
        return NotReadyReason(
            code=key,
            label=_get(values, "label", str, base.label),
            max_seconds=_get(values, "max_seconds", float, base.max_seconds),
        ).validate()
    skills = _get(values, "skills", dict, {})
    queues = _get(values, "queues", dict, {})
    return AgentProfile(
        id=AgentId(key),
        name=_get(values, "name", str, ""),
        skills=MappingProxyType({str(s): int(n) for s, n in skills.items()}),
        queues=MappingProxyType({QueueId(str(q)): int(p) for q, p in queues.items()}),
    ).validate()


def queue_with(base: QueueConfig, values: Mapping[str, object]) -> QueueConfig:
    """The base queue with the parsed fields given (not validated)."""
    overflow = _get(values, "overflow_queue", str, base.overflow_queue)
    return QueueConfig(
        id=base.id,
        name=_get(values, "name", str, base.name),
        strategy=_get(values, "strategy", Strategy, base.strategy),
        ring_limit=_get(values, "ring_limit", int, base.ring_limit),
        ring_cadence=_get(values, "ring_cadence", float, base.ring_cadence),
        misses_before_not_ready=_get(
            values, "misses_before_not_ready", int, base.misses_before_not_ready
        ),
        max_wrap_up=_get(values, "max_wrap_up", float, base.max_wrap_up),
        dispositions=tuple(map(str, _get(values, "dispositions", tuple, base.dispositions))),
        disposition_required=_get(values, "disposition_required", bool, base.disposition_required),
        skill=_get(values, "skill", str, base.skill),
        min_skill_level=_get(values, "min_skill_level", int, base.min_skill_level),
        widen_after=_get(values, "widen_after", float, base.widen_after),
        overflow_after=_get(values, "overflow_after", float, base.overflow_after),
        overflow_queue=None if overflow is None else QueueId(overflow),
        max_wait=_get(values, "max_wait", float, base.max_wait),
        max_wait_action=_get(values, "max_wait_action", MaxWaitAction, base.max_wait_action),
    )


def _get(values: Mapping[str, object], name: str, kind: type[T], default: U) -> T | U:
    """The parsed field (of the parser's type), or the default when it was not given."""
    found = values.get(name)
    if found is None:
        return default
    if not isinstance(found, kind):
        raise TypeError(f"{name}: the parser returned {found!r}, not a {kind.__name__}")
    return found
