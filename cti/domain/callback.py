"""Callbacks and follow-ups in the core (P9, P18): what asks for them, and their findings.

Rule 1: the queue's max-wait rule offers a waiting caller a callback (SendCall CALLBACK):
the caller stays in the queue, `away` (not offered to agents while hearing the offer). Keying
1 (CallbackRequested) ends the visit as REDIRECTED and asks the shell for a callback that
keeps the caller's place in line (entry time and priority; dispatch rule 5); anything else
(CallbackDeclined) puts the caller back in line where it was. Hanging up meanwhile is an
abandoned wait, as in the holding loop.
Rule 2: an agent ending wrap-up with the disposition COMPLAINT opens a follow-up of the
caller's number in the call's queue (P18); the shell adds it due within the callback
campaign's `follow_up_within`.
Rule 3: the store is the truth about callbacks; the shell finds the overdue ones
(cti/domain/contact.py rule 5) and the core raises one finding each, keyed by the due
instant so that finding it again (after a restart) stores nothing new. A callback's
finding names the agent it was promised to (or none: the queue's); a follow-up's names
none (any agent of the queue may take it; `opened_by` in its fields says who opened it).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Final

from cti.domain.commands import FlagOverdue
from cti.domain.contact import Contact, ContactKind, overdue
from cti.domain.effects import CallbackWanted, FindingRaised, Ignored
from cti.domain.ids import AgentId, CallId, Instant, QueueId
from cti.domain.inputs import CallbackDeclined, CallbackRequested
from cti.domain.records import Finding, Rule, VisitOutcome
from cti.domain.work import Work

COMPLAINT: Final = "complaint"  # the disposition that opens a follow-up (P18)
NO_AGENT: Final = AgentId("")  # a finding of the queue's, no agent's


def on_requested(work: Work, event: CallbackRequested) -> None:
    call = work.waiting.get(event.channel)
    if call is None or not call.away:
        work.notes.append(Ignored(reason=f"callback request on {event.channel}: not offered"))
        return
    work.leave_queue(call, VisitOutcome.REDIRECTED)
    work.emit(
        CallbackWanted(
            kind=ContactKind.CALLBACK,
            queue=call.queue,
            number=event.number or call.caller,
            at=event.at,
            call=call.call,
            place=call.entered_at,
            priority=call.priority,
        )
    )


def on_declined(work: Work, event: CallbackDeclined) -> None:
    call = work.waiting.get(event.channel)
    if call is None or not call.away:
        work.notes.append(Ignored(reason=f"callback declined on {event.channel}: not offered"))
        return
    work.waiting = work.waiting.add(replace(call, away=False))


def follow_up(work: Work, agent: AgentId, call: CallId, queue: QueueId) -> None:
    """Rule 2, for a call whose wrap-up ended with the disposition COMPLAINT."""
    progress = work.calls.get(call)
    number = progress.caller if progress is not None else ""
    if not number:
        work.notes.append(Ignored(reason=f"complaint on call {call}: no number to follow up"))
        return
    work.emit(
        CallbackWanted(
            kind=ContactKind.FOLLOW_UP,
            queue=queue,
            number=number,
            at=work.at,
            call=call,
            agent=agent,
        )
    )


def on_flag_overdue(work: Work, command: FlagOverdue) -> None:
    for contact in command.contacts:
        if contact.due is None or not overdue(contact, command.at):
            work.notes.append(Ignored(reason=f"contact {contact.id} is not overdue"))
            continue
        work.emit(FindingRaised(finding=_finding(contact, contact.due, command.at)))


def _finding(contact: Contact, due: Instant, now: Instant) -> Finding:
    callback = contact.kind is ContactKind.CALLBACK
    what = "callback not dialled" if callback else "follow-up not done"
    when = datetime.fromtimestamp(due, UTC).isoformat(timespec="seconds")
    return Finding(
        rule=Rule.CALLBACK_OVERDUE if callback else Rule.FOLLOW_UP_OVERDUE,
        agent=contact.agent or NO_AGENT,
        at=due,
        measured=now - due,  # seconds past due when found
        limit=0.0,
        detail=f"{what} by {when}: {contact.id}",
    )
