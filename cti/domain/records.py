"""History records: what the core hands to storage, as plain values.

Rule 1: a record is final when emitted; storage never updates it afterwards.
Rule 2: durations are derived from the instants they span and are never negative.
Rule 3: each record has a natural key (named on the class) so writing it twice stores it once.
Rule 4: a call's outcome is answered, else abandoned, else unanswered: one of the three,
derived from `answered` and `abandoned` (what the stored call table keeps), never stored apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId


def _span(start: Instant, end: Instant) -> float:
    return max(0.0, end - start)


class VisitOutcome(StrEnum):
    ABANDONED = "abandoned"  # the caller hung up while waiting
    CONNECTED = "connected"  # an agent answered
    MOVED = "moved"  # left for another queue (overflow, transfer) without hanging up
    LOST = "lost"  # gone when the server resynced after an outage; exact end unknown
    REDIRECTED = "redirected"  # sent on by the queue's max-wait rule (voicemail, callback)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueVisit:
    """One caller's stay in one queue. Key: (channel, queue, entered_at)."""

    call: CallId
    channel: ChannelId
    queue: QueueId
    caller: str
    priority: int
    entered_at: Instant
    left_at: Instant
    outcome: VisitOutcome

    @property
    def wait_seconds(self) -> float:
        return _span(self.entered_at, self.left_at)


class OfferOutcome(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"  # the ring limit passed (C3)
    BUSY = "busy"
    UNAVAILABLE = "unavailable"  # the phone could not be reached
    CALLER_HUNG_UP = "caller_hung_up"  # withdrawn because the caller hung up
    FAILED = "failed"  # the redirect to the agent failed, or the link dropped
    CANCELLED = "cancelled"  # the consulting agent took a consultation back (P8)
    HOLD_EXPIRED = "hold_expired"  # an answered outbound call's 2 s ran out (the law)


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferRecord:
    """One offer of one call to one agent. Key: (call, agent, offered_at)."""

    call: CallId
    queue: QueueId
    agent: AgentId
    device: DeviceId
    offered_at: Instant
    ring_started_at: Instant | None  # None: the phone never rang
    ended_at: Instant
    rings: int  # ring cycles begun before the offer ended (answered on ring `rings`)
    outcome: OfferOutcome


class Side(StrEnum):
    CALLER = "caller"
    AGENT = "agent"


class SegmentKind(StrEnum):
    QUEUE = "queue"  # waiting in a queue
    TALK = "talk"  # connected to an agent (or an extension)
    HOLD = "hold"
    WRAP_UP = "wrap_up"  # the agent's after-call work for this segment's talk


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """One part of a call. Talk and wrap-up segments carry the agent they are credited to."""

    kind: SegmentKind
    start: Instant
    end: Instant
    queue: QueueId | None = None
    agent: AgentId | None = None
    outcome: str = ""  # queue: visit outcome; talk: who released; wrap-up: how it ended
    disposition: str | None = None

    @property
    def seconds(self) -> float:
        return _span(self.start, self.end)


class CallOutcome(StrEnum):
    """How a call ended for the caller, from the record's own flags (rule 4)."""

    ANSWERED = "answered"  # an agent answered, in some queue
    ABANDONED = "abandoned"  # hung up while waiting, never answered
    UNANSWERED = "unanswered"  # neither: sent on by max-wait (voicemail, callback), or lost


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """One call from its first queue entry until the caller and every wrap-up are done.
    Key: call."""

    call: CallId
    caller: str
    queue: QueueId  # the queue the caller first entered
    entered_at: Instant
    ended_at: Instant
    segments: tuple[Segment, ...]
    offers: int
    answered: bool
    abandoned: bool  # hung up while waiting, never answered
    abandon_wait: float | None  # the wait before abandoning
    released_by: Side | None  # who released the last talk with an agent first (P2)
    survey_score: int | None  # 1-5 (P7)
    disposition: str | None  # of the last wrap-up

    @property
    def outcome(self) -> CallOutcome:
        if self.answered:
            return CallOutcome.ANSWERED
        return CallOutcome.ABANDONED if self.abandoned else CallOutcome.UNANSWERED


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    RESERVED = "reserved"  # kept free for one outbound call being dialled (issue 4)
    OFFERED = "offered"  # the agent's phone rings with a call
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    NOT_READY = "not_ready"


@dataclass(frozen=True, slots=True, kw_only=True)
class StateInterval:
    """A span of one agent in one state. Key: (agent, start). Intervals never overlap."""

    agent: AgentId
    state: AgentState
    reason: str | None  # the not-ready reason
    start: Instant
    end: Instant
    call: CallId | None = None
    approved_by: str = ""  # a not-ready spell a supervisor approved as a longer break (P5)

    @property
    def seconds(self) -> float:
        return _span(self.start, self.end)


class LoginEnd(StrEnum):
    LOGGED_OUT = "logged_out"
    TAKEN_OVER = "taken_over"  # the agent logged in again elsewhere (P3)
    FORCED = "forced"  # a supervisor logged the agent out


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginSession:
    """An agent's login on a device, with the address it came from (P3, P19).
    Key: (agent, start)."""

    agent: AgentId
    device: DeviceId
    address: str
    start: Instant
    end: Instant
    ended: LoginEnd
    by: str  # who ended it


@dataclass(frozen=True, slots=True, kw_only=True)
class Presence:
    """An agent's login and chosen status as of `at`, so that a restarted server takes the
    logged-in agents back (C1). Key: agent; the latest one stands. `device` None: logged
    out (the stored presence is removed)."""

    agent: AgentId
    at: Instant
    device: DeviceId | None = None
    address: str = ""
    logged_in_at: Instant | None = None
    ready: bool = True
    reason: str | None = None  # the not-ready reason of the status
    reason_by: str = ""

    @property
    def logged_in(self) -> bool:
        return self.device is not None


NO_AGENT: Final = AgentId("")  # a finding of a queue's, a number's or an address's


class Rule(StrEnum):
    RING_LIMIT = "C3.ring_limit"  # an offer not answered within N rings
    AGENT_RELEASED_FIRST = "P2.agent_released_first"
    WRAP_UP_OVERRUN = "C4.wrap_up_overrun"  # wrap-up ended by the queue's maximum
    NOT_READY_OVERRUN = "P5.not_ready_overrun"  # not ready longer than the reason allows
    SECOND_LOGIN = "P3.second_login"  # an agent logged in while already logged in
    CALLBACK_OVERDUE = "P9.callback_overdue"  # a promised callback not dialled by its due time
    FOLLOW_UP_OVERDUE = "P18.follow_up_overdue"  # a complaint's follow-up not done by its due
    SIGNIN_FAILURES = "P22.signin_failures"  # failed sign-ins in a row: logins now wait
    REPEAT_ABANDON = "C5.repeat_abandon"  # a number abandoned again inside its quiet period
    HOLD_MISSED = "C5.hold_missed"  # an agent offered an outbound call missed the 2 s hold
    LATE = "P4.late"  # a duty's first login after its start plus the grace (issue 16)
    ABSENT = "P4.absent"  # more than an hour late or early, or never in
    EARLY_LEAVE = "P4.early_leave"  # a duty's last logout before its end
    AWAY = "P5.away"  # not ready or logged out too long while scheduled on queue
    URGENT_WAIT = "P10.urgent_wait"  # an urgent caller waited past the queue's urgent_wait
    LEFT_BEFORE_SUCCESSOR = "P12.left_before_successor"  # a handover's seat left empty
    MONITORING_QUOTA = "P11.monitoring_quota"  # fewer than 2 calls monitored in a week


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One breach, with the evidence a supervisor checks. Key: (rule, agent, at)."""

    rule: Rule
    agent: AgentId
    at: Instant
    measured: float
    limit: float
    call: CallId | None = None
    detail: str = ""


class SpyMode(StrEnum):
    """How a supervisor monitors an agent's call (C8): ChanSpy's q, w or B."""

    LISTEN = "listen"  # hears both sides; nobody hears the supervisor
    WHISPER = "whisper"  # talks to the agent only
    BARGE = "barge"  # talks to both


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoringSession:
    """One stretch of a supervisor spying on one agent's call in one mode (C8, P11): from
    Asterisk's ChanSpyStart to its ChanSpyStop (or the supervisor's hang-up). A change of
    mode ends one and starts the next. Key: (supervisor, started_at)."""

    supervisor: str
    device: DeviceId
    agent: AgentId
    call: CallId
    mode: SpyMode
    started_at: Instant
    ended_at: Instant

    @property
    def seconds(self) -> float:
        return _span(self.started_at, self.ended_at)
