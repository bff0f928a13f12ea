"""What every handler reaches: the engine, storage ports, the hub, the clock.

Rule 1: handlers read live state from `engine.state` and change it only through
`execute`, which hands a command to the engine (in order with AMI events and ticks) and
turns a Rejected note into the ApiError the client gets; a rejected command changed nothing.
Rule 2: every engine await is bounded by `command_timeout`; EngineBusy becomes 503.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Final

from aiohttp import web

from cti.api.errors import rejected
from cti.api.hub import Hub
from cti.api.ports import (
    Callbacks,
    Campaigns,
    Compliance,
    Directory,
    HistoryReader,
    RecordingAudio,
    Recordings,
)
from cti.api.signin import SignInGuard
from cti.api.upload_slot import UploadSlot
from cti.domain.commands import Command
from cti.domain.compliance.adherence import Adherence
from cti.domain.compliance.audit import Audit
from cti.domain.compliance.qa_sample import Rates
from cti.domain.effects import Rejected
from cti.domain.ids import AgentId, DeviceId, Instant
from cti.domain.outbound.campaign import CampaignConfig
from cti.domain.state import Decision
from cti.engine.engine import Engine
from cti.settings import SESSION_SECONDS, SoftphoneSettings
from cti.storage.health import DatabaseHealth


class LoginTokens:
    """The token issued for each agent's current login, to revoke when the login ends."""

    def __init__(self) -> None:
        self._ids: dict[AgentId, int] = {}

    def swap(self, agent: AgentId, token: int) -> int | None:
        """Remember the new login's token; the previous one's id, if any."""
        previous = self._ids.get(agent)
        self._ids[agent] = token
        return previous

    def pop(self, agent: AgentId) -> int | None:
        return self._ids.pop(agent, None)


CLAIM_S: Final = 60.0  # a softphone handed out is kept for its agent this long (issue 15)


class Claims:
    """Softphones handed out and not yet logged in on (cti/api/softphones.py rule 2)."""

    def __init__(self) -> None:
        self._held: dict[DeviceId, tuple[AgentId, Instant]] = {}

    def taken(self, device: DeviceId, agent: AgentId, now: Instant) -> bool:
        holder = self._held.get(device)
        return holder is not None and holder[0] != agent and now - holder[1] < CLAIM_S

    def claim(self, device: DeviceId, agent: AgentId, now: Instant) -> None:
        self._held = {d: h for d, h in self._held.items() if now - h[1] < CLAIM_S}
        self._held[device] = (agent, now)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiContext:
    engine: Engine
    directory: Directory
    history: HistoryReader
    campaigns: Campaigns
    callbacks: Callbacks
    hub: Hub
    now: Callable[[], Instant]
    ami_up: Callable[[], bool]
    ami_reconnects: Callable[[], int]
    database_health: Callable[[], Awaitable[DatabaseHealth]]  # cti/storage/health.py
    render_metrics: Callable[[], bytes]
    # RunCampaign with the window rebuilt from stored attempts, by the dialer's one rule
    # (cti/dialer/feeder.py rule 1); None when the core is told on a later round instead.
    run_campaign: Callable[[CampaignConfig], Awaitable[Decision | None]]
    compliance: Compliance  # schedules, rule parameters, acknowledgements (issue 16)
    audit: Callable[[Instant, Instant], Awaitable[Audit]]  # cti/audit/auditor.py rule 2
    adherence: Callable[[Instant, Instant], Awaitable[list[Adherence]]]  # P14
    recordings: Recordings  # the index of call recordings (issue 16, P11)
    recording_audio: RecordingAudio  # their files
    command_timeout: float = 5.0
    signin: SignInGuard = field(default_factory=SignInGuard)
    login_tokens: LoginTokens = field(default_factory=LoginTokens)
    admin_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    uploads: UploadSlot = field(default_factory=UploadSlot)  # one contacts upload at once
    session_seconds: float = SESSION_SECONDS  # a supervisor's session (cti/api/session.py)
    zone: tzinfo = UTC  # the centre's time zone: its days and weeks (settings centre.timezone)
    softphones: SoftphoneSettings = field(default_factory=SoftphoneSettings)  # issue 15
    softphone_claims: Claims = field(default_factory=Claims)
    qa_rates: Rates = field(default_factory=Rates)  # the weekly QA sample (P11)

    async def execute(self, command: Command) -> Decision:
        """The engine's decision on the command; ApiError when it was rejected."""
        return accepted(await self.engine.execute(command, within=self.command_timeout))


def accepted(decision: Decision) -> Decision:
    """The decision, or the ApiError of its Rejected note."""
    for note in decision.notes:
        if isinstance(note, Rejected):
            raise rejected(note.reason, note.code)
    return decision


context_key = web.AppKey("context", ApiContext)


def context_of(request: web.Request) -> ApiContext:
    return request.app[context_key]
