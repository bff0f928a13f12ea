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
Rule 3: a callback promised for a time is dialled from that time, due `callback_grace`
after it; one a waiting caller asked for is dialled at once (its place in line decides
when), due within `callback_within`; a follow-up is dialled at once, due within
`follow_up_within` (all three settings of the queue's callbacks campaign). A time outside
the calling window in the customer's local time is refused when promised: the law would
not let it be kept.
Rule 4: the store is the truth about callbacks; the shell finds the overdue ones
(cti/domain/outbound/contact.py rule 5) and the core raises one finding each, keyed by the due
instant so that finding it again (after a restart) stores nothing new. A callback's
finding names the agent it was promised to (or none: the queue's); a follow-up's names
none (any agent of the queue may take it; `opened_by` in its fields says who opened it).
A callback the core is dialling, dialled by its due instant, is not overdue, though the
store still says "dialling, no attempt" until the attempt is written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Final

from cti.domain.commands import FlagOverdue
from cti.domain.effects import CallbackWanted, FindingRaised, Ignored
from cti.domain.ids import AgentId, CallId, Instant, QueueId
from cti.domain.inputs import CallbackDeclined, CallbackRequested
from cti.domain.outbound.campaign import CampaignConfig
from cti.domain.outbound.contact import (
    Contact,
    ContactError,
    ContactKind,
    local_time_of,
    make_contact,
    normalize_number,
    overdue,
)
from cti.domain.outbound.contact_rows import contact_id
from cti.domain.records import NO_AGENT, Finding, Rule, VisitOutcome
from cti.domain.work import Work

COMPLAINT: Final = "complaint"  # the disposition that opens a follow-up (P18)


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
    dialling = {d.contact.id: d.started_at for d in work.dials.values()}
    for contact in command.contacts:
        if contact.due is None or not overdue(contact, command.at):
            work.notes.append(Ignored(reason=f"contact {contact.id} is not overdue"))
            continue
        started = dialling.get(contact.id)
        if started is not None and started <= contact.due:  # dialled in time: the store lags
            work.notes.append(Ignored(reason=f"contact {contact.id} was dialled by its due"))
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


# Rule 3: the contacts the shell stores ------------------------------------------------


def wanted_contact(wanted: CallbackWanted, campaign: CampaignConfig) -> Contact:
    """The contact of a CallbackWanted, in the queue's callbacks campaign (ContactError
    if the number cannot be dialled)."""
    follow_up = wanted.kind is ContactKind.FOLLOW_UP
    within = campaign.follow_up_within if follow_up else campaign.callback_within
    fields = {"call": wanted.call or ""}
    if wanted.agent:
        fields["opened_by"] = wanted.agent
    made = make_contact(
        id=contact_id(campaign, normalize_number(wanted.number)),
        campaign=campaign,
        number=wanted.number,
        fields=fields,
        due=Instant(wanted.at + within),
    )
    return replace(
        made,
        kind=wanted.kind,
        next_at=wanted.at,
        place=wanted.place,
        priority=wanted.priority,
    )


def promised_contact(
    campaign: CampaignConfig,
    *,
    number: str,
    at: Instant,
    agent: AgentId | None,
    timezone: str = "",
    fields: dict[str, str] | None = None,
) -> Contact:
    """A callback promised for `at`, to `agent` or (None) to any agent of the queue
    (ContactError for a number, time zone or time that cannot be kept)."""
    made = make_contact(
        id=contact_id(campaign, normalize_number(number)),
        campaign=campaign,
        number=number,
        timezone=timezone,
        fields=fields,
        due=Instant(at + campaign.callback_grace),
    )
    local = local_time_of(made, at)
    if not campaign.window.allows(local.time()):
        window = f"{campaign.window.start:%H:%M}-{campaign.window.end:%H:%M}"
        raise ContactError(
            f"{local:%Y-%m-%d %H:%M} ({made.timezone}) is outside the calling window {window}"
        )
    return replace(made, kind=ContactKind.CALLBACK, next_at=at, agent=agent)
