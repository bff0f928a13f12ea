"""The commands of breaks with approval (cti/domain/breaks.py has the rules)."""

from __future__ import annotations

from cti.domain.breaks import MOST_SECONDS, VALID_FOR, BreakPhase, BreakRequest
from cti.domain.commands import DecideBreak, RequestBreak
from cti.domain.desk import CommandRefused, agent_of
from cti.domain.effects import BreakChanged
from cti.domain.state import TimerKind
from cti.domain.work import Work


def on_request(work: Work, command: RequestBreak) -> None:
    """Rule 1."""
    agent = agent_of(work, command.agent)
    reason = work.config.reasons.get(command.reason.strip())
    if reason is None:
        raise CommandRefused(f"unknown not-ready reason {command.reason[:40]!r}", "invalid")
    if reason.max_seconds is None:
        raise CommandRefused(f"{reason.code} has no limit: no approval is needed", "invalid")
    if not reason.max_seconds < command.seconds <= MOST_SECONDS:
        raise CommandRefused(
            f"a {reason.code} of {command.seconds:g} s: ask for more than its own limit"
            f" ({reason.max_seconds:g} s) and at most {MOST_SECONDS:g} s",
            "invalid",
        )
    standing = work.breaks.get(agent.id)
    if standing is not None and standing.phase is BreakPhase.APPROVED:
        raise CommandRefused(
            f"agent {agent.id} has an approved {standing.reason} of {standing.seconds:g} s",
            "conflict",
        )
    request = BreakRequest(
        agent=agent.id,
        reason=reason.code,
        seconds=command.seconds,
        asked_at=work.at,
        asked_by=command.by,
    )
    work.breaks[agent.id] = request
    work.emit(BreakChanged(request=request, at=work.at, by=command.by))


def on_decide(work: Work, command: DecideBreak) -> None:
    """Rule 2, then rule 3 at once for an agent already on that break."""
    request = work.breaks.get(command.agent)
    if request is None:
        raise CommandRefused(f"agent {command.agent} has no break request pending", "conflict")
    if request.phase is not BreakPhase.PENDING:
        raise CommandRefused(
            f"agent {command.agent}'s request was already {request.phase} by {request.decided_by}",
            "conflict",
        )
    decided = request.decided(command.approve, command.by, work.at)
    work.emit(BreakChanged(request=decided, at=work.at, by=command.by))
    if not command.approve:
        work.breaks.pop(command.agent)
        return
    work.breaks[command.agent] = decided
    work.set_timer(TimerKind.BREAK, command.agent, work.at + VALID_FOR)
    work.refresh(command.agent)
