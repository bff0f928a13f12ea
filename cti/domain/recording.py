"""Call recording (issue 16, P11, P22): one file per agent segment, named by the core.

Rule 1: a queue with `record` on has each of its calls recorded from the moment an agent
answers it until that agent's part ends; a call offered again, transferred or consulted
gives each agent who answers a file of its own.
Rule 2: the core names the file at the offer, so the name is known before Asterisk writes
it and is unique per offer: `cti/<UTC day of the offer>/<call>-<offer ms>.wav`, relative
to Asterisk's monitor directory, with any character of the call id outside [A-Za-z0-9._-]
made `_` (the name goes into dialplan arguments, where `,`, `^` and `(` mean something).
Rule 3: Asterisk starts MixMonitor at the answer (dialplan contract v10): on the agent's
leg for a rung phone (the file ends with that leg: a hang-up, a transfer), on the
caller's channel for a nailed-up line (stopped when the bridge ends, and by whatever
context the caller is sent to next). The core records a Recording at the answer; how
long it is, is the file's.
Rule 4: pure: the name is made from the call and the instant handed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from cti.domain.ids import AgentId, CallId, Instant, QueueId

ROOT: Final = "cti"  # every file the core names is under this directory (retention's)
UNSAFE: Final = re.compile(r"[^A-Za-z0-9._-]")
NAMED: Final = re.compile(r"cti/[0-9]{4}/[0-9]{2}/[0-9]{2}/[A-Za-z0-9._-]+\.wav")  # rule 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    """One agent's part of one call, recorded. Key: file."""

    file: str  # relative to the monitor directory (rule 2)
    call: CallId
    agent: AgentId
    queue: QueueId
    started_at: Instant  # the agent's answer


def recording_file(call: CallId, offered_at: Instant) -> str:
    """Rule 2: the file an offer of `call` made at `offered_at` is recorded to."""
    day = datetime.fromtimestamp(offered_at, UTC).strftime("%Y/%m/%d")
    return f"{ROOT}/{day}/{UNSAFE.sub('_', call)}-{round(offered_at * 1000)}.wav"
