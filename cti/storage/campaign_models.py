"""Tables for outbound campaigns (C5): campaigns, their contacts, dial attempts, do-not-call.

The rules of cti.storage.models hold here too (aware UTC timestamps, names from the naming
convention, the schema owned by the migrations: 0004 creates these tables). models imports
this module, so Base.metadata always holds every table.

Rule 1: a campaign row keeps what queries filter on as columns (status, queue) and the rest
of its CampaignConfig as one JSON document (cti.storage.campaign_rows), so a new setting
needs no migration.
Rule 2: contacts are state, not history: their rows change as attempts end. The id is the
contact's ("<campaign>:<number>"); a number is stored once per campaign; "due contacts of a
campaign" is an index range scan on (campaign_id, status, next_at).
Rule 3: dial_attempts is history: one final row per attempt, keyed by the attempt's id, so
recording one again is a no-op. It refers to no other table, so it outlives them.
Rule 4: do_not_call holds numbers as dialled (cti.domain.outbound.contact.normalize_number).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Double, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cti.storage.models import Base, UtcDateTime


class CampaignRow(Base):
    """A campaign: status, queue and its CampaignConfig (the document holds the rest)."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    queue: Mapped[str] = mapped_column(String)
    config: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ContactRow(Base):
    """A contact of a campaign (cti.domain.outbound.contact.Contact); fields as a JSON object."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        Index(None, "campaign_id", "status", "next_at"),
        Index(None, "due"),  # the overdue search (P9, P18)
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String, ForeignKey("campaigns.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String)
    timezone: Mapped[str] = mapped_column(String)
    fields: Mapped[dict[str, str]] = mapped_column(JSON)
    due: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String)
    next_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    last_result: Mapped[str | None] = mapped_column(String)
    abandoned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String, server_default="contact")  # 0005: callbacks
    agent_id: Mapped[str | None] = mapped_column(String)
    place: Mapped[datetime | None] = mapped_column(UtcDateTime)
    priority: Mapped[int] = mapped_column(Integer, server_default="0")
    claims: Mapped[int] = mapped_column(Integer, server_default="0")  # 0006: claims so far
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DialAttemptRow(Base):
    """One dial of one contact (cti.domain.outbound.attempt.DialAttempt). Key: its own id.

    `person`: a person answered (what the abandon rate counts); `ring_seconds` is derived
    from started_at and answered_at (or ended_at), written and never read back.
    """

    __tablename__ = "dial_attempts"
    __table_args__ = (
        Index(None, "campaign_id", "ended_at"),
        Index(None, "contact_id", "started_at"),
        Index(None, "started_at"),
        Index(None, "number", "ended_at"),  # quiet periods per number (issue 18)
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String)
    contact_id: Mapped[str] = mapped_column(String)
    number: Mapped[str] = mapped_column(String)
    agent_id: Mapped[str | None] = mapped_column(String)
    mode: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    connected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    result: Mapped[str] = mapped_column(String)
    ring_seconds: Mapped[float] = mapped_column(Double)
    person: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DoNotCallRow(Base):
    """A number never to be dialled, by any campaign."""

    __tablename__ = "do_not_call"

    number: Mapped[str] = mapped_column(String, primary_key=True)
    note: Mapped[str] = mapped_column(String)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
