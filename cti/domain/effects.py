"""What a decision asks the shell to do or tells it happened.

Rule 1: effects are values; the core never performs them.
Rule 2: notes explain inputs that changed nothing, so they can be asserted and logged.
"""

from __future__ import annotations

from dataclasses import dataclass

from cti.domain.queue import WaitingCall
from cti.domain.records import QueueVisit


@dataclass(frozen=True, slots=True, kw_only=True)
class CallWaiting:
    """A caller started waiting in a queue (notification for projections and logs)."""

    call: WaitingCall


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueVisitEnded:
    """A caller left a queue; the visit goes to history."""

    visit: QueueVisit


@dataclass(frozen=True, slots=True, kw_only=True)
class ResyncApplied:
    """The live picture was rebuilt from Asterisk; each count is a correction."""

    added: int
    removed: int
    changed: int

    @property
    def corrections(self) -> int:
        return self.added + self.removed + self.changed


Effect = CallWaiting | QueueVisitEnded | ResyncApplied


@dataclass(frozen=True, slots=True, kw_only=True)
class Ignored:
    """An input that changed nothing, and why (duplicates, unknown channels)."""

    reason: str


Note = Ignored
