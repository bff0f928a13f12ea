"""Inputs to the core: telephony events (past tense), snapshots, commands and ticks.

Rule 1: every input is a frozen, slotted, keyword-only dataclass carrying its own time.
Rule 2: the unions are closed; `decide` matches them exhaustively.
Rule 3: nothing here knows AMI header names; cti/ami translates frames into these.
Rule 4: channels are Asterisk's: `channel` is always the caller's, `agent_channel` the leg
dialled to the agent's phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cti.domain.commands import Command
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.outbound.campaign import CampaignId
from cti.domain.queue import WaitingCall


class DialStatus(StrEnum):
    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"  # CHANUNAVAIL, CONGESTION: the phone could not be reached
    CANCEL = "cancel"  # the caller's side ended the dial (hung up, or was redirected)
    OTHER = "other"


class DeviceState(StrEnum):
    NOT_IN_USE = "not_in_use"
    IN_USE = "in_use"
    BUSY = "busy"
    RINGING = "ringing"
    RING_IN_USE = "ring_in_use"
    ON_HOLD = "on_hold"
    UNAVAILABLE = "unavailable"  # e.g. a PJSIP endpoint with no registered contact
    INVALID = "invalid"
    UNKNOWN = "unknown"

    @property
    def registered(self) -> bool:
        """Whether the device can be dialled at all (an agent may log in on it)."""
        return self not in (DeviceState.UNAVAILABLE, DeviceState.INVALID, DeviceState.UNKNOWN)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerQueued:
    """A caller's channel entered a queue's holding loop (dialplan UserEvent CtiQueueEnter)."""

    at: Instant
    entry: WaitingCall


@dataclass(frozen=True, slots=True, kw_only=True)
class ArmTaken:
    """A caller entering a queue took an armed offer and is dialling its agent (dialplan
    UserEvent CtiArmTaken): the caller queued and the offer begun, in one (arming.py)."""

    at: Instant
    queue: QueueId
    slot: int
    token: str
    entry: WaitingCall


@dataclass(frozen=True, slots=True, kw_only=True)
class ArmAborted:
    """A caller committing to an arm found it changed under it (CtiArmAborted): no take."""

    at: Instant
    queue: QueueId
    slot: int
    token: str
    channel: ChannelId


@dataclass(frozen=True, slots=True, kw_only=True)
class ArmDisarmed:
    """Asterisk's answer to a Disarm: the slot is empty, and the intent it held then
    (`intent`: a caller's token, `taker`: that caller's channel; empty when none)."""

    at: Instant
    queue: QueueId
    slot: int
    token: str
    intent: str
    taker: ChannelId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArmUnsure:
    """An ArmOffer or Disarm Asterisk refused or did not answer: the slot's content is not
    known."""

    at: Instant
    queue: QueueId
    slot: int
    token: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelHungUp:
    at: Instant
    channel: ChannelId
    cause: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HangupRequested:
    """A channel's own side asked to hang up (its phone sent BYE): names who released (P2)."""

    at: Instant
    channel: ChannelId


@dataclass(frozen=True, slots=True, kw_only=True)
class DialStarted:
    """The caller's channel began dialling a device (Dial in cti-connect)."""

    at: Instant
    channel: ChannelId
    agent_channel: ChannelId
    device: DeviceId


@dataclass(frozen=True, slots=True, kw_only=True)
class PhoneRinging:
    """The dialled phone reported ringing: the first ring of the offer (C3)."""

    at: Instant
    channel: ChannelId
    agent_channel: ChannelId


@dataclass(frozen=True, slots=True, kw_only=True)
class DialEnded:
    """A dial from the caller's channel ended. From the dialplan's own result (which also
    covers phones that never got a leg) the leg is unknown and the agent is named instead."""

    at: Instant
    channel: ChannelId
    agent_channel: ChannelId | None  # None: the dialplan's result, which names no leg
    status: DialStatus
    agent: AgentId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LineUp:
    """An agent's nailed-up line answered and waits for callers (UserEvent CtiLineUp)."""

    at: Instant
    channel: ChannelId  # the line's Uniqueid, chosen by the core
    agent: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class LineBridged:
    """A caller is being bridged to an agent's nailed-up line (UserEvent CtiLineConnect,
    sent on the caller's channel just before its Bridge): the offer is answered."""

    at: Instant
    channel: ChannelId  # the caller's
    line: ChannelId
    agent: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceStateChanged:
    at: Instant
    device: DeviceId
    state: DeviceState


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyAnswered:
    """The caller keyed a post-call survey score (dialplan UserEvent CtiSurvey, P7)."""

    at: Instant
    call: CallId
    channel: ChannelId
    score: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRequested:
    """A waiting caller offered a callback by the queue's max-wait rule keyed 1 (dialplan
    UserEvent CtiCallbackRequested, P9); the caller hangs up next."""

    at: Instant
    channel: ChannelId
    number: str  # the caller's number, to call back


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackDeclined:
    """The caller did not want the callback (CtiCallbackDeclined): back to the holding
    loop, place kept."""

    at: Instant
    channel: ChannelId


@dataclass(frozen=True, slots=True, kw_only=True)
class CallControlFailed:
    """Asterisk refused or never answered an instruction for this caller's channel."""

    at: Instant
    channel: ChannelId
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginateEnded:
    """Asterisk's word on an outbound dial (OriginateResponse): answered, or not, with
    Asterisk's reason code (3: no answer; 0: busy, congestion, failure alike)."""

    at: Instant
    channel: ChannelId  # the dial's channel (its Uniqueid, chosen by the core)
    answered: bool
    reason: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineAnswered:
    """Answering-machine detection heard a machine on an outbound call (CtiOutboundMachine)."""

    at: Instant
    channel: ChannelId
    cause: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SpyStarted:
    """ChanSpy began spying from `channel` (the supervisor's leg) on `target` (ChanSpyStart)."""

    at: Instant
    channel: ChannelId
    target: ChannelId


@dataclass(frozen=True, slots=True, kw_only=True)
class SpyStopped:
    """ChanSpy on `channel` stopped spying (ChanSpyStop): the call ended, the supervisor
    hung up, or a switch of mode restarts it."""

    at: Instant
    channel: ChannelId


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeHeard:
    """A caller entering `queue` is played its outage notice (UserEvent CtiNotice, P20)."""

    at: Instant
    channel: ChannelId
    queue: QueueId


@dataclass(frozen=True, slots=True, kw_only=True)
class TelephonyLost:
    """The AMI link is down: nothing new may be dialled until the next resync (issue 4)."""

    at: Instant


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectedCall:
    """A caller bridged with an agent's phone, as a resync found it (C1). Its instants are
    on the server's timeline (cti/ami/timeline.py)."""

    call: CallId
    channel: ChannelId  # the caller's
    agent_channel: ChannelId  # the leg to the agent's phone
    device: DeviceId  # that phone
    queue: QueueId
    caller: str
    entered_at: Instant  # the caller entered the queue (for an outbound call: answered)
    answered_at: Instant  # the agent answered: the talk began
    campaign: CampaignId | None = None  # an outbound campaign's call
    dialled_at: Instant | None = None  # an outbound call's dial (its channel's creation)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resynced:
    """Asterisk's own picture after a (re)login: waiting channels, device states and the
    calls connected to agents."""

    at: Instant
    waiting: tuple[WaitingCall, ...]
    devices: tuple[tuple[DeviceId, DeviceState], ...] = ()
    connected: tuple[ConnectedCall, ...] = ()
    # Pre-armed routing (cti/domain/arming.py): the slots per queue this run may arm (the
    # server's setting, at most the dialplan's CTI_ARM_SLOTS), and the dialplan's count,
    # every one of which is cleared.
    arm_slots: int = 0
    dialplan_slots: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick:
    """The engine woke for a deadline; `at` is the time it woke."""

    at: Instant


TelephonyEvent = (
    CallerQueued
    | ChannelHungUp
    | HangupRequested
    | DialStarted
    | PhoneRinging
    | DialEnded
    | LineUp
    | LineBridged
    | DeviceStateChanged
    | SurveyAnswered
    | CallbackRequested
    | CallbackDeclined
    | CallControlFailed
    | OriginateEnded
    | MachineAnswered
    | SpyStarted
    | SpyStopped
    | NoticeHeard
    | ArmTaken
    | ArmAborted
    | ArmDisarmed
    | ArmUnsure
)
Input = TelephonyEvent | Resynced | TelephonyLost | Tick | Command
