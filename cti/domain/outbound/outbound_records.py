"""The dialer's history records (issue 12, item 2): what outbound dialling leaves behind,
written by the same spooled history writer as every other record, in order with them.

Rule 1: an attempt is stored with its contact as the attempt left it, in one transaction;
storing the same attempt again stores nothing and leaves the contact alone (the attempt id
is the key), so a replay after a crash or a database outage is harmless.
Rule 2: a release hands claimed contacts back (pending again), and only those still
dialling: replaying one that was already written changes nothing.
Rule 3: a campaign is finished once; finishing a finished campaign changes nothing.
Rule 4: because they travel in order with the rest, a campaign's finish is stored after
every attempt that came before it, and an attempt's contact update after its claim.
"""

from __future__ import annotations

from dataclasses import dataclass

from cti.domain.ids import Instant
from cti.domain.outbound.attempt import DialAttempt
from cti.domain.outbound.campaign import CampaignId
from cti.domain.outbound.contact import Contact


@dataclass(frozen=True, slots=True, kw_only=True)
class EndedAttempt:
    """Rule 1. Key: the attempt's id. No contact: the core never claimed it (a call
    re-adopted after a restart, cti/domain/adopt.py); the attempt's result is applied to
    the contact as stored, which the restart left pending or dialling."""

    attempt: DialAttempt
    contact: Contact | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactsRelease:
    """Rule 2: claimed contacts the core will not dial, and why."""

    campaign: CampaignId
    contacts: tuple[Contact, ...]
    why: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignFinish:
    """Rule 3: every contact of the campaign is done or closed (or it was stopped)."""

    campaign: CampaignId
    at: Instant
