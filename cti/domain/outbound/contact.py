"""A campaign's contacts: who is dialled next, and what an attempt's outcome does (C5, P17).

Rule 1: a contact is a value; `after_attempt` returns the contact as it is after one
attempt, and `dial_check` says whether it may be dialled now and, if not, why (a reason
the shell records and shows, never a silent skip).
Rule 2: before every dial (issue 4): the do-not-call list, then the campaign's calling
window in the contact's own local time, then the number's quiet periods (after an
abandoned call or a machine, across campaigns: cti/domain/outbound/quiet.py), unless an
agent is guaranteed, then the contact's own next instant. Time zones are IANA names
resolved with the standard library's zoneinfo; an unknown name is refused when the contact
is made.
Rule 3: retries follow the campaign's rule for the last outcome (campaign rule 3); a
person reached closes the contact as done; attempts in all never exceed the rule's
maximum; a preview skip is recorded as an attempt of the agent's choice and does not
count towards the maximum (nobody was called).
Rule 4: phone numbers are kept as dialled: digits, with a leading `+` for E.164; spaces,
dots, dashes and parentheses are dropped on the way in; anything else is refused.
Rule 5: a callback (P9) is a contact promised for a time (`next_at`) and due by `due`; it
may be bound to one agent (the one who promised it) or keep an inbound caller's place in
line (`place`, `priority`: cti/domain/dispatch.py rule 5). A follow-up (P17, P18) is due by
`due`. Overdue: a callback not dialled by its due instant (the promise is to call, the
customer may not answer), a follow-up not done by its due instant and not closed.
Rule 6: a contact's status moves only along TRANSITIONS (STYLE rule 14): pending -claim->
dialling; dialling -return, skip, retry-> pending, -reach-> done, -exhaust-> closed;
pending -block, cancel-> closed. Anything else raises IllegalContactTransition.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Final, NewType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cti.domain.ids import AgentId, Instant
from cti.domain.outbound.campaign import AttemptResult, CampaignConfig, CampaignId
from cti.domain.outbound.quiet import (
    NumberQuiet,
    abandon_quiet_until,
    machine_quiet_until,
    merged,
)

ContactId = NewType("ContactId", str)

_DROPPED: Final = re.compile(r"[\s.\-()]")
EPOCH: Final = Instant(0.0)
_NUMBER: Final = re.compile(r"\+?[0-9]{3,15}")  # E.164: at most 15 digits


class ContactError(ValueError):
    """A contact that cannot be dialled as given; the message says which value and why."""


class ContactStatus(StrEnum):
    PENDING = "pending"  # to be dialled at `next_at`
    DIALLING = "dialling"  # an attempt is in progress
    DONE = "done"  # a person was reached
    CLOSED = "closed"  # the attempts ran out (P17) or the campaign closed it


class ContactKind(StrEnum):
    CONTACT = "contact"  # loaded into a campaign
    CALLBACK = "callback"  # promised to the customer for a time (P9)
    FOLLOW_UP = "follow_up"  # opened by a complaint disposition (P18)


OPEN: Final = frozenset({ContactStatus.PENDING, ContactStatus.DIALLING})


class ContactEvent(StrEnum):
    """What moves a contact's status (rule 6)."""

    CLAIM = "claim"  # the shell claims it for a dial
    RETURN = "return"  # the core hands it back undialled (window, halt, do-not-call)
    SKIP = "skip"  # a preview agent chose not to dial it
    RETRY = "retry"  # an attempt ended; the campaign's rule dials it again later
    REACH = "reach"  # a person was reached
    EXHAUST = "exhaust"  # its attempts ran out, or the result is never retried
    BLOCK = "block"  # its number is on the do-not-call list
    CANCEL = "cancel"  # a callback or follow-up cancelled


_S, _E = ContactStatus, ContactEvent
TRANSITIONS: Final[Mapping[tuple[ContactStatus, ContactEvent], ContactStatus]] = {
    (_S.PENDING, _E.CLAIM): _S.DIALLING,
    (_S.DIALLING, _E.RETURN): _S.PENDING,
    (_S.DIALLING, _E.SKIP): _S.PENDING,
    (_S.DIALLING, _E.RETRY): _S.PENDING,
    (_S.DIALLING, _E.REACH): _S.DONE,
    (_S.DIALLING, _E.EXHAUST): _S.CLOSED,
    (_S.PENDING, _E.BLOCK): _S.CLOSED,
    (_S.PENDING, _E.CANCEL): _S.CLOSED,
}


class IllegalContactTransition(ValueError):
    def __init__(self, contact: ContactId, status: ContactStatus, event: ContactEvent) -> None:
        super().__init__(f"contact {contact}: {event} not allowed while {status}")


def moved(contact: Contact, event: ContactEvent) -> Contact:
    """The contact after `event` (rule 6): a row of TRANSITIONS, else IllegalContactTransition."""
    try:
        status = TRANSITIONS[contact.status, event]
    except KeyError:
        raise IllegalContactTransition(contact.id, contact.status, event) from None
    return replace(contact, status=status)


class Blocked(StrEnum):
    """Why a contact may not be dialled now (rule 2)."""

    DO_NOT_CALL = "do_not_call"
    OUTSIDE_WINDOW = "outside_window"
    ABANDON_QUIET = "abandon_quiet"
    MACHINE_QUIET = "machine_quiet"  # a machine detected today: a guaranteed agent only
    NOT_YET = "not_yet"
    IN_CALL = "in_call"  # a dial of the number is in flight (pacer rule 3)
    NOT_PENDING = "not_pending"


def _no_fields() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    id: ContactId
    campaign: CampaignId
    number: str  # as dialled (rule 4)
    timezone: str  # IANA name (rule 2)
    fields: Mapping[str, str] = field(default_factory=_no_fields)  # shown per the campaign
    due: Instant | None = None  # a follow-up's deadline (P17); overdue is a finding
    status: ContactStatus = ContactStatus.PENDING
    next_at: Instant = EPOCH  # not dialled before
    attempts: int = 0  # dials placed (skips excluded)
    last_result: AttemptResult | None = None
    abandoned_at: Instant | None = None  # the last abandoned call (campaign rule 4)
    kind: ContactKind = ContactKind.CONTACT
    agent: AgentId | None = None  # rule 5: only this agent takes the call
    place: Instant | None = None  # rule 5: an inbound caller's place in line, kept
    priority: int = 0  # that caller's priority (P10), with the place
    claim: int = 0  # the store's claims of it so far: the claim this value was made under


def id_of(campaign: CampaignId, number: str) -> ContactId:
    """A contact's id: its campaign and its number as dialled (one per number)."""
    return ContactId(f"{campaign}:{number}")


def normalize_number(raw: str) -> str:
    """The number as dialled, or ContactError naming what is wrong with it (rule 4)."""
    number = _DROPPED.sub("", raw)
    if not _NUMBER.fullmatch(number):
        raise ContactError(f"number {raw!r} is not a phone number (digits, optional leading +)")
    return number


@lru_cache(maxsize=1024)
def zone(name: str) -> tzinfo:
    """The time zone named `name` (IANA, e.g. Europe/London), or ContactError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ContactError(f"time zone {name!r} is not a known IANA time zone") from None


def make_contact(
    *,
    id: ContactId,
    campaign: CampaignConfig,
    number: str,
    timezone: str = "",
    fields: Mapping[str, str] | None = None,
    due: Instant | None = None,
) -> Contact:
    """A new pending contact, its number and time zone checked (ContactError if bad)."""
    name = timezone.strip() or campaign.timezone
    zone(name)
    return Contact(
        id=id,
        campaign=campaign.id,
        number=normalize_number(number),
        timezone=name,
        fields=MappingProxyType(dict(fields or {})),
        due=due,
    )


def local_time_of(contact: Contact, now: Instant) -> datetime:
    return datetime.fromtimestamp(now, zone(contact.timezone))


def dial_check(
    contact: Contact,
    campaign: CampaignConfig,
    now: Instant,
    do_not_call: Container[str],
    *,
    quiet: NumberQuiet | None,
    agent_guaranteed: bool,
) -> Blocked | None:
    """None if the contact may be dialled now; else the first reason it may not (rule 2).
    `quiet` is the number's entry in the book of quiet numbers (cti/domain/outbound/quiet.py),
    kept across campaigns."""
    if contact.status is not ContactStatus.PENDING:
        return Blocked.NOT_PENDING
    if contact.number in do_not_call:
        return Blocked.DO_NOT_CALL
    if not campaign.window.allows(local_time_of(contact, now).time()):
        return Blocked.OUTSIDE_WINDOW
    if not agent_guaranteed:
        known = number_quiet(contact, quiet)
        if now < (abandon_quiet_until(known, campaign.abandon_quiet) or EPOCH):
            return Blocked.ABANDON_QUIET
        if now < (machine_quiet_until(known, zone(contact.timezone)) or EPOCH):
            return Blocked.MACHINE_QUIET
    if now < contact.next_at:
        return Blocked.NOT_YET
    return None


def number_quiet(contact: Contact, quiet: NumberQuiet | None) -> NumberQuiet:
    """The number's quiet periods: the book's, and the contact's own abandoned call (a
    callback keeps it from the contact it replaced)."""
    return merged(quiet, NumberQuiet(abandoned_at=contact.abandoned_at))


def reopens_at(
    contact: Contact, campaign: CampaignConfig, now: Instant, quiet: NumberQuiet | None
) -> Instant:
    """When a contact that may not be dialled now (outside the calling window, or its
    number quiet) may be tried again without a guaranteed agent: the later of the next
    opening of the window in its local time and the ends of the quiet periods; `now` when
    none holds."""
    local = local_time_of(contact, now)
    opens = local
    if not campaign.window.allows(local.time()):
        opens = local.replace(
            hour=campaign.window.start.hour,
            minute=campaign.window.start.minute,
            second=0,
            microsecond=0,
        )
        if opens <= local:
            opens += timedelta(days=1)
    known = number_quiet(contact, quiet)
    abandon = abandon_quiet_until(known, campaign.abandon_quiet) or EPOCH
    machine = machine_quiet_until(known, zone(contact.timezone)) or EPOCH
    return Instant(max(opens.timestamp(), abandon, machine, now))


def started(contact: Contact) -> Contact:
    """The contact claimed for a dial."""
    return moved(contact, ContactEvent.CLAIM)


def after_attempt(
    contact: Contact, campaign: CampaignConfig, result: AttemptResult, ended: Instant
) -> Contact:
    """The claimed contact after one attempt that ended at `ended` with `result` (rule 3)."""
    if result is AttemptResult.SKIPPED:
        return moved(replace(contact, last_result=result), ContactEvent.SKIP)
    attempts = contact.attempts + 1
    counted = replace(contact, attempts=attempts, last_result=result)
    if result is AttemptResult.CONNECTED:
        return moved(counted, ContactEvent.REACH)
    if result is AttemptResult.ABANDONED:
        # Campaign rule 4: dial_check keeps the number quiet unless an agent is guaranteed.
        counted = replace(counted, abandoned_at=ended)
    rule = campaign.retry(result)
    if rule is None or attempts >= rule.max_attempts:
        return moved(counted, ContactEvent.EXHAUST)
    return moved(replace(counted, next_at=Instant(ended + rule.delay)), ContactEvent.RETRY)


def overdue(contact: Contact, now: Instant) -> bool:
    """Rule 5: a callback not dialled, or a follow-up not done, by its due instant."""
    if contact.due is None or now <= contact.due or contact.status not in OPEN:
        return False
    return contact.kind is not ContactKind.CALLBACK or contact.attempts == 0
