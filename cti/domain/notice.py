"""Outage notices (P20): during a mass outage, every new caller of a queue hears a notice
before queueing, set and cleared by a supervisor.

Rule 1: a queue has at most one notice: a prompt (Asterisk sound files joined by `&`) and
an optional text for people (the wallboard). Setting one replaces the last; clearing one
that is not set is refused. A queue that is not configured cannot have one.
Rule 2: the core owns the notices; Asterisk holds a copy, a global variable per queue that
the dialplan reads as a caller enters (ApplyNotice). Every resync applies them all again,
since an Asterisk that restarted has forgotten them, and one restored at start too.
Rule 3: a caller who heard it is told by the dialplan (NoticeHeard), counted per queue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from cti.domain.ids import Instant, QueueId

# Sound files as Playback names them: words of letters, digits, `_ - .` under `/`, no `..`,
# several joined by `&`. No comma, no `$`: nothing that would be dialplan syntax.
PROMPT_RULE: Final = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_./-]*(&[A-Za-z0-9_-][A-Za-z0-9_./-]*)*")
MOST_PROMPT: Final = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    queue: QueueId
    prompt: str
    text: str
    by: str  # who set it
    since: Instant


def prompt_problem(prompt: str) -> str | None:
    """Why a prompt cannot be played (None: it can)."""
    if not prompt or len(prompt) > MOST_PROMPT:
        return f"a prompt is 1 to {MOST_PROMPT} characters"
    if not PROMPT_RULE.fullmatch(prompt) or ".." in prompt:
        return "a prompt is sound file names (letters, digits, _ - . /) joined by &"
    return None
