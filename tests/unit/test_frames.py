"""AMI framing (cti/ami/frames.py)."""

from __future__ import annotations

import pytest

from cti.ami.frames import MalformedFrame, parse_event, split_frames, strip_greeting


def test_split_keeps_the_unfinished_rest_for_the_next_chunk() -> None:
    frames, rest = split_frames("Event: A\r\nX: 1\r\n\r\nEvent: B\r\nX:")

    assert frames == ["Event: A\r\nX: 1"]
    assert rest == "Event: B\r\nX:"


def test_repeated_headers_become_a_list_in_order() -> None:
    headers = parse_event("Event: Newchannel\r\nChanVariable: A=1\r\nChanVariable: B=2")

    assert headers["ChanVariable"] == ["A=1", "B=2"]


def test_a_header_with_an_empty_value_is_kept() -> None:
    assert parse_event("Event: Hangup\r\nAccountCode:")["AccountCode"] == ""


@pytest.mark.parametrize(
    "frame",
    ["Event: X\r\nthis is not a header", "Event: \r\nA: 1", "Foo: 1\r\nBar: 2", "Event X: y"],
)
def test_malformed_frames_raise_with_a_reason(frame: str) -> None:
    with pytest.raises(MalformedFrame):
        parse_event(frame)


def test_greeting_line_is_dropped_from_the_first_frame() -> None:
    assert strip_greeting("Asterisk Call Manager/11.0.0\r\nResponse: Success") == (
        "Response: Success"
    )
