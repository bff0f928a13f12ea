"""What a decision asks the shell to do (instructions) or tells it happened (notifications).

Rule 1: effects are values; the core never performs them. An instruction that fails comes
back as an input (CallControlFailed), so the core learns the outcome.
Rule 2: instructions name what should happen (connect, return, transfer), not how: the
dialplan contexts and variables that do it are the AMI adapter's business.
Rule 3: notes explain inputs that changed nothing, so they can be asserted and logged; a
command that was refused carries a Rejected note with the reason the API returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cti.domain.arm import ArmOutcome
from cti.domain.breaks import BreakRequest
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.notice import Notice
from cti.domain.outbound.attempt import DialAttempt
from cti.domain.outbound.campaign import CampaignId
from cti.domain.outbound.contact import Contact, ContactKind
from cti.domain.outbound.outbound_records import CampaignFinish, ContactsRelease, EndedAttempt
from cti.domain.queue import WaitingCall
from cti.domain.recording import Recording
from cti.domain.records import (
    AgentState,
    CallRecord,
    Finding,
    LoginSession,
    MonitoringSession,
    OfferRecord,
    Presence,
    QueueVisit,
    SpyMode,
    StateInterval,
)
from cti.domain.spy import Spy

# Instructions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectCall:
    """Dial the agent's device from the caller's channel; Asterisk's dial timeout is only a
    safety net (`ring_guard`): the core withdraws the offer itself after N rings."""

    call: CallId
    channel: ChannelId
    queue: QueueId
    agent: AgentId
    device: DeviceId
    ring_guard: float
    # An agent on a nailed-up line (cti/domain/line.py): bridge the caller to this leg at
    # once instead of dialling the device.
    line: ChannelId | None = None
    auto_answer: bool = False  # dial with the auto-answer headers (AgentLine.AUTO_ANSWER)
    recording: str | None = None  # record the agent's part to this file (recording.py)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenLine:
    """Call an agent's phone to hold a nailed-up line open (cti/domain/line.py, issue 18);
    once answered it waits in the dialplan for callers to be bridged to it."""

    channel: ChannelId  # the line's Uniqueid, chosen by the core
    agent: AgentId
    device: DeviceId
    ring_timeout: float
    auto_answer: bool  # ask the phone to answer by itself (Alert-Info / Call-Info)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnToQueue:
    """Withdraw an offer: the caller goes back to the holding loop, keeping its place."""

    channel: ChannelId
    queue: QueueId


class TargetKind(StrEnum):
    QUEUE = "queue"  # enter another queue (blind transfer)
    EXTENSION = "extension"  # dial an extension (blind transfer)
    SURVEY = "survey"  # the post-call survey (P7)
    VOICEMAIL = "voicemail"  # the max-wait rule
    CALLBACK = "callback"  # the max-wait rule: offer a callback (P9)
    ABANDON = "abandon"  # an answered outbound call no agent took in time: the law's message


@dataclass(frozen=True, slots=True, kw_only=True)
class SendCall:
    """Send the caller's channel somewhere else in the dialplan."""

    channel: ChannelId
    kind: TargetKind
    target: str  # queue id, extension, or the queue whose rule applies


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveCall:
    """The caller now waits in another queue (overflow); its place is kept by entry time."""

    channel: ChannelId
    queue: QueueId


@dataclass(frozen=True, slots=True, kw_only=True)
class HangUpChannel:
    channel: ChannelId


@dataclass(frozen=True, slots=True, kw_only=True)
class StartConsult:
    """Attended transfer, first step (P8): the caller goes on hold and the consulting
    agent's leg dials the consulted agent's device (safety timeout `ring_guard`)."""

    channel: ChannelId  # the caller's
    agent_channel: ChannelId  # the consulting agent's leg
    agent: AgentId  # the consulted agent
    device: DeviceId
    ring_guard: float
    recording: str | None = None  # record the consulted agent's part (recording.py)


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeCall:
    """End a consultation (P8): the caller is bridged with an agent leg that is up, back
    to the consulting agent or on to the consulted one; the consulting agent's leg hangs
    up once it has no one left to talk to."""

    channel: ChannelId  # the caller's
    to: ChannelId  # the agent leg the caller joins
    consulting: ChannelId  # the consulting agent's leg


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginateCall:
    """Dial a campaign's contact through the trunk (issue 4). Once a person answers, the
    call enters the campaign's queue like an inbound caller, ahead of them (`priority`)."""

    channel: ChannelId  # the new channel's Uniqueid, chosen by the core: also the call id
    campaign: CampaignId
    queue: QueueId
    number: str
    caller_id: str  # the number presented
    ring_timeout: float  # seconds before the dial is "no answer"
    machine_detection: bool
    priority: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SpyOnCall:
    """Call a supervisor's device; once answered it spies on the agent's leg `target` in
    `mode` (C8). `channel` is the new leg's Uniqueid, chosen by the core."""

    channel: ChannelId
    device: DeviceId
    target: ChannelId
    mode: SpyMode
    agent: AgentId  # shown on the supervisor's phone
    ring_timeout: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SwitchSpy:
    """Restart the supervisor's ChanSpy on the same leg in another mode (no new call)."""

    channel: ChannelId
    target: ChannelId
    mode: SpyMode


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyNotice:
    """Tell Asterisk the queue's outage notice (P20): its prompt, or none (None)."""

    queue: QueueId
    prompt: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArmOffer:
    """Arm slot `slot` of `queue` with an offer to this agent (pre-armed routing, issue 17,
    cti/domain/arming.py): the next caller entering the queue may take it and dial at once.
    The fields are ConnectCall's, for a caller not known yet."""

    queue: QueueId
    slot: int
    token: str
    agent: AgentId
    device: DeviceId
    ring_guard: float
    auto_answer: bool = False
    recording: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Disarm:
    """Empty the slot, then read the taker's intent: Asterisk's answer comes back as an
    ArmDisarmed input (ArmUnsure when it did not answer)."""

    queue: QueueId
    slot: int
    token: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ArmHead:
    """Callers of the queue try its slots from this one on (cti/domain/arm_ring.py)."""

    queue: QueueId
    slot: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ClearArms:
    """Empty slots 1..`slots` of each queue (every resync: arming.py rule 6)."""

    queues: tuple[QueueId, ...]
    slots: int


# Notifications -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CallWaiting:
    """A caller started waiting in a queue (notification for projections and logs)."""

    call: WaitingCall


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferMade:
    """An offer started: the agent's screen pop (caller, queue, time waited)."""

    agent: AgentId
    call: WaitingCall
    at: Instant


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentChanged:
    """An agent's state, status or reason changed."""

    agent: AgentId
    state: AgentState
    previous: AgentState
    reason: str | None
    at: Instant
    call: CallId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueVisitEnded:
    visit: QueueVisit


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferEnded:
    offer: OfferRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingStarted:
    """An agent answered a call its queue records (cti/domain/recording.py rule 3)."""

    recording: Recording


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded:
    record: CallRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class StateIntervalEnded:
    interval: StateInterval


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginEnded:
    session: LoginSession


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceChanged:
    """An agent logged in or out, or changed its chosen status: stored so that a restarted
    server takes the agent back (C1)."""

    presence: Presence


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingRaised:
    finding: Finding


@dataclass(frozen=True, slots=True, kw_only=True)
class ResyncApplied:
    """The live picture was rebuilt from Asterisk; each count is a correction."""

    added: int
    removed: int
    changed: int
    adopted: int = 0  # connected calls taken back (cti/domain/adopt.py)

    @property
    def corrections(self) -> int:
        return self.added + self.removed + self.changed + self.adopted


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptEnded:
    """An outbound dial ended: the attempt as recorded, and its contact as it is now. No
    contact: the core did not claim it (a call re-adopted after a restart, cti/domain/
    adopt.py), so the shell applies the attempt's result to the stored contact."""

    attempt: DialAttempt
    contact: Contact | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackWanted:
    """A customer is to be called back (P9: a waiting caller asked, keeping its place) or
    followed up (P18: a complaint): the shell adds the contact to the queue's callbacks."""

    kind: ContactKind
    queue: QueueId
    number: str
    at: Instant
    call: CallId | None = None  # the call it came from
    agent: AgentId | None = None  # who opened it (a follow-up's agent)
    place: Instant | None = None  # the caller's place in line, kept (P9)
    priority: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactsReturned:
    """Claimed contacts the core will not dial (the campaign paused, a number blocked, the
    calling window closed): the shell makes them pending again."""

    campaign: CampaignId
    contacts: tuple[Contact, ...]
    why: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactsWanted:
    """The campaign's buffer wants this many more claimed contacts (0: enough): the
    dialer's shell claims them in the store and feeds them (FeedContacts)."""

    campaign: CampaignId
    count: int
    # A member of its queue is on a nailed-up line: contacts inside their numbers' quiet
    # periods may be claimed too, and wait in the buffer for such an agent (pacer rule 3).
    guaranteed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignDrained:
    """A running campaign has nothing left to dial: no contact left in the store (as the
    shell last reported), none claimed, none in flight. The core halted it; its finish
    is recorded (CampaignFinish)."""

    campaign: CampaignId
    at: Instant


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoringChanged:
    """A supervisor's monitoring session was asked for, started, switched or ended.
    `spy` is None once it ended; `why` says why it ended or failed, for their page."""

    supervisor: str
    agent: AgentId
    spy: Spy | None
    at: Instant
    why: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoringEnded:
    """A stretch of monitoring in one mode ended: its record (P11)."""

    session: MonitoringSession


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeChanged:
    """A queue's outage notice was set, replaced or cleared (`notice` None), P20."""

    queue: QueueId
    notice: Notice | None
    at: Instant
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakChanged:
    """An agent's request for a longer break was made, decided or ended (P5,
    cti/domain/breaks.py); supervisors see it on the wallboard."""

    request: BreakRequest
    at: Instant
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ArmEnded:
    """An armed offer of the queue ended (pre-armed routing, cti/domain/arming.py)."""

    queue: QueueId
    outcome: ArmOutcome
    at: Instant


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticePlayed:
    """A caller of the queue heard its outage notice (P20)."""

    queue: QueueId
    channel: ChannelId
    at: Instant


# The instructions about one channel (every one but the notice's and the arms').
ChannelInstruction = (
    ConnectCall
    | ReturnToQueue
    | SendCall
    | MoveCall
    | HangUpChannel
    | StartConsult
    | BridgeCall
    | OriginateCall
    | OpenLine
    | SpyOnCall
    | SwitchSpy
)
Instruction = ChannelInstruction | ApplyNotice | ArmOffer | Disarm | ArmHead | ClearArms
Notification = (
    CallWaiting
    | OfferMade
    | AgentChanged
    | QueueVisitEnded
    | OfferEnded
    | CallEnded
    | StateIntervalEnded
    | LoginEnded
    | PresenceChanged
    | FindingRaised
    | ResyncApplied
    | AttemptEnded
    | ContactsReturned
    | CallbackWanted
    | ContactsWanted
    | CampaignDrained
    | MonitoringChanged
    | MonitoringEnded
    | NoticeChanged
    | NoticePlayed
    | ArmEnded
    | BreakChanged
    | RecordingStarted
)
Effect = Instruction | Notification
Record = (
    QueueVisit
    | OfferRecord
    | CallRecord
    | StateInterval
    | LoginSession
    | Finding
    | Presence
    | EndedAttempt
    | ContactsRelease
    | CampaignFinish
    | MonitoringSession
    | Recording
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ignored:
    """An input that changed nothing, and why (duplicates, unknown channels)."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejected:
    """A command refused, with the reason (the API answers 4xx with it)."""

    reason: str
    code: str  # not_found | conflict | invalid


Note = Ignored | Rejected
