"""Outbound calls in flight and the campaigns the core dials, as values (issue 4, C5).

Rule 1: a dial is known by its channel, whose Uniqueid the core chose (the Originate's
ChannelId), so every event of the attempt finds it; the same id is the call's id.
Rule 2: a person answered exactly when the call entered the campaign's queue (the dialplan
sends it there once answering-machine detection, if on, heard no machine): `queued_at`
starts the law's hold. Before that, the call is ringing as far as pacing is concerned.
Rule 3: a dial's result is settled once it is known (connected, abandoned, machine) and
recorded when its channel is gone; a dial nobody answered takes its result from the
hang-up cause (cti/domain/attempt.py).
Rule 4: a campaign's live part: its configuration, whether it runs, the contacts claimed
for it in dialling order (`buffer`), its abandon window and its measurements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cti.domain.attempt import AttemptId, DialAttempt
from cti.domain.campaign import AttemptResult, CampaignConfig, CampaignId
from cti.domain.contact import Contact
from cti.domain.ids import AgentId, ChannelId, Instant
from cti.domain.pacing import AbandonWindow, DialMode, Pace
from cti.domain.pacing_stats import PacingStats
from cti.domain.pmap import empty


@dataclass(frozen=True, slots=True, kw_only=True)
class Dial:
    channel: ChannelId
    campaign: CampaignId
    contact: Contact
    mode: DialMode  # the mode that dialled it (predictive falls back to progressive)
    agent: AgentId | None  # reserved for it (progressive, preview), or who took it
    started_at: Instant
    answered_at: Instant | None = None  # Asterisk: answered (a person or a machine)
    queued_at: Instant | None = None  # rule 2: a person; the hold runs from here
    connected_at: Instant | None = None
    result: AttemptResult | None = None  # rule 3: settled before the end
    no_answer: bool = False  # Asterisk said the ring timeout passed

    @property
    def reserved(self) -> bool:
        """An agent waits for this call alone (until it is connected)."""
        return self.agent is not None and self.connected_at is None

    @property
    def ringing(self) -> bool:
        return self.queued_at is None and self.result is None

    @property
    def held(self) -> bool:
        """A person answered and waits for an agent, within the hold."""
        return self.queued_at is not None and self.result is None

    def attempt(self, result: AttemptResult, ended_at: Instant) -> DialAttempt:
        person = self.queued_at is not None
        return DialAttempt(
            id=AttemptId(self.channel),
            campaign=self.campaign,
            contact=self.contact.id,
            number=self.contact.number,
            agent=self.agent,
            mode=self.mode,
            started_at=self.started_at,
            answered_at=self.queued_at or self.answered_at,
            connected_at=self.connected_at,
            ended_at=max(ended_at, self.started_at),
            result=result,
            person=person,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveCampaign:
    config: CampaignConfig
    window: AbandonWindow
    stats: PacingStats = field(default_factory=PacingStats)
    running: bool = True
    buffer: tuple[Contact, ...] = ()
    last: Pace | None = None  # the pacer's last answer (level and mode, for metrics)
    talked: Mapping[AgentId, float] = field(default_factory=empty)  # last talk, seconds
    previews: Mapping[AgentId, Contact] = field(default_factory=empty)  # preview mode

    @property
    def id(self) -> CampaignId:
        return self.config.id
