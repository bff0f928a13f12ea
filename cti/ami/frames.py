"""AMI framing: bytes on the wire to header maps.

Rule 1: a frame ends at a blank line (CRLF CRLF); a partial frame waits for more bytes.
Rule 2: an event frame is well formed when its first header is `Event` and every line is
`Name: value`; anything else is malformed and raises MalformedFrame, never crashes.
Rule 3: a header that repeats (ChanVariable) becomes a list, in order of appearance.
Pure: no I/O. panoramisk's own parser skips bad lines silently; we need to count them.
"""

from __future__ import annotations

from typing import Final

from cti.engine.ports import Headers

__all__ = ["Headers", "MalformedFrame", "is_event_frame", "parse_event", "split_frames"]

EOL: Final = "\r\n"
END: Final = "\r\n\r\n"
GREETING: Final = "Asterisk Call Manager/"


class MalformedFrame(ValueError):
    """A frame that is not a well-formed AMI message."""


def split_frames(buffer: str) -> tuple[list[str], str]:
    """Complete frames in `buffer`, and the unfinished rest to keep for the next chunk."""
    parts = buffer.split(END)
    return [p for p in parts[:-1] if p.strip()], parts[-1]


def is_event_frame(frame: str) -> bool:
    return frame.lstrip().startswith("Event:")


def parse_event(frame: str) -> dict[str, str | list[str]]:
    """Headers of one event frame; raises MalformedFrame naming what is wrong."""
    headers: dict[str, str | list[str]] = {}
    for line in frame.strip().split(EOL):
        name, sep, value = line.partition(": ")
        if not sep or not name or " " in name:
            if line.endswith(":") and " " not in line:  # a header with an empty value
                name, value = line[:-1], ""
            else:
                raise MalformedFrame(f"not a header line: {line[:80]!r}")
        existing = headers.get(name)  # _add, inlined: this loop runs for every header line
        if existing is None:
            headers[name] = value
        else:
            headers[name] = _added(existing, value)
    if not headers.get("Event"):
        raise MalformedFrame("frame has no Event name")
    return headers


def _added(existing: str | list[str], value: str) -> list[str]:
    """A repeated header's values with one more (rule 3)."""
    if isinstance(existing, list):
        existing.append(value)
        return existing
    return [existing, value]


def strip_greeting(frame: str) -> str:
    """The first frame of a session begins with the greeting line; drop it."""
    if frame.startswith(GREETING):
        _, _, rest = frame.partition(EOL)
        return rest
    return frame
