"""Answers: one pydantic model per response body, from which the OpenAPI document says what
each route returns.

Rule 1: an answer describes what clients rely on; views (cti/api/views.py and the route
modules) build it as JSON and may say more (extra fields allowed), never less or other:
tests/api/test_openapi.py validates real answers against these models.
Rule 2: what is a configuration value is the core's shape, derived (cti/schema): a
campaign's `config` is its PUT body, a queue's view the queue's settings.
Rule 3: an answer is the body of its route's success; one that is also the body of an
error status lists it in `statuses` (Health: /healthz answers 503 with it, saying what is
down), and the document says so; every other error is an Error.
"""

from __future__ import annotations

from typing import ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from cti.api.shapes import CampaignBody
from cti.domain.config import AgentProfile, NotReadyReason, QueueConfig
from cti.domain.outbound.campaign import AttemptResult, CampaignStatus, SeatTargets
from cti.domain.outbound.contact import ContactKind, ContactStatus
from cti.domain.outbound.pacing import DialMode
from cti.domain.outbound.seats import Advice, Bound, Measure
from cti.domain.records import AgentState, VisitOutcome
from cti.schema.model import model_of

OPEN: Final = ConfigDict(extra="allow")
Instant = float | None  # epoch seconds


class Answer(BaseModel):
    model_config = OPEN
    # Error statuses answered with this model rather than Error (cti/api/openapi.py).
    statuses: ClassVar[tuple[int, ...]] = ()


class Error(Answer):
    error: str
    field: str | None = Field(None, description="the field to fix (400, 422)")


class Consultation(Answer):
    by: str
    agent: str
    answered: bool


class CurrentCall(Answer):
    call_id: str
    caller: str
    queue: str | None
    waited_seconds: float
    consult: Consultation | None = Field(None, description="an attended transfer (P8)")


class Outbound(Answer):
    campaign: str
    contact: str
    number: str
    fields: dict[str, str]
    script: str
    preview: bool


class WrapUpView(Answer):
    queue: str | None = Field(description="the queue whose call it wraps up")
    dispositions: list[str] = Field(description="the queue's disposition codes")
    required: bool = Field(description="wrap-up must end with one of them (C4)")
    ends_at: Instant | None = Field(description="when the queue's maximum ends it (null: none)")


class AgentView(Answer):
    agent: str
    name: str
    queues: list[str]
    state: AgentState
    reason: str | None
    status: dict[str, object] | None
    since: Instant
    logged_in_at: Instant
    device: str | None
    address: str | None
    call: CurrentCall | None
    calls_answered: int
    misses_in_row: int
    outbound: Outbound | None = Field(None, description="the contact of a campaign (P25)")
    previews: list[str] = Field(
        default_factory=list,
        description="running preview campaigns of the agent's queues it can take a contact of",
    )
    wrap_up: WrapUpView | None = Field(None, description="while in wrap-up: what ends it (C4)")


class AgentAnswer(Answer):
    agent: AgentView


class SessionAnswer(Answer):
    name: str = Field(description="who is signed in")
    role: str = Field(description="agent, supervisor, admin or viewer: what it may do")
    expires_at: float | None = Field(description="epoch seconds; null for an API token")
    device: str | None = Field(
        None,
        description="a supervisor's phone for listen, whisper and barge (C8), if set; an "
        "agent's login device",
    )
    agent: str | None = Field(None, description="the agent an agent's token speaks for")
    today: dict[str, object] | None = Field(
        None, description="the centre's today: {date, since, until, timezone} (its figures)"
    )


class SignedOut(Answer):
    signed_out: bool = Field(description="a session was ended (false: there was none)")


class LoginAnswer(AgentAnswer):
    token: str | None = Field(
        description="the agent's token while this login lasts (null: it is in the session "
        "cookie, for the desktop page)"
    )


class IceServer(Answer):
    """One of the browser's RTCIceServers (softphone.ice_servers)."""

    urls: list[str]
    username: str | None = None
    credential: str | None = None


class SoftphoneView(Answer):
    device: str = Field(description="the PJSIP device the browser registers as, e.g. PJSIP/1901")
    websocket_url: str = Field(description="Asterisk's SIP WebSocket (ws:// or wss://)")
    uri: str = Field(description="the SIP URI to register, sip:<device id>@<host>")
    username: str = Field(description="the SIP user (the device id)")
    password: str = Field(description="the softphone's SIP password (cti/softphone.py)")
    ice_servers: list[IceServer] = Field(
        default_factory=list, description="STUN and TURN servers for the browser (RTCIceServer)"
    )


class SoftphoneAnswer(Answer):
    softphone: SoftphoneView


class Agents(Answer):
    agents: list[AgentView]


class QueueView(Answer):
    queue: str
    name: str
    waiting: int
    oldest_wait_seconds: float
    calls: list[dict[str, object]] = Field(description="callers in serve order")
    agents: dict[str, list[str]] = Field(description="member ids by state")
    offers: list[dict[str, object]]


class Queues(Answer):
    queues: list[QueueView]


QueueSettings: Final = model_of(QueueConfig, name="QueueSettings")
AgentSettings: Final = model_of(AgentProfile, name="AgentSettings")
ReasonSettings: Final = model_of(NotReadyReason, name="ReasonSettings")


class Reasons(Answer):
    reasons: list[ReasonSettings]  # type: ignore[valid-type]


class Config(Answer):
    queues: list[QueueSettings]  # type: ignore[valid-type]
    agents: list[AgentSettings]  # type: ignore[valid-type]
    reasons: list[ReasonSettings]  # type: ignore[valid-type]


class Changed(Answer):
    """The stored value under its kind (queue, agent, reason), or what was deleted."""

    queue: QueueSettings | None = None  # type: ignore[valid-type]
    agent: AgentSettings | None = None  # type: ignore[valid-type]
    reason: ReasonSettings | None = None  # type: ignore[valid-type]
    deleted: dict[str, str] | None = None
    reloaded: bool | None = None  # POST /admin/reload


class Call(Answer):
    call: dict[str, object] = Field(description="the call record with its segments")
    offers: list[dict[str, object]]


NEXT: Final = "the cursor of the next page (query parameter `cursor`); null: the last page"


class Calls(Answer):
    calls: list[dict[str, object]] = Field(
        description="call records with their segments and outcome, oldest entry first"
    )
    next: str | None = Field(description=NEXT)


class Findings(Answer):
    findings: list[dict[str, object]]
    next: str | None = Field(description=NEXT)


class Figures(Answer):
    figures: dict[str, object]


class QueueFigures(Answer):
    queue: str
    since: float
    until: float
    service_level_seconds: float = Field(description="T: the queue's service-level threshold")
    offered: int = Field(description="visits that entered the queue in the range")
    answered: int
    abandoned: int
    by_outcome: dict[VisitOutcome, int] = Field(description="visits by how they ended")
    answered_within: int = Field(description="answered with a wait of at most T")
    service_level: float | None = Field(description="answered within T / (answered + abandoned)")
    abandon_rate: float | None = Field(description="abandoned / (answered + abandoned)")
    asa_seconds: float | None = Field(description="average wait of answered calls")
    handled: int = Field(description="wrap-ups: each agent handling a call does one")
    talk_seconds: float
    hold_seconds: float
    wrap_up_seconds: float
    aht_seconds: float | None = Field(description="(talk + hold + wrap-up) / handled")


class QueueFiguresAnswer(Answer):
    figures: QueueFigures


class Progress(Answer):
    contacts: int
    by_status: dict[ContactStatus, int]
    due_now: int = Field(description="pending contacts that may be dialled now (due by now)")
    next_due: Instant = Field(
        description="the earliest instant a pending contact is due, epoch seconds (null when"
        " none is pending); after now while every pending contact is put off for later (a"
        " quiet period, a retry's delay, the calling window): the campaign stays running"
    )


class CampaignSummary(Answer):
    id: str
    name: str
    queue: str
    mode: DialMode
    status: CampaignStatus
    progress: Progress


class CampaignView(CampaignSummary):
    config: CampaignBody = Field(description="a valid PUT body")  # type: ignore[valid-type]


class Campaigns(Answer):
    campaigns: list[CampaignSummary]


class CampaignAnswer(Answer):
    campaign: CampaignView
    created: bool | None = Field(None, description="PUT only")


class Upload(Answer):
    imported: int
    already: int = Field(description="numbers the campaign had")
    errors: list[str] = Field(description="line <n>: reason")


class Numbers(Answer):
    numbers: list[str]


class Blocked(Numbers):
    added: int


class AbandonWindow(Answer):
    seconds: float
    since: float
    until: float
    answered_by_person: int
    abandoned: int
    abandon_rate: float | None
    cap: float = Field(description="the abandon cap, a fraction (0.03)")
    at_cap: bool
    room: float = Field(description="abandons that keep the rate within the cap")
    dials_ahead: bool = Field(description="predictive may dial ahead (room >= 1)")


class Stats(Answer):
    campaign: str
    since: Instant
    until: Instant
    attempts: int
    by_result: dict[AttemptResult, int]
    dials: int = Field(description="attempts that were not preview skips")
    answered_by_person: int
    connected: int
    abandoned: int
    abandon_rate: float | None = Field(description="abandoned / answered by a person")
    average_ring_seconds: float | None
    average_connect_seconds: float | None
    progress: Progress
    window: AbandonWindow


class CampaignStats(Answer):
    stats: Stats


class AttemptView(Answer):
    id: str
    campaign: str
    contact: str
    number: str
    agent: str | None
    mode: DialMode
    result: AttemptResult
    person: bool
    started_at: Instant
    answered_at: Instant
    connected_at: Instant
    ended_at: Instant
    ring_seconds: float
    connect_seconds: float | None


class Attempts(Answer):
    attempts: list[AttemptView]
    next: str | None = Field(description=NEXT)


class SeatFinding(Answer):
    rule: Literal["P16.seat_dials", "P16.seat_successes"]
    agent: str
    measure: Measure
    value: int
    bound: Bound
    limit: int
    advice: Advice
    text: str


class SeatDay(Answer):
    agent: str
    dials: int
    successes: int
    in_range: bool
    findings: list[SeatFinding]


class Volume(Answer):
    dials: int
    successes: int


class Staffing(Answer):
    seats: int = Field(description="seats that dialled")
    volume: Volume
    seats_needed: int
    seats_supported: int | None
    seats_short: int
    dials_short: int
    successes_short: int
    advice: list[Advice]
    text: list[str]


Targets: Final = model_of(SeatTargets, name="SeatTargets")


class Seats(Answer):
    day: str = Field(description="YYYY-MM-DD")
    timezone: Literal["UTC"]
    since: float
    until: float
    campaign: str | None
    targets: Targets  # type: ignore[valid-type]
    seats: list[SeatDay]
    staffing: Staffing


class CallbackView(Answer):
    id: str
    campaign: str
    kind: ContactKind
    number: str
    timezone: str
    status: ContactStatus
    agent: str | None = Field(description="promised to; null: the queue's")
    at: float = Field(description="dialled from (epoch seconds)")
    due: Instant = Field(description="dialled (a follow-up: done) by, else overdue")
    overdue: bool
    place: Instant = Field(description="a waiting caller's place in line, kept (P9)")
    attempts: int
    last_result: str | None
    fields: dict[str, str]


class CallbackAnswer(Answer):
    callback: CallbackView


class Callbacks(Answer):
    callbacks: list[CallbackView]
    next: str | None = Field(description=NEXT)


class AmiHealth(Answer):
    connected: bool = Field(description="the AMI session is logged in")
    reconnects: int = Field(description="logins since the start, the first one excluded")


class DatabaseHealth(Answer):
    reachable: bool = Field(
        description="a new connection answers within 2 s (SQLite: none is opened while the"
        " file open is not at its path)"
    )
    writable: bool = Field(
        description="a write would be committed now: a transaction took the write lock within"
        " 0.5 s (and was rolled back), and, SQLite, the file open is the file at its path"
    )
    file: Literal["same", "moved", "replaced"] | None = Field(
        description="SQLite: the file at the configured path is the one open (same), there is"
        " none (moved away or deleted) or it is another one (replaced); null: PostgreSQL"
    )
    reason: str | None = Field(description="what is wrong; null when reachable and writable")


class Health(Answer):
    """The body of 200 and of 503 alike (`statuses`): 503 says what is down."""

    statuses: ClassVar[tuple[int, ...]] = (503,)
    status: Literal["ok", "degraded"] = Field(description="ok: AMI connected, database writable")
    ami: AmiHealth
    database: DatabaseHealth


class Document(Answer):
    openapi: str


class SpyView(Answer):
    supervisor: str
    agent: str
    call_id: str
    device: str
    mode: Literal["listen", "whisper", "barge"]
    state: Literal["calling", "spying"] = Field(
        description="the supervisor's phone rings, or ChanSpy runs in `mode` since started_at"
    )
    asked_at: float
    started_at: float | None


class MonitoringAnswer(Answer):
    monitoring: SpyView | None = Field(description="the supervisor's session; null: none")


class MonitoringList(Answer):
    monitoring: list[SpyView]


class MonitoringSession(Answer):
    supervisor: str
    device: str
    agent: str
    call: str
    mode: Literal["listen", "whisper", "barge"]
    started_at: float
    ended_at: float
    seconds: float


class MonitoringSessions(Answer):
    sessions: list[MonitoringSession]
    next: str | None = Field(description=NEXT)


class Recording(Answer):
    id: int
    call: str
    agent: str
    queue: str
    file: str = Field(description="the file, relative to recording.directory")
    started_at: float = Field(description="the agent's answer: the recording's start")
    seconds: float | None = Field(description="the file's length; null: no file to read")
    available: bool = Field(description="the audio can be played")
    deleted_at: float | None = Field(description="when retention deleted the file")
    audio: str = Field(description="where its audio is (audio/wav)")


class Recordings(Answer):
    recordings: list[Recording]
    next: str | None = Field(description=NEXT)


class AgentQuota(Answer):
    agent: str
    calls: int = Field(description="distinct calls monitored in the week (P11)")
    sessions: int = Field(description="stretches recorded (a switch of mode starts one)")
    seconds: float
    target: int
    met: bool


class MonitoringQuota(Answer):
    since: float
    until: float
    target: int = Field(description="calls a week per agent (P11: 2)")
    agents: list[AgentQuota]


class NoticeView(Answer):
    queue: str
    prompt: str
    text: str
    by: str = Field(description="who set it")
    since: float


class NoticeAnswer(Answer):
    notice: NoticeView | None = Field(description="null once cleared")


class Notices(Answer):
    notices: list[NoticeView]


# Compliance (issue 16) -------------------------------------------------------------------


class RuleParamView(Answer):
    name: str
    doc: str
    default: float
    bounds: str = Field(description="the values it takes, in words")
    scopes: list[Literal["centre", "team", "agent"]]
    overrides: list[dict[str, object]] = Field(description="{scope, target, value} in force")


class RuleView(Answer):
    id: str = Field(description="the findings' rule, e.g. P4.late")
    requirement: str
    title: str
    checks: str
    evidence: str
    source: Literal["core", "records"] = Field(
        description="core: judged as events arrive by the routing core; records: judged"
        " over records, live and over any period"
    )
    configured_by: str = Field(description="core rules: the settings that set their limits")
    params: list[RuleParamView]


class Rules(Answer):
    rules: list[RuleView]


class ScheduleActivityView(Answer):
    agent: str
    start: float
    end: float
    activity: str
    position: str
    local: dict[str, str] = Field(description="{date, start, end} in the centre's time zone")


class Schedule(Answer):
    activities: list[ScheduleActivityView]


class ScheduleReplaced(Answer):
    replaced: int = Field(description="activities of the period removed")
    stored: int


class Acknowledgement(Answer):
    finding: int
    by: str
    at: float
    note: str


class AuditAnswer(Answer):
    duties: int = Field(description="scheduled duties that started in the period")
    found: int = Field(description="findings the period's records give")
    raised: int = Field(description="of which new, raised now")


class BreakView(Answer):
    agent: str
    reason: str
    seconds: float
    asked_at: float
    asked_by: str
    phase: Literal["pending", "approved", "refused", "ended"]
    decided_by: str
    decided_at: float | None
    used: bool = Field(description="an approval that became the limit of a break")


class BreakAnswer(Answer):
    request: BreakView


class Breaks(Answer):
    breaks: list[BreakView]


class AdherenceView(Answer):
    agent: str
    scheduled: float = Field(description="seconds scheduled in the day (so far)")
    adherent: float = Field(description="of which doing the scheduled activity")
    adherence: float | None = Field(description="adherent / scheduled; null: nothing scheduled")
    target: float
    met: bool | None
    by_activity: dict[str, dict[str, float]] = Field(
        description="{activity: {scheduled, adherent}}"
    )


class AdherenceAnswer(Answer):
    date: str
    since: float
    until: float
    agents: list[AdherenceView]


class HandoverNoteView(Answer):
    id: int
    position: str
    author: str
    successor: str
    handover_at: float
    written_at: float
    text: str
    acknowledged_at: float | None


class HandoverNotes(Answer):
    notes: list[HandoverNoteView]


class EvaluationView(Answer):
    id: int
    call: str
    agent: str
    evaluator: str
    score: float
    note: str
    at: float


class Evaluations(Answer):
    evaluations: list[EvaluationView]


class SampleView(Answer):
    agent: str
    rate: int = Field(description="calls sampled this week")
    why: Literal["base", "new agent", "low score"]
    calls: list[str]
    evaluated: list[str] = Field(description="of those, the calls already evaluated")
    recordings: dict[str, list[int]] = Field(
        description="of those, the ones recorded: call -> the agent's recordings of it (ids)"
    )


class QaSample(Answer):
    week: dict[str, float] = Field(description="{start, end}")
    agents: list[SampleView]
