"""pydantic's validation errors as one refusal that names the field.

Rule 1: the first error decides (pydantic lists them in field order). Its location is the
field, dotted for nested ones ("pacing.mode", "retries.busy.delay"); a mapping's key is
named by the key itself.
Rule 2: a value refused (model.py's REFUSED: a time of day that is not one) is 422; every
other error (missing, unknown, mistyped, not one of the choices) is 400.
Rule 3: the reason says what to fix in the API's words: "field 'x' is required",
"unknown field 'x'", "field 'x': <pydantic's reason>"; a body that is no JSON, or no
object, is named as such, without a field.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from cti.schema.model import REFUSED


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    status: int
    reason: str
    field: str | None


def refusal(error: ValidationError) -> Refusal:
    """Rules 1-3 for the first of `error`'s errors."""
    first = error.errors()[0]
    field = _path(first)
    kind = first["type"]
    if kind == "json_invalid":
        return Refusal(status=400, reason="malformed JSON body", field=None)
    if not field:
        return Refusal(status=400, reason="the body must be a JSON object", field=None)
    if kind == "missing":
        reason = f"field '{field}' is required"
    elif kind == "extra_forbidden":
        reason = f"unknown field '{field}'"
    else:
        message = first["msg"]
        reason = f"field '{field}': {message[:1].lower()}{message[1:]}"
    return Refusal(status=422 if kind == REFUSED else 400, reason=reason, field=field)


def _path(error: ErrorDetails) -> str:
    # pydantic marks a mapping's key that failed as "[key]" after the key itself.
    return ".".join(str(part) for part in error["loc"] if part != "[key]")
