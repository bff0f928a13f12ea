"""Breaks with a supervisor's approval (issue 16, P5: "busy" up to 15 minutes on one's own;
longer needs a supervisor's approval).

Rule 1: an agent may be not ready for a reason up to the reason's own limit (max_seconds)
without asking. Longer needs approval: the agent (or a supervisor for it) asks for
`seconds` with that reason, more than the limit and at most MOST_SECONDS; a reason
without a limit needs none. One request per agent at a time: asking again replaces a
pending request, and is refused while an approved one stands.
Rule 2: a supervisor approves or refuses a pending request. Deciding a request that is
not pending (none asked, already decided, or ended) is refused, naming what it is.
Rule 3: an approved break is the limit of the agent's not-ready spell with that reason:
the one it is in when approved, or the next one started within VALID_FOR of the approval.
It ends with that spell (ready, another reason, logout); unused, it ends VALID_FOR after
the approval. A refused request leaves the reason's own limit.
Rule 4: the overrun finding (P5.not_ready_overrun, cti/domain/timers.py) takes the approved
seconds as its limit and names who approved; without approval the reason's limit stands,
so an overrun without approval is a finding.
Rule 5: every change is a BreakChanged (the wallboard lists requests and approvals), the
start of an approved break's spell included.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from cti.domain.agent import Agent
from cti.domain.ids import AgentId, Instant
from cti.domain.records import AgentState

MOST_SECONDS: Final = 4 * 3600.0  # the longest break one can ask for
VALID_FOR: Final = 900.0  # seconds an approval waits for its spell to start (rule 3)


class BreakPhase(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"  # told once, then gone
    ENDED = "ended"  # its spell ended, or it was never used: told once, then gone


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakRequest:
    agent: AgentId
    reason: str
    seconds: float
    asked_at: Instant
    asked_by: str
    phase: BreakPhase = BreakPhase.PENDING
    decided_by: str = ""
    decided_at: Instant | None = None
    used: bool = False  # an approval that covered a spell (rule 3)

    def decided(self, approve: bool, by: str, at: Instant) -> BreakRequest:
        phase = BreakPhase.APPROVED if approve else BreakPhase.REFUSED
        return replace(self, phase=phase, decided_by=by, decided_at=at)

    def covers(self, agent: Agent) -> bool:
        """Rule 3: the approval is the limit of the agent's current spell."""
        return (
            self.phase is BreakPhase.APPROVED
            and self.decided_at is not None
            and agent.state is AgentState.NOT_READY
            and agent.reason == self.reason
            and agent.since <= self.decided_at + VALID_FOR
        )

    def ends_with(self, agent: Agent | None) -> bool:
        """Rule 3: a request ends with its agent's logout, an approval also with the end
        of the spell it covered."""
        if agent is None:
            return True
        return self.used and not self.covers(agent)
