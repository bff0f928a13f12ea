"""Campaign values to rows and back: a campaign's JSON document, contacts, dial attempts.

Rule 1: as in cti.storage.rows, instants become aware UTC datetimes and come back as the
same epoch float to the microsecond, enums are stored by value, derived durations
(`ring_seconds`) are written and never read back, and a value of an unexpected type raises
TypeError naming it.
Rule 2: a campaign's document holds every CampaignConfig setting except the columns (id,
name, queue), derived from the dataclasses (cti/schema/model.py rule 5): a setting added
there is stored without a change here and read back from older documents as its default;
a key no longer declared is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Final

from sqlalchemy import RowMapping

from cti.domain.ids import AgentId, QueueId
from cti.domain.outbound.abandon_window import Attempt, Outcome
from cti.domain.outbound.attempt import AttemptId, DialAttempt
from cti.domain.outbound.campaign import (
    AttemptResult,
    CampaignConfig,
    CampaignId,
)
from cti.domain.outbound.contact import Contact, ContactId, ContactKind, ContactStatus
from cti.domain.outbound.pacing import DialMode
from cti.schema.model import document, read_document
from cti.storage.rows import Lookup, Row, instant, opt_instant, opt_utc, optional, utc, value

COLUMNS: Final = frozenset({"id", "name", "queue"})  # CampaignConfig fields kept as columns


# Campaigns -------------------------------------------------------------------------------


def campaign_document(config: CampaignConfig) -> dict[str, object]:
    """The JSON document of everything but the columns (rule 2)."""
    return document(config, COLUMNS)


def campaign_from(row: RowMapping) -> CampaignConfig:
    """The CampaignConfig of a campaigns row (unvalidated: the store validated it)."""
    base = CampaignConfig(
        id=CampaignId(value(row, "id", str)),
        name=value(row, "name", str),
        queue=QueueId(value(row, "queue", str)),
    )
    return read_document(base, row["config"], COLUMNS, f"campaign {row['id']}")


def _mapping(doc: Lookup, key: str, where: str) -> Mapping[str, object]:
    found = doc[key]
    if not isinstance(found, dict) or not all(isinstance(k, str) for k in found):
        raise TypeError(f"{where}: {key}: expected a JSON object, got {found!r}")
    return found


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
