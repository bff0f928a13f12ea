"""The cursor codec (cti/api/cursor.py; issue 12): opaque, url-safe, bound to its listing
and filters, and refused as a 400 naming `cursor` when it is anything else."""

from __future__ import annotations

import base64
import json
import re

import pytest

from cti.api.cursor import Listing
from cti.api.errors import ApiError
from cti.storage.page import Position

CALLS, ATTEMPTS = Listing("calls", int), Listing("attempts", str)
FILTERS = {"queue": "support", "since": 1_700_000_000.5, "agent": None}


def refusal(listing: Listing, cursor: str, filters: object = FILTERS) -> str:
    with pytest.raises(ApiError) as refused:
        listing.resume({"cursor": cursor}, filters)  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.field) == (400, "cursor")
    return refused.value.reason


def raw(body: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def test_a_cursor_is_url_safe_and_resumes_where_it_was_issued() -> None:
    position = Position(1_700_000_000_123_456, 42)

    cursor = CALLS.next(FILTERS, position)

    assert cursor is not None and re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert CALLS.resume({"cursor": cursor}, dict(reversed(FILTERS.items()))) == position
    assert ATTEMPTS.resume({"cursor": ATTEMPTS.next({}, Position(None, "dial-1")) or ""}, {}) == (
        Position(None, "dial-1")
    )


def test_no_cursor_is_the_first_page_and_the_last_page_has_none() -> None:
    assert CALLS.resume({}, FILTERS) is None
    assert CALLS.resume({"cursor": ""}, FILTERS) is None
    assert CALLS.next(FILTERS, None) is None


def test_a_cursor_of_another_listing_or_other_filters_is_refused() -> None:
    cursor = CALLS.next(FILTERS, Position(1, 2)) or ""

    assert "not by attempts" in refusal(ATTEMPTS, cursor)
    assert "other filters" in refusal(CALLS, cursor, {**FILTERS, "queue": "sales"})
    assert "other filters" in refusal(CALLS, cursor, {**FILTERS, "since": 1_700_000_000.25})


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "bm90IGpzb24",  # "not json"
        raw({"v": 1}),
        raw([1, "calls", "x"]),
        raw([2, "calls", "digest", 1, 2]),
        raw([1, "calls", "digest", "later", 2]),
        raw([1, "calls", "digest", True, 2]),
        raw([1, 7, "digest", 1, 2]),
    ],
)
def test_what_this_server_did_not_issue_is_refused(cursor: str) -> None:
    refusal(CALLS, cursor)


def test_an_id_of_the_wrong_kind_is_refused_even_with_the_right_binding() -> None:
    issued = json.loads(
        base64.urlsafe_b64decode((CALLS.next(FILTERS, Position(1, 2)) or "") + "==")
    )

    for wrong in ("2", True, 2.5, None):
        assert "not a cursor" in refusal(CALLS, raw([*issued[:4], wrong]))
