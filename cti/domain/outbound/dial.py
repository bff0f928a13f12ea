"""Outbound calls in flight and the campaigns the core dials, as values (issue 4, C5).

Rule 1: a dial is known by its channel, whose Uniqueid the core chose (the Originate's
ChannelId), so every event of the attempt finds it; the same id is the call's id.
Rule 2: a dial's lifecycle is a table (STYLE rule 14): every legal (phase, trigger) is a
row of TRANSITIONS and `fire` refuses anything else with IllegalDialTransition; the core
asks `allows` first where Asterisk may repeat or reorder an event (a duplicate changes
nothing). A person answered exactly when the call entered the campaign's queue (the
dialplan sends it there once answering-machine detection, if on, heard no machine): the
PERSON trigger, HELD, starts the law's hold. Before that the call rings, as far as pacing
is concerned (RINGING, or ANSWERED while detection listens).
Rule 3: a dial is recorded when its channel is gone or its timer gives up on news: the
result is the phase's when the phase settled it (END_RESULT, TIMEOUT_RESULT), else the
hang-up cause's (cti/domain/outbound/attempt.py).
Rule 4: a campaign's live part: its configuration, whether it runs, the contacts claimed
for it in dialling order (`buffer`), its abandon window and its measurements.
Rule 5: whom a dial was made for (`agent`) is data; whether that agent still waits for it
is the agent's own state (cti/domain/outbound/reservation.py), never a second copy here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final

from cti.domain.ids import AgentId, ChannelId, Instant
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.attempt import AttemptId, DialAttempt
from cti.domain.outbound.campaign import AttemptResult, CampaignConfig, CampaignId
from cti.domain.outbound.contact import Contact
from cti.domain.outbound.pacing import DialMode
from cti.domain.outbound.pacing_stats import PacingStats
from cti.domain.outbound.predictive import Pace
from cti.domain.pmap import empty


class DialPhase(StrEnum):
    RINGING = "ringing"  # originated; nobody answered yet
    ANSWERED = "answered"  # Asterisk says answered; detection decides who (person, machine)
    HELD = "held"  # a person waits in the campaign's queue, within the hold
    CONNECTED = "connected"  # an agent answered
    ABANDONED = "abandoned"  # no agent within the hold: the law's message plays
    MACHINE = "machine"  # answering-machine detection heard a machine
    NO_ANSWER = "no_answer"  # Asterisk: the ring timeout passed; the hang-up follows
    REFUSED = "refused"  # Asterisk: not answered (busy, congestion, failure); the cause follows


class DialTrigger(StrEnum):
    ANSWER = "answer"  # OriginateResponse: success
    RING_TIMEOUT = "ring timeout"  # OriginateResponse: failure, reason 3
    REFUSE = "refuse"  # OriginateResponse: any other failure
    MACHINE = "machine"  # CtiOutboundMachine
    PERSON = "person"  # the call entered the campaign's queue
    AGENT = "agent"  # an agent answered it
    HOLD_EXPIRED = "hold expired"  # the law's hold passed without an agent


P, T = DialPhase, DialTrigger
TRANSITIONS: Final[Mapping[tuple[DialPhase, DialTrigger], DialPhase]] = {
    (P.RINGING, T.ANSWER): P.ANSWERED,
    (P.RINGING, T.RING_TIMEOUT): P.NO_ANSWER,
    (P.RINGING, T.REFUSE): P.REFUSED,
    # Queue entry and detection may be reported before Asterisk's OriginateResponse.
    (P.RINGING, T.PERSON): P.HELD,
    (P.RINGING, T.MACHINE): P.MACHINE,
    (P.ANSWERED, T.PERSON): P.HELD,
    (P.ANSWERED, T.MACHINE): P.MACHINE,
    (P.HELD, T.AGENT): P.CONNECTED,
    (P.HELD, T.HOLD_EXPIRED): P.ABANDONED,
}
# The result of a dial whose channel is gone, by its phase then; None: from the cause.
END_RESULT: Final[Mapping[DialPhase, AttemptResult | None]] = {
    P.RINGING: None,
    P.ANSWERED: None,  # hung up while detection listened: as the network said
    P.HELD: AttemptResult.ABANDONED,  # a person who hangs up within the hold (the law)
    P.CONNECTED: AttemptResult.CONNECTED,
    P.ABANDONED: AttemptResult.ABANDONED,
    P.MACHINE: AttemptResult.MACHINE,
    P.NO_ANSWER: AttemptResult.NO_ANSWER,  # Asterisk's ring timeout wins over the cause
    P.REFUSED: None,
}
# The result when the dial's timer gives up on news (no hang-up came); a phase not
# listed has no such timer (a person holds: the hold is in charge; connected: talk).
TIMEOUT_RESULT: Final[Mapping[DialPhase, AttemptResult]] = {
    P.RINGING: AttemptResult.FAILED,
    P.ANSWERED: AttemptResult.FAILED,
    P.NO_ANSWER: AttemptResult.NO_ANSWER,
    P.REFUSED: AttemptResult.FAILED,
    P.ABANDONED: AttemptResult.ABANDONED,
    P.MACHINE: AttemptResult.MACHINE,
}
MAY_REACH_A_PERSON: Final = frozenset({P.RINGING, P.ANSWERED})
SETTLED: Final = frozenset({P.CONNECTED, P.ABANDONED, P.MACHINE})
# Phases in which an agent reserved for the dial still waits for it (rule 5).
RESERVING: Final = frozenset({P.RINGING, P.ANSWERED, P.HELD})


class IllegalDialTransition(ValueError):
    def __init__(self, channel: ChannelId, phase: DialPhase, trigger: DialTrigger) -> None:
        super().__init__(f"dial {channel}: {trigger} not allowed in {phase}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Dial:
    channel: ChannelId
    campaign: CampaignId
    contact: Contact
    mode: DialMode  # the mode that dialled it (predictive falls back to progressive)
    agent: AgentId | None  # whom it was dialled for (progressive, preview), or who took it
    started_at: Instant
    phase: DialPhase = DialPhase.RINGING
    answered_at: Instant | None = None  # Asterisk: answered (a person or a machine)
    queued_at: Instant | None = None  # rule 2: a person; the hold runs from here
    connected_at: Instant | None = None

    def allows(self, trigger: DialTrigger) -> bool:
        return (self.phase, trigger) in TRANSITIONS

    def fire(self, trigger: DialTrigger, at: Instant) -> Dial:
        """The dial after `trigger` at `at`, with the instant the phase records."""
        try:
            phase = TRANSITIONS[self.phase, trigger]
        except KeyError:
            raise IllegalDialTransition(self.channel, self.phase, trigger) from None
        changed = replace(self, phase=phase)
        if phase in (P.ANSWERED, P.MACHINE) and self.answered_at is None:
            changed = replace(changed, answered_at=at)
        if phase is P.HELD:
            changed = replace(changed, queued_at=at, answered_at=self.answered_at or at)
        if phase is P.CONNECTED:
            changed = replace(changed, connected_at=at)
        return changed

    @property
    def ringing(self) -> bool:
        """Still ringing as far as pacing is concerned: a person may yet answer."""
        return self.phase in MAY_REACH_A_PERSON

    @property
    def reserving(self) -> bool:
        """An agent reserved for it may still get a person from it."""
        return self.phase in RESERVING

    @property
    def held(self) -> bool:
        """A person answered and waits for an agent, within the hold."""
        return self.phase is DialPhase.HELD

    @property
    def settled(self) -> bool:
        """Its result is known before the end (connected, abandoned, machine)."""
        return self.phase in SETTLED

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
    wanted: int = 0  # contacts last asked of the shell (ContactsWanted)
    lined: bool = False  # ... and whether a member was on a nailed-up line then
    left: int | None = None  # contacts pending or dialling in the store, as last reported

    @property
    def id(self) -> CampaignId:
        return self.config.id
