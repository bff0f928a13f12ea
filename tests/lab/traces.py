"""What an agent's SIPp phone saw, read from its -trace_msg log (Softphone(trace=True)),
in this host's clock: the server's clock too, which is what the lab tests measure against.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

TRACE_HEAD: Final = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)$", re.M)


def first_message(trace_dir: Path, way: Literal["sent", "received"], starts: str) -> float:
    """When the phone first sent (or received) a message whose first line starts with
    `starts` (e.g. "SIP/2.0 180", "CANCEL "); AssertionError if it never did."""
    for path in sorted(trace_dir.glob("*_messages.log")):
        text = path.read_text(errors="replace")
        heads = list(TRACE_HEAD.finditer(text))
        for head, following in zip(heads, [*heads[1:], None], strict=True):
            block = text[head.end() : following.start() if following else len(text)]
            lines = [line for line in block.splitlines() if line.strip()]
            if len(lines) > 1 and way in lines[0] and lines[1].startswith(starts):
                # SIPp writes local time; this host's zone turns it back into epoch seconds.
                return datetime.strptime(head.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
    raise AssertionError(f"the phone never {way} {starts!r} ({trace_dir})")
