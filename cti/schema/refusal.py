"""pydantic's validation errors as one refusal that names the field.

Rule 1: the first error decides (pydantic lists them in field order). Its location is the
field, dotted for nested ones ("pacing.mode", "retries.busy.delay"); a mapping's key is
named by the key itself.
Rule 2: a value refused (model.py's REFUSED: a time of day that is not one) is 422; every
other error (missing, unknown, mistyped, not one of the choices) is 400.
Rule 3: the reason says what to fix in the API's words: "field 'x' is required",
"unknown field 'x'", "field 'x': <pydantic's reason>"; a body that is no object is named
as such, without a field.
Rule 4: a body that is no JSON is a 400 that says where it broke; when it broke inside a
field's value (a lone surrogate in a name, a value nested deeper than the parser's limit
of 200), the field is named (`located`: the keys leading to that place in the text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

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
        return _malformed(first)
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


_PLACE: Final = re.compile(r"at line (\d+) column (\d+)")


def _malformed(error: ErrorDetails) -> Refusal:
    """Rule 4: where the text stopped being JSON, and the field it was in, if any."""
    detail = str((error.get("ctx") or {}).get("error", error["msg"]))
    if "recursion limit" in detail:
        detail = f"nested too deep ({detail})"
    elif "hex escape" in detail or "surrogate" in detail:
        detail = f"a \\u escape that is no character, such as a lone surrogate ({detail})"
    found = _PLACE.search(detail)
    text = error["input"]
    field = None
    if found is not None and isinstance(text, bytes | str):
        raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        field = located(raw, int(found.group(1)), int(found.group(2))) or None
    if field is None:
        return Refusal(status=400, reason=f"malformed JSON body: {detail}", field=None)
    return Refusal(status=400, reason=f"field '{field}': malformed JSON: {detail}", field=field)


def located(text: bytes, line: int, column: int) -> str:
    """The dotted keys of the value at (line, column) of a JSON text (1-based, as the
    parser reports): the object keys from the top, and an array's index when the place
    is an item of it ("numbers.0"); "" at the top. Linear in the text before the place;
    structural characters are ASCII, so the bytes of UTF-8 text can be walked as they are."""
    end = _offset(text, line, column)
    frames: list[list[object]] = []  # [kind, key or index, expecting a key]
    i = 0
    while i < end:
        c = text[i]
        if c == 0x22:  # a string: skip to its end; an object's key is remembered
            j = i + 1
            while j < len(text) and text[j] != 0x22:
                j += 2 if text[j] == 0x5C else 1
            if frames and frames[-1][0] == "{" and frames[-1][2]:
                frames[-1][1] = text[i + 1 : j].decode("utf-8", "replace")
            i = j + 1
            continue
        if c in b"{[":
            frames.append(["{", None, True] if c == 0x7B else ["[", 0, False])
        elif c in b"}]" and frames:
            frames.pop()
        elif c == 0x2C and frames:  # a comma: the next key, or the next item
            if frames[-1][0] == "{":
                frames[-1][1], frames[-1][2] = None, True
            else:
                frames[-1][1] = int(str(frames[-1][1])) + 1
        elif c == 0x3A and frames:
            frames[-1][2] = False
        i += 1
    return ".".join(_parts(frames))


def _parts(frames: list[list[object]]) -> list[str]:
    parts: list[str] = []
    for depth, (kind, name, _) in enumerate(frames):
        if kind == "{":
            if name is None:
                break
            parts.append(str(name))
        elif depth == len(frames) - 1:  # an array's item, the place itself
            parts.append(str(name))
        else:
            break  # arrays within arrays: the place is somewhere in the field's value
    return parts


def _offset(text: bytes, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        found = text.find(b"\n", start)
        if found < 0:
            break
        start = found + 1
    return min(len(text), start + max(column - 1, 0))
