"""Cursors: where a paged listing resumes, as an opaque, url-safe string (issue 12).

Rule 1: a paged answer carries `next`: the cursor to send back as the `cursor` query
parameter for the next page, or null after the last one. Pages are keyset pages
(cti.storage.page): no offset, so a record stored between two reads is neither repeated
nor makes another skipped; each listing says its order.
Rule 2: a cursor is bound to its listing and to the request's filters, as they stand
after the role rules (an agent's own filter counts): the next request sends the same
filters (only `limit` may change), else it is a 400 naming `cursor`, never a page of
another listing.
Rule 3: a cursor is unpadded base64url of the JSON [version, listing, digest of the
filters, time, id]. Anything else (not base64url, another shape or version, an id of the
wrong kind) is a 400 naming `cursor`.
Rule 4: a cursor is not signed and needs no secret, because it grants nothing: it only
says where to resume, and every page applies its route's roles and filters again. One made
by hand can move the start of a listing its caller may read anyway, no more.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cti.api.errors import ApiError, bad_request
from cti.api.query import CURSOR, CURSOR_TEXT, Param
from cti.storage.page import Position

VERSION: Final = 1
PARAMETER: Final = CURSOR
DESCRIBED: Final = Param(
    "the `next` of the previous page, opaque; send the same filters with it",
    {"type": "string", "pattern": "^[A-Za-z0-9_=-]*$", "maxLength": CURSOR_TEXT.length},
)
SHAPE: Final = ("version", "listing", "digest", "time", "id")  # rule 3
Filters = Mapping[str, str | float | bool | None]


@dataclass(frozen=True, slots=True)
class Listing:
    """A paged listing: its name (in every cursor it issues) and the kind of its ids."""

    name: str
    ids: type[int] | type[str]

    def next(self, filters: Filters, after: Position | None) -> str | None:
        """The cursor of the page after the one that ended at `after` (None: none)."""
        if after is None:
            return None
        body = [VERSION, self.name, _digest(self.name, filters), after.at, after.id]
        raw = json.dumps(body, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def resume(self, query: Mapping[str, str], filters: Filters) -> Position | None:
        """Where the asked page starts: the query's cursor read and checked (rules 2, 3)."""
        text = query.get(PARAMETER)
        if not text:
            return None
        version, name, digest, at, key = _decoded(text)
        if version != VERSION or not isinstance(at, int | None) or isinstance(at, bool):
            raise _refused("is not a cursor this server issued")
        if name != self.name:
            raise _refused(f"was issued by the {name} listing, not by {self.name}")
        if digest != _digest(self.name, filters):
            raise _refused("was issued with other filters: send the same ones, or start over")
        if not isinstance(key, self.ids) or isinstance(key, bool):
            raise _refused("is not a cursor this server issued")
        return Position(at, key)


def _decoded(text: str) -> list[object]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _refused("is not a cursor this server issued") from None
    if not isinstance(body, list) or len(body) != len(SHAPE):
        raise _refused("is not a cursor this server issued")
    if not all(isinstance(part, str) for part in body[1:3]):
        raise _refused("is not a cursor this server issued")
    return body


def _digest(name: str, filters: Filters) -> str:
    canonical = json.dumps([name, sorted(filters.items())], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _refused(why: str) -> ApiError:
    return bad_request(f"query parameter '{PARAMETER}' {why}", PARAMETER)
