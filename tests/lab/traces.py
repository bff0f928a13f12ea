"""What a SIPp party saw, read from its -trace_msg log (Softphone(trace=True),
Customers(trace=True)), in this host's clock: the server's clock too, which is what the
lab tests measure against.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

TRACE_HEAD: Final = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)$", re.M)
CALL_ID: Final = re.compile(r"^Call-ID:\s*(\S+)", re.M | re.I)
MEDIA_PORT: Final = re.compile(r"^m=audio (\d+) ", re.M)
INVITED: Final = re.compile(r"^INVITE sip:([^@;>\s]+)@")
INVITE_CSEQ: Final = re.compile(r"^CSeq:\s*\d+ INVITE", re.M | re.I)


@dataclass(frozen=True, slots=True)
class Message:
    at: float  # epoch seconds
    way: str  # the trace's line: "UDP message sent ..." or "... received ..."
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class Answer:
    """A call the party answered: who was called, when its 200 OK went out, and the port
    the INVITE's SDP offered for media (the far end's RTP port for that call)."""

    number: str
    call_id: str
    answered_at: float
    media_port: int


def messages(trace_dir: Path) -> Iterator[Message]:
    """Every message in the trace, in the order SIPp logged it."""
    for path in sorted(trace_dir.glob("*_messages.log")):
        text = path.read_text(errors="replace")
        heads = list(TRACE_HEAD.finditer(text))
        for head, following in zip(heads, [*heads[1:], None], strict=True):
            block = text[head.end() : following.start() if following else len(text)]
            lines = [line for line in block.splitlines() if line.strip()]
            if len(lines) > 1:
                # SIPp writes local time; this host's zone turns it back into epoch seconds.
                at = datetime.strptime(head.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
                yield Message(at, lines[0], lines[1:])


def first_message(trace_dir: Path, way: Literal["sent", "received"], starts: str) -> float:
    """When the phone first sent (or received) a message whose first line starts with
    `starts` (e.g. "SIP/2.0 180", "CANCEL "); AssertionError if it never did."""
    for message in messages(trace_dir):
        if way in message.way and message.lines[0].startswith(starts):
            return message.at
    raise AssertionError(f"the phone never {way} {starts!r} ({trace_dir})")


def answers(trace_dir: Path) -> list[Answer]:
    """The calls the party answered (its first 200 OK to each INVITE, retransmissions
    aside), in the order it answered them."""
    invited: dict[str, tuple[str, int]] = {}
    answered: dict[str, Answer] = {}
    for message in messages(trace_dir):
        call = CALL_ID.search(message.text)
        if call is None:
            continue
        call_id = call.group(1)
        head = message.lines[0]
        if "received" in message.way and (to := INVITED.match(head)):
            media = MEDIA_PORT.search(message.text)
            if media is not None and call_id not in invited:
                invited[call_id] = (to.group(1), int(media.group(1)))
        elif (
            "sent" in message.way
            and head.startswith("SIP/2.0 200")
            and INVITE_CSEQ.search(message.text)
            and call_id in invited
            and call_id not in answered
        ):
            number, port = invited[call_id]
            answered[call_id] = Answer(number, call_id, message.at, port)
    return sorted(answered.values(), key=lambda a: a.answered_at)
