"""Campaign values to rows and back: a campaign's JSON document, contacts, dial attempts.

Rule 1: as in cti.storage.rows, instants become aware UTC datetimes and come back as the
same epoch float to the microsecond, enums are stored by value, derived durations
(`ring_seconds`) are written and never read back, and a value of an unexpected type raises
TypeError naming it.
Rule 2: a campaign's document holds every CampaignConfig field except the columns (id,
name, queue). PacingConfig and SeatTargets are written field by field as their dataclasses
declare them, so a field added there with a default is stored without a change here and
read back from older documents as its default; a key no longer declared is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime, time
from types import MappingProxyType
from typing import TypeVar

from sqlalchemy import RowMapping

from cti.domain.abandon_window import Attempt, Outcome
from cti.domain.attempt import AttemptId, DialAttempt
from cti.domain.campaign import (
    AttemptResult,
    CallingWindow,
    CampaignConfig,
    CampaignId,
    RetryRule,
    SeatTargets,
)
from cti.domain.contact import Contact, ContactId, ContactKind, ContactStatus
from cti.domain.ids import AgentId, QueueId
from cti.domain.pacing import DialMode, PacingConfig
from cti.storage.rows import Lookup, Row, instant, opt_instant, opt_utc, optional, utc, value

COLUMNS = frozenset({"id", "name", "queue"})  # CampaignConfig fields kept as columns
_DEFAULT = CampaignConfig(id=CampaignId("-"), queue=QueueId("-"))
T = TypeVar("T")


# Campaigns -------------------------------------------------------------------------------


def campaign_document(config: CampaignConfig) -> dict[str, object]:
    """The JSON document of everything but the columns (rule 2)."""
    return {
        "caller_id": config.caller_id,
        "script": config.script,
        "shown_fields": list(config.shown_fields),
        "window": {"start": config.window.start.isoformat(), "end": config.window.end.isoformat()},
        "timezone": config.timezone,
        "retries": {
            result.value: {"delay": rule.delay, "max_attempts": rule.max_attempts}
            for result, rule in config.retries.items()
        },
        "follow_up_within": config.follow_up_within,
        "callback_grace": config.callback_grace,
        "callback_within": config.callback_within,
        "standing": config.standing,
        "abandon_quiet": config.abandon_quiet,
        "ring_timeout": config.ring_timeout,
        "machine_detection": config.machine_detection,
        "pacing": {f.name: _plain(getattr(config.pacing, f.name)) for f in fields(PacingConfig)},
        "seat": {f.name: getattr(config.seat, f.name) for f in fields(SeatTargets)},
    }


def campaign_from(row: RowMapping) -> CampaignConfig:
    """The CampaignConfig of a campaigns row (unvalidated: the store validated it)."""
    where = f"campaign {row['id']}"
    doc = _mapping(row, "config", where)
    window, seat = _mapping(doc, "window", where), _mapping(doc, "seat", where)
    pacing = dict(_mapping(doc, "pacing", where))
    mode = DialMode(value(pacing, "mode", str))
    del pacing["mode"]
    return CampaignConfig(
        id=CampaignId(value(row, "id", str)),
        name=value(row, "name", str),
        queue=QueueId(value(row, "queue", str)),
        caller_id=value(doc, "caller_id", str),
        script=value(doc, "script", str),
        shown_fields=tuple(_strings(value(doc, "shown_fields", list), where)),
        window=CallingWindow(
            start=time.fromisoformat(value(window, "start", str)),
            end=time.fromisoformat(value(window, "end", str)),
        ),
        timezone=value(doc, "timezone", str),
        retries=_retries(_mapping(doc, "retries", where), where),
        follow_up_within=value(doc, "follow_up_within", float),
        callback_grace=_added(doc, "callback_grace", float, _DEFAULT.callback_grace),
        callback_within=_added(doc, "callback_within", float, _DEFAULT.callback_within),
        standing=_added(doc, "standing", bool, _DEFAULT.standing),
        abandon_quiet=value(doc, "abandon_quiet", float),
        ring_timeout=value(doc, "ring_timeout", float),
        machine_detection=value(doc, "machine_detection", bool),
        pacing=PacingConfig(mode=mode, **{k: value(pacing, k, float) for k in pacing}),
        seat=SeatTargets(**{k: value(seat, k, int) for k in seat}),
    )


def _added(doc: Mapping[str, object], key: str, kind: type[T], default: T) -> T:
    """A key added after the first documents were written (callbacks, P9): theirs lack it."""
    return value(doc, key, kind) if key in doc else default


def _plain(found: object) -> object:
    return found.value if isinstance(found, DialMode) else found


def _mapping(doc: Lookup, key: str, where: str) -> Mapping[str, object]:
    found = doc[key]
    if not isinstance(found, dict) or not all(isinstance(k, str) for k in found):
        raise TypeError(f"{where}: {key}: expected a JSON object, got {found!r}")
    return found


def _strings(found: list[object], where: str) -> list[str]:
    if not all(isinstance(item, str) for item in found):
        raise TypeError(f"{where}: expected strings, got {found!r}")
    return [str(item) for item in found]


def _retries(doc: Mapping[str, object], where: str) -> Mapping[AttemptResult, RetryRule]:
    rules = {}
    for result in doc:
        rule = _mapping(doc, result, where)
        rules[AttemptResult(result)] = RetryRule(
            delay=value(rule, "delay", float), max_attempts=value(rule, "max_attempts", int)
        )
    return MappingProxyType(rules)


# Contacts --------------------------------------------------------------------------------


def contact_state(contact: Contact) -> Row:
    """The columns an attempt or a claim changes (all but the contact's identity)."""
    return {
        "timezone": contact.timezone,
        "fields": dict(contact.fields),
        "due": opt_utc(contact.due),
        "status": contact.status.value,
        "next_at": utc(contact.next_at),
        "attempts": contact.attempts,
        "last_result": None if contact.last_result is None else contact.last_result.value,
        "abandoned_at": opt_utc(contact.abandoned_at),
        "kind": contact.kind.value,
        "agent_id": contact.agent,
        "place": opt_utc(contact.place),
        "priority": contact.priority,
    }


def contact_row(contact: Contact, now: datetime) -> Row:
    return {
        "id": contact.id,
        "campaign_id": contact.campaign,
        "number": contact.number,
        **contact_state(contact),
        "added_at": now,
        "updated_at": now,
    }


def contact_from(row: RowMapping) -> Contact:
    last_result, agent = optional(row, "last_result", str), optional(row, "agent_id", str)
    found = _mapping(row, "fields", f"contact {row['id']}")
    return Contact(
        id=ContactId(value(row, "id", str)),
        campaign=CampaignId(value(row, "campaign_id", str)),
        number=value(row, "number", str),
        timezone=value(row, "timezone", str),
        fields=MappingProxyType({key: value(found, key, str) for key in found}),
        due=opt_instant(row, "due"),
        status=ContactStatus(value(row, "status", str)),
        next_at=instant(row, "next_at"),
        attempts=value(row, "attempts", int),
        last_result=None if last_result is None else AttemptResult(last_result),
        abandoned_at=opt_instant(row, "abandoned_at"),
        kind=ContactKind(value(row, "kind", str)),
        agent=None if agent is None else AgentId(agent),
        place=opt_instant(row, "place"),
        priority=value(row, "priority", int),
        claim=value(row, "claims", int),
    )


# Dial attempts ---------------------------------------------------------------------------


def attempt_row(attempt: DialAttempt, recorded_at: datetime) -> Row:
    return {
        "id": attempt.id,
        "campaign_id": attempt.campaign,
        "contact_id": attempt.contact,
        "number": attempt.number,
        "agent_id": attempt.agent,
        "mode": attempt.mode.value,
        "started_at": utc(attempt.started_at),
        "answered_at": opt_utc(attempt.answered_at),
        "connected_at": opt_utc(attempt.connected_at),
        "ended_at": utc(attempt.ended_at),
        "result": attempt.result.value,
        "ring_seconds": attempt.ring_seconds,
        "person": attempt.person,
        "recorded_at": recorded_at,
    }


def attempt_from(row: RowMapping) -> DialAttempt:
    agent = optional(row, "agent_id", str)
    return DialAttempt(
        id=AttemptId(value(row, "id", str)),
        campaign=CampaignId(value(row, "campaign_id", str)),
        contact=ContactId(value(row, "contact_id", str)),
        number=value(row, "number", str),
        agent=None if agent is None else AgentId(agent),
        mode=DialMode(value(row, "mode", str)),
        started_at=instant(row, "started_at"),
        answered_at=opt_instant(row, "answered_at"),
        connected_at=opt_instant(row, "connected_at"),
        ended_at=instant(row, "ended_at"),
        result=AttemptResult(value(row, "result", str)),
        person=value(row, "person", bool),
    )


def pacing_attempt(row: RowMapping) -> Attempt:
    """What the abandon window counts of an attempt: its outcome when it was known."""
    result = AttemptResult(value(row, "result", str))
    if result is AttemptResult.ABANDONED:
        outcome = Outcome.ABANDONED
    elif value(row, "person", bool):
        outcome = Outcome.CONNECTED
    else:
        outcome = Outcome.NO_PERSON
    connected = opt_instant(row, "connected_at")
    return Attempt(at=instant(row, "ended_at") if connected is None else connected, outcome=outcome)
