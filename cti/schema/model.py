"""pydantic models derived from the core's configuration dataclasses, and the way back.

Rule 1: `model_of(cls, ...)` is a pydantic model of the dataclass's settings: unknown
fields refused, no inf or NaN, strict types (a JSON number is not text, "3" is not a
number); each field's description and bounds come from its setting and its default is
shown, so the OpenAPI schema says what the core will take.
Rule 2: a field that is not required may be left out or be null, and both mean the
default (package rule 2). A nested dataclass is a nested model (one per class); in a
mapping of dataclasses, null stands for "none for this key" (a retry rule taken away).
Rule 3: a time of day is "HH:MM" or "HH:MM:SS"; other text is a value refused (422), not
a type error (400).
Rule 3a: a text is held to its setting's Text rule (cti/domain/setting.py rule 7: one
printable line by default, an id's own rule) by `text(rule)`: the same fault, in the
same words, as the core's check, refused as a value (422) naming the field; the schema
states it (pattern, maxLength, minLength), so a client can tell before it sends.
Rule 3b: an integer setting takes a JSON number with no fraction (10.0), as JSON Schema's
"integer" does; a fraction, text or a boolean is a type error (400).
Rule 4: `updated(base, model)` is `base` with what the model was given: a part (pacing)
is the base's part updated, a mapping is replaced whole, each part built by its own
dataclass; a SettingError raised by a part is named from the whole
(SettingError.under), so an error says "pacing.abandon_cap_pct".
Rule 5: a stored document is `document(value, omit)`, the value's plain settings but the
ones kept as columns; `read_document` reads it back leniently (this code wrote it), so a
document written before a setting existed reads with that setting's default.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import time
from functools import cache
from types import MappingProxyType
from typing import Annotated, Final, TypeVar, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    JsonValue,
    ValidationError,
    WithJsonSchema,
    create_model,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from cti.domain.setting import LINE, Bounds, SettingError, Text
from cti.schema.hints import (
    Declared,
    TypeForm,
    base,
    declared,
    is_dataclass_type,
    items_of,
    mapping_of,
    optional,
)
from cti.schema.plain import plain, plain_object

T = TypeVar("T")
REFUSED: Final = "refused"  # the error type of a well-formed value refused (rule 3): 422
STRICT: Final = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)
CLOCK_TEXT: Final = re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?")
CLOCK_SCHEMA: Final = {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}(:[0-9]{2})?$"}


def clock(text: str) -> time:
    """Rule 3: a time of day, or the value refused."""
    try:
        if CLOCK_TEXT.fullmatch(text):
            return time.fromisoformat(text)
    except ValueError:
        pass
    raise PydanticCustomError(REFUSED, "'{text}' is not a time of day (HH:MM)", {"text": text})


Clock = Annotated[str, AfterValidator(clock), WithJsonSchema(CLOCK_SCHEMA)]


def text_schema(rule: Text) -> JsonDict:
    """Rule 3a: what the document says of a text."""
    schema: JsonDict = {"type": "string", "maxLength": rule.length, "pattern": rule.pattern}
    if rule.least:
        schema["minLength"] = rule.least
    return schema


@dataclass(frozen=True, slots=True)
class Kept:
    """Rule 3a, as pydantic metadata: `Annotated[str, Kept(rule)]` is a text held to `rule`."""

    rule: Text

    def __get_pydantic_core_schema__(
        self, source: object, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._kept, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return dict(text_schema(self.rule))

    def _kept(self, given: str) -> str:
        fault = self.rule.fault(given)
        if fault is not None:
            raise PydanticCustomError(REFUSED, "{fault}", {"fault": fault})
        return given


def _whole(given: object) -> object:
    """Rule 3b: 3.0 is the integer 3, as JSON Schema says; 3.5, "3" and true stay refused."""
    if isinstance(given, float) and given.is_integer():
        return int(given)
    return given


Whole = Annotated[int, BeforeValidator(_whole)]
Fields = dict[str, tuple[object, FieldInfo]]
JsonDict = dict[str, JsonValue]


def model_of(
    cls: type,
    *,
    name: str | None = None,
    omit: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
    extra: Fields | None = None,
    example: Mapping[str, object] | None = None,
) -> type[BaseModel]:
    """Rule 1: the model of `cls`'s settings but `omit`; `required` as well as those
    without a default must be given; `extra` adds fields the core does not hold (a PIN)."""
    found: Fields = {
        d.name: _field(d, d.required or d.name in required)
        for d in declared(cls)
        if d.name not in omit
    }
    config = STRICT
    if example is not None:
        examples = cast(JsonValue, [dict(example)])
        config = ConfigDict(**STRICT, json_schema_extra={"examples": examples})
    return create_model(name or cls.__name__, __config__=config, **found, **(extra or {}))  # type: ignore[call-overload, no-any-return]


@cache
def part(cls: type) -> type[BaseModel]:
    """The one model of a dataclass nested in others (rule 2)."""
    return model_of(cls)


def _field(d: Declared, required: bool) -> tuple[object, FieldInfo]:
    shape = _shape(d.type, d.setting.text, d.setting.keys)
    schema = _bounds(d.setting.bounds) | _each(d.setting.each)
    doc = d.setting.doc or None
    if required:
        info: FieldInfo = Field(description=doc, json_schema_extra=schema or None)
        return shape, info
    schema["default"] = cast(JsonValue, plain(d.default_value()))
    # pydantic types Field(default) as the default's type; it is a FieldInfo.
    left_out = cast(FieldInfo, Field(None, description=doc, json_schema_extra=schema))
    return shape | None, left_out  # type: ignore[operator]


def _shape(tp: TypeForm, rule: Text = LINE, keys: Text | None = None) -> object:
    """The pydantic annotation for a declared type (rules 2, 3 and 3a); `rule` holds its
    texts (the value's, or each item's), `keys` a mapping's keys."""
    inner, nullable = optional(tp)
    shape = _inner(inner, rule, keys)
    return shape | None if nullable else shape  # type: ignore[operator]


def _inner(tp: TypeForm, rule: Text, keys: Text | None) -> object:
    if tp is time:
        return Clock
    if is_dataclass_type(tp):
        return part(tp)
    pair = mapping_of(tp)
    if pair is not None:
        key, value = pair
        shaped, key_shape = _shape(value), _shape(key, keys or LINE)
        return dict[key_shape, shaped | None if is_dataclass_type(value) else shaped]  # type: ignore[misc, operator, valid-type]
    item = items_of(tp)
    if item is not None:
        return tuple[_shape(item, rule), ...]  # type: ignore[misc]
    if base(tp) is str:  # a text or an id (a NewType of str); a StrEnum keeps its choices
        return Annotated[str, Kept(rule)]
    if base(tp) is int:
        return Whole
    return tp


def _bounds(bounds: Bounds | None) -> JsonDict:
    if bounds is None:
        return {}
    names = {
        "minimum": bounds.ge,
        "exclusiveMinimum": bounds.gt,
        "maximum": bounds.le,
        "exclusiveMaximum": bounds.lt,
    }
    return {key: number for key, number in names.items() if number is not None}


def _each(bounds: Bounds | None) -> JsonDict:
    return (
        {} if bounds is None else {"additionalProperties": {"type": "integer", **_bounds(bounds)}}
    )


# The way back ------------------------------------------------------------------------------


def updated(base: T, given: BaseModel) -> T:
    """Rule 4: `base` with the settings `given` states (left out or null: kept)."""
    return _built(type(base), given, base, "")


def _built(cls: type[T], given: BaseModel, base: T | None, path: str) -> T:
    changes = {}
    for d in declared(cast(type, cls)):
        found = getattr(given, d.name, None)
        if d.name in given.model_fields_set and found is not None:
            current = d.default_value() if base is None else getattr(base, d.name)
            changes[d.name] = _value(d.type, found, current, _join(path, d.name))
    try:
        return cls(**changes) if base is None else replace(base, **changes)  # type: ignore[type-var]
    except SettingError as exc:  # a part that checks itself when built (PacingConfig)
        raise (exc.under(path) if path else exc) from None


def _value(tp: TypeForm, found: object, current: object, path: str) -> object:
    """The core's value of a field given as `found`; a part updates the current one."""
    inner, _ = optional(tp)
    if is_dataclass_type(inner) and isinstance(found, BaseModel):
        return _built(inner, found, current if isinstance(current, inner) else None, path)
    pair = mapping_of(inner)
    if pair is not None and isinstance(found, Mapping):  # a mapping is replaced whole
        _, value = pair
        return MappingProxyType(
            {
                k: _value(value, v, None, _join(path, str(k)))
                for k, v in found.items()
                if v is not None
            }
        )
    if items_of(inner) is not None and isinstance(found, tuple | list):
        return tuple(found)
    return found


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# Stored documents --------------------------------------------------------------------------


@cache
def _document_model(cls: type, omit: tuple[str, ...]) -> type[BaseModel]:
    return model_of(cls, name=f"{cls.__name__}Document", omit=omit)


def document(value: object, omit: Collection[str]) -> dict[str, object]:
    """Rule 5: the value's settings but `omit` (kept as columns) as a JSON document."""
    return {name: found for name, found in plain_object(value).items() if name not in omit}


def read_document(base: T, doc: object, omit: Collection[str], where: str) -> T:
    """Rule 5: `base` with the settings of a stored document; a key it lacks (a setting
    added since it was written) keeps the default, a key no longer declared is refused."""
    model = _document_model(cast(type, type(base)), tuple(sorted(omit)))
    try:
        return updated(base, model.model_validate(doc, strict=False))
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(part) for part in first["loc"])
        raise TypeError(f"{where}: stored {place or 'document'}: {first['msg']}") from None
