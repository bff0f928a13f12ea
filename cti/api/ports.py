"""What the API needs from storage, as Protocols (cti.storage implements them).

Rule 1: the API codes against these, never against SQLAlchemy; main.py passes the real
ConfigStore, HistoryQueries and CampaignStore, and tests pass the same classes on a
temporary SQLite file.
Rule 2: every method may raise; the error middleware answers 503 for storage that is down
(TimeoutError, OSError, SQLAlchemy's errors) and maps ConfigError subclasses to 4xx.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, Unpack

from cti.domain.compliance.rulebook import Override, RuleSettings
from cti.domain.compliance.schedule import Activity
from cti.domain.config import AcdConfig, AgentProfile, NotReadyReason, QueueConfig
from cti.domain.ids import AgentId, CallId, Instant, QueueId
from cti.domain.notice import Notice
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.attempt import DialAttempt
from cti.domain.outbound.campaign import AttemptResult, CampaignConfig, CampaignId, CampaignStatus
from cti.domain.outbound.contact import Contact, ContactId, ContactStatus
from cti.domain.records import CallRecord, MonitoringSession
from cti.storage.campaign_stats import AttemptFigures, SeatCounts
from cti.storage.campaign_store import Due, StoredCampaign
from cti.storage.compliance_store import Ack, Evaluation, HandoverNote
from cti.storage.page import Page, Position
from cti.storage.queries import (
    AgentFigures,
    CallDetail,
    CallFilter,
    CallSummary,
    FindingEntry,
    FindingQuery,
    QueueFigures,
)
from cti.storage.recording_store import RecordingEntry, RecordingQuery
from cti.storage.tokens import IssuedToken, Role, TokenIdentity


class Directory(Protocol):
    """Credentials and configuration (cti.storage.config_store.ConfigStore)."""

    async def verify_pin(self, agent: AgentId, pin: str) -> bool: ...

    async def issue_token(
        self, name: str, role: Role | str, agent: AgentId | None = None
    ) -> IssuedToken: ...

    async def token_identity(self, secret: str) -> TokenIdentity | None: ...

    async def revoke_token(self, token_id: int) -> None: ...

    async def verify_password(self, name: str, password: str) -> Role | None: ...

    async def open_session(self, name: str, role: Role, lifetime: float) -> IssuedToken: ...

    async def end_session(self, secret: str) -> bool: ...

    async def supervisor_device(self, name: str) -> str | None: ...

    async def put_notice(self, notice: Notice) -> None: ...

    async def clear_notice(self, queue: QueueId) -> None: ...

    async def load(self) -> AcdConfig: ...

    async def put_queue(self, queue: QueueConfig) -> AcdConfig: ...

    async def delete_queue(self, queue: QueueId) -> AcdConfig: ...

    async def put_agent(self, agent: AgentProfile, pin: str | None = None) -> AcdConfig: ...

    async def delete_agent(self, agent: AgentId) -> AcdConfig: ...

    async def put_reason(self, reason: NotReadyReason) -> AcdConfig: ...

    async def delete_reason(self, code: str) -> AcdConfig: ...


class CallerHistory(Protocol):
    """Earlier calls of a number, for the screen pop (C7, P19)."""

    async def recent_calls(self, caller: str, *, limit: int = 5) -> list[CallSummary]: ...


class HistoryReader(CallerHistory, Protocol):
    """Stored history (cti.storage.queries.HistoryQueries)."""

    async def call(self, call: CallId) -> CallDetail | None: ...

    async def calls(
        self, filters: CallFilter, *, limit: int = 100, after: Position | None = None
    ) -> Page[CallRecord]: ...

    async def finding_entries(self, **query: Unpack[FindingQuery]) -> Page[FindingEntry]: ...

    async def monitoring_sessions(
        self,
        *,
        agent: AgentId | None = None,
        supervisor: str | None = None,
        since: Instant | None = None,
        until: Instant | None = None,
        limit: int = 1000,
        after: Position | None = None,
    ) -> Page[MonitoringSession]: ...

    async def monitored(self, since: Instant, until: Instant) -> list[MonitoringSession]: ...

    async def talked_calls(self, since: Instant, until: Instant) -> dict[AgentId, list[CallId]]: ...

    async def first_logins(self) -> dict[AgentId, Instant]: ...

    async def agent_figures(
        self, since: Instant, until: Instant, *, agent: AgentId | None = None
    ) -> list[AgentFigures]: ...

    async def queue_figures(
        self, queue: QueueId, threshold: float, since: Instant, until: Instant
    ) -> QueueFigures: ...


class Recordings(Protocol):
    """The index of call recordings (cti.storage.recording_store, issue 16)."""

    async def entries(self, **query: Unpack[RecordingQuery]) -> Page[RecordingEntry]: ...

    async def entry(self, recording_id: int) -> RecordingEntry | None: ...


class RecordingAudio(Protocol):
    """Recording files on disk (cti.recordings.files)."""

    def path(self, file: str) -> Path | None: ...

    async def seconds(self, file: str) -> float | None: ...


class Compliance(Protocol):
    """Schedules, rule parameters, acknowledgements (cti.storage.compliance_store)."""

    async def schedule(
        self, since: Instant, until: Instant, agent: AgentId | None = None
    ) -> list[Activity]: ...

    async def replace_schedule(
        self,
        rows: Sequence[Activity],
        since: Instant,
        until: Instant,
        agents: Iterable[AgentId],
        by: str,
    ) -> int: ...

    async def rule_settings(self) -> RuleSettings: ...

    async def set_override(self, override: Override, by: str) -> None: ...

    async def clear_override(self, override: Override) -> bool: ...

    async def acknowledge(self, finding: int, by: str, note: str) -> Ack: ...

    async def write_note(
        self, position: str, author: AgentId, successor: AgentId, handover_at: Instant, text: str
    ) -> HandoverNote: ...

    async def notes(
        self, since: Instant, until: Instant, agent: AgentId | None = None
    ) -> list[HandoverNote]: ...

    async def note(self, note_id: int) -> HandoverNote | None: ...

    async def acknowledge_note(self, note_id: int) -> HandoverNote: ...

    async def evaluate(
        self, call: CallId, agent: AgentId, evaluator: str, score: float, note: str
    ) -> Evaluation: ...

    async def evaluations(
        self, since: Instant, until: Instant, agent: AgentId | None = None
    ) -> list[Evaluation]: ...


class Campaigns(Protocol):
    """Outbound campaigns, their contacts and do-not-call (cti.storage's CampaignStore)."""

    async def save(self, config: CampaignConfig) -> bool: ...

    async def get(self, campaign: CampaignId) -> StoredCampaign: ...

    async def list_campaigns(self) -> list[StoredCampaign]: ...

    async def set_status(
        self, campaign: CampaignId, status: CampaignStatus, *, acd: AcdConfig | None = None
    ) -> None: ...

    async def numbers(self, campaign: CampaignId) -> set[str]: ...

    async def add_contacts(self, campaign: CampaignId, contacts: Iterable[Contact]) -> int: ...

    async def progress(self, campaign: CampaignId) -> dict[ContactStatus, int]: ...

    async def due(self, campaign: CampaignId, now: Instant) -> Due: ...

    async def dnc_add(self, numbers: Iterable[str], note: str = "") -> int: ...

    async def dnc_remove(self, number: str) -> bool: ...

    async def dnc_numbers(self) -> frozenset[str]: ...

    async def pacing_window(self, config: CampaignConfig, now: Instant) -> AbandonWindow: ...

    # Figures (cti.storage.campaign_stats.CampaignFigures, which CampaignStore is)

    async def attempt_figures(
        self, campaign: CampaignId, since: Instant | None = None, until: Instant | None = None
    ) -> AttemptFigures: ...

    async def abandon_window(
        self, campaign: CampaignId, now: Instant, length: float
    ) -> AbandonWindow: ...

    async def attempts(
        self,
        campaign: CampaignId,
        *,
        since: Instant | None = None,
        until: Instant | None = None,
        result: AttemptResult | None = None,
        limit: int = 100,
        after: Position | None = None,
    ) -> Page[DialAttempt]: ...

    async def seat_day(
        self, day_start: Instant, day_end: Instant, campaign: CampaignId | None = None
    ) -> SeatCounts: ...


class Callbacks(Protocol):
    """cti.storage.callback_store.CallbackStore (P9, P18)."""

    async def campaign(self, queue: QueueId) -> CampaignConfig: ...

    async def add(self, contact: Contact) -> Contact: ...

    async def listed(
        self,
        *,
        queue: QueueId | None = None,
        agent: AgentId | None = None,
        open_only: bool = True,
        limit: int = 500,
        after: Position | None = None,
    ) -> Page[Contact]: ...

    async def cancel(self, contact: ContactId) -> Contact | None: ...
