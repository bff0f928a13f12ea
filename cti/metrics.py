"""Prometheus metrics: the only importer of prometheus_client.

Rules:
1. Names carry the `cti_` prefix and base units (`_seconds`, `_total`).
2. Labels are bounded: queue, campaign and event names only, never call or channel ids.
   Queues and campaigns are admin-configured. Event names come from the wire, so at most
   MAX_EVENT_LABELS distinct ones are kept; the rest count under "other".
3. Counters are derived from decisions (Observer); gauges of live state are read from the
   engine's state when scraped, so they can never drift from it.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import tzinfo
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from cti.domain.acd import AcdState, Decision
from cti.domain.compliance.adherence import Adherence
from cti.domain.effects import (
    ArmEnded,
    AttemptEnded,
    CallEnded,
    CallWaiting,
    FindingRaised,
    MonitoringEnded,
    NoticePlayed,
    OfferEnded,
    QueueVisitEnded,
    ResyncApplied,
    StateIntervalEnded,
)
from cti.domain.ids import AgentId, Instant, QueueId
from cti.domain.line import LinePhase
from cti.domain.monitoring_quota import WEEKLY_CALLS, quotas, week_of
from cti.domain.outbound.attempt import DialAttempt
from cti.domain.outbound.campaign import CampaignId
from cti.domain.outbound.dial import LiveCampaign
from cti.domain.outbound.pacing import DialMode
from cti.domain.records import (
    AgentState,
    CallRecord,
    MonitoringSession,
    OfferOutcome,
    OfferRecord,
    SegmentKind,
    SpyMode,
    VisitOutcome,
)

MAX_EVENT_LABELS: Final = 200
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
WAIT_BUCKETS: Final = (1, 5, 10, 20, 30, 60, 120, 300, 600)
RING_BUCKETS: Final = (1, 2, 3, 4, 5, 6, 8, 10)
TALK_BUCKETS: Final = (10, 30, 60, 120, 180, 300, 600, 1200, 1800, 3600)
WRAP_UP_BUCKETS: Final = (5, 10, 20, 30, 60, 90, 120, 180, 300, 600)
LAG_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
CONNECT_BUCKETS: Final = (0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5)  # the law's hold is 2 s
DIAL_RING_BUCKETS: Final = (1, 2, 3, 5, 8, 10, 15, 20, 25, 30, 45, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events_counter = Counter(
            "cti_ami_events_total", "AMI events received", ["event"], registry=r
        )
        self.signin_counter = Counter(
            "cti_signin_attempts_total",
            "Sign-in outcomes the guard counted: wrong (a failed PIN), refused (429 while a"
            " key must wait), locked (a key reached the longest wait)",
            ["outcome"],
            registry=r,
        )
        self.malformed_counter = Counter(
            "cti_ami_malformed_events_total",
            "AMI frames or events skipped as malformed",
            registry=r,
        )
        self.ami_reconnects = Counter(
            "cti_ami_reconnects_total", "AMI logins after the first one", registry=r
        )
        self.resync_corrections = Counter(
            "cti_ami_resync_corrections_total",
            "Differences between our live picture and Asterisk's, fixed by a resync",
            registry=r,
        )
        self.inbox_overflows = Counter(
            "cti_engine_inbox_overflows_total", "Inputs dropped on a full engine inbox", registry=r
        )
        self.lag = Histogram(
            "cti_event_processing_lag_seconds",
            "From receiving an input to having decided it and run its effects",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.entered = Counter(
            "cti_queue_calls_entered_total", "Callers that entered a queue", ["queue"], registry=r
        )
        self.left = Counter(
            "cti_queue_calls_left_total",
            "Callers that left a queue, by outcome",
            ["queue", "outcome"],
            registry=r,
        )
        self.wait = Histogram(
            "cti_queue_wait_seconds",
            "Time callers spent waiting in a queue before leaving it, by outcome",
            ["queue", "outcome"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.monitoring = Counter(
            "cti_monitoring_sessions_total",
            "Monitoring stretches recorded (C8, P11): a supervisor listening, whispering or"
            " barging on a call, one per mode",
            ["mode"],
            registry=r,
        )
        self.monitoring_seconds = Counter(
            "cti_monitoring_seconds_total",
            "Time supervisors spent monitoring calls",
            ["mode"],
            registry=r,
        )
        self.notices = Counter(
            "cti_outage_notices_played_total",
            "Callers who heard the queue's outage notice before queueing (P20)",
            ["queue"],
            registry=r,
        )
        self.arms = Counter(
            "cti_arms_total",
            "Offers armed ahead of callers (pre-armed routing), by how they ended: taken"
            " (an offer), late (taken after its agent left available: sent back to wait),"
            " withdrawn, cleared (at a resync)",
            ["queue", "outcome"],
            registry=r,
        )
        self.acd = AcdMetrics(r)
        self.campaigns = CampaignMetrics(r)
        # A counter child per event name, looked up once: labels() costs more than inc().
        self._event_children: dict[str, Counter] = {}
        self._other_events: Counter | None = None

    # Observer (cti/engine/ports.py)
    def ami_event(self, name: str) -> None:
        child = self._event_children.get(name)
        if child is None:
            if len(self._event_children) < MAX_EVENT_LABELS:
                child = self._event_children[name] = self.events_counter.labels(name)
            else:  # past the cap every new name is `other`, looked up once as well
                child = self._other_events or self.events_counter.labels("other")
                self._other_events = child
        child.inc()

    def signin(self, outcome: str) -> None:
        self.signin_counter.labels(outcome).inc()

    def ami_malformed(self) -> None:
        self.malformed_counter.inc()

    def inbox_overflowed(self) -> None:
        self.inbox_overflows.inc()

    def decided(self, decision: Decision, *, lag: float) -> None:
        self.lag.observe(lag)
        for effect in decision.effects:
            match effect:
                case CallWaiting(call=call):
                    self.entered.labels(call.queue).inc()
                case QueueVisitEnded(visit=visit):
                    if visit.outcome is not VisitOutcome.LOST:
                        self.wait.labels(visit.queue, visit.outcome).observe(visit.wait_seconds)
                    self.left.labels(visit.queue, visit.outcome).inc()
                case ResyncApplied():
                    self.resync_corrections.inc(effect.corrections)
                case OfferEnded(offer=offer):
                    self.acd.offer_ended(offer)
                case CallEnded(record=record):
                    self.acd.call_ended(record)
                case FindingRaised(finding=finding):
                    self.acd.findings.labels(finding.rule).inc()
                case StateIntervalEnded(interval=interval):
                    self.acd.state_seconds.labels(interval.state).inc(interval.seconds)
                case AttemptEnded(attempt=attempt):
                    self.campaigns.attempt_ended(attempt)
                case NoticePlayed(queue=queue):
                    self.notices.labels(queue).inc()
                case ArmEnded(queue=queue, outcome=outcome):
                    self.arms.labels(queue, outcome).inc()
                case MonitoringEnded(session=session):
                    self.monitoring.labels(session.mode).inc()
                    self.monitoring_seconds.labels(session.mode).inc(session.seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class AcdMetrics:
    """Counters and histograms of offers, calls and findings (C3, C4, C6, P2, P7)."""

    def __init__(self, r: CollectorRegistry) -> None:
        self.offers = Counter(
            "cti_offers_total",
            "Offers of calls to agents, by outcome",
            ["queue", "outcome"],
            registry=r,
        )
        self.ring_misses = Counter(
            "cti_ring_limit_misses_total",
            "Offers withdrawn because they were not answered within the queue's N rings (C3)",
            ["queue"],
            registry=r,
        )
        self.rings = Histogram(
            "cti_answer_rings",
            "The ring on which agents answered offers (1 = first ring)",
            ["queue"],
            buckets=RING_BUCKETS,
            registry=r,
        )
        self.releases = Counter(
            "cti_call_releases_total",
            "Answered calls by the side that hung up first (P2)",
            ["queue", "side"],
            registry=r,
        )
        self.talk = Histogram(
            "cti_talk_seconds",
            "Talk time per agent segment",
            ["queue"],
            buckets=TALK_BUCKETS,
            registry=r,
        )
        self.hold = Histogram(
            "cti_hold_seconds",
            "Caller on hold per hold segment (an agent consulting another, P8)",
            ["queue"],
            buckets=TALK_BUCKETS,
            registry=r,
        )
        self.wrap_up = Histogram(
            "cti_wrap_up_seconds",
            "Wrap-up (after-call work) per agent segment",
            ["queue"],
            buckets=WRAP_UP_BUCKETS,
            registry=r,
        )
        self.surveys = Counter(
            "cti_survey_responses_total",
            "Post-call survey scores keyed by callers (P7)",
            ["queue", "score"],
            registry=r,
        )
        self.findings = Counter(
            "cti_findings_total", "Compliance findings raised, by rule", ["rule"], registry=r
        )
        self.state_seconds = Counter(
            "cti_agent_state_seconds_total",
            "Agent time in each state, counted when the state ends (occupancy)",
            ["state"],
            registry=r,
        )

    def offer_ended(self, offer: OfferRecord) -> None:
        self.offers.labels(offer.queue, offer.outcome).inc()
        if offer.outcome is OfferOutcome.NO_ANSWER:
            self.ring_misses.labels(offer.queue).inc()
        elif offer.outcome is OfferOutcome.ANSWERED:
            self.rings.labels(offer.queue).observe(offer.rings)

    def call_ended(self, record: CallRecord) -> None:
        last_queue = record.queue
        for segment in record.segments:
            queue = segment.queue or last_queue
            if segment.kind is SegmentKind.TALK and segment.agent is not None:
                self.talk.labels(queue).observe(segment.seconds)
                last_queue = queue
            elif segment.kind is SegmentKind.HOLD:
                self.hold.labels(queue).observe(segment.seconds)
            elif segment.kind is SegmentKind.WRAP_UP:
                self.wrap_up.labels(queue).observe(segment.seconds)
        if record.released_by is not None:
            self.releases.labels(last_queue, record.released_by).inc()
        if record.survey_score is not None:
            self.surveys.labels(last_queue, str(record.survey_score)).inc()


class CampaignMetrics:
    """Counters and histograms of outbound dials (issue 4, C5), from AttemptEnded."""

    def __init__(self, r: CollectorRegistry) -> None:
        self.attempts = Counter(
            "cti_campaign_attempts_total",
            "Dial attempts ended, by result (skipped: a preview the agent chose not to dial)",
            ["campaign", "result"],
            registry=r,
        )
        self.connect = Histogram(
            "cti_campaign_connect_seconds",
            "From a person answering to an agent connected, per connected call (law: 2 s)",
            ["campaign"],
            buckets=CONNECT_BUCKETS,
            registry=r,
        )
        self.ring = Histogram(
            "cti_campaign_ring_seconds",
            "From the dial to the answer (by a person or a machine), per answered dial",
            ["campaign"],
            buckets=DIAL_RING_BUCKETS,
            registry=r,
        )

    def attempt_ended(self, attempt: DialAttempt) -> None:
        self.attempts.labels(attempt.campaign, attempt.result).inc()
        if attempt.answered_at is None:  # unanswered, or a skipped preview
            return
        self.ring.labels(attempt.campaign).observe(attempt.ring_seconds)
        if attempt.connected_at is not None:
            self.connect.labels(attempt.campaign).observe(
                max(0.0, attempt.connected_at - attempt.answered_at)
            )


class LiveCollector(Collector):
    """Gauges read from live state at scrape time (rule 3)."""

    def __init__(
        self,
        state: Callable[[], AcdState],
        now: Callable[[], Instant],
        ami_up: Callable[[], bool],
    ) -> None:
        self._state = state
        self._now = now
        self._ami_up = ami_up

    def collect(self) -> Iterator[GaugeMetricFamily]:
        connected = GaugeMetricFamily("cti_ami_connected", "1 while the AMI session is logged in")
        connected.add_metric([], 1.0 if self._ami_up() else 0.0)
        yield connected
        state = self._state()
        yield from self._queue_gauges(state, self._now())
        active = GaugeMetricFamily(
            "cti_monitoring_active",
            "Supervisors monitoring a call now (their phone ringing included), by mode",
            labels=["mode"],
        )
        modes = Tally(spy.mode for spy in state.spies.values())
        for mode in SpyMode:
            active.add_metric([mode], float(modes[mode]))
        yield active
        notices = GaugeMetricFamily(
            "cti_outage_notice_set",
            "1 while the queue has an outage notice (P20)",
            labels=["queue"],
        )
        for queue in sorted(state.config.queues):
            notices.add_metric([queue], 1.0 if queue in state.notices else 0.0)
        yield notices
        lines = GaugeMetricFamily(
            "cti_agent_lines",
            "Agents' nailed-up lines now, by phase: calling, up (waiting for a caller),"
            " in_call, down (failed: called again, or rung instead), ending (issue 18)",
            labels=["phase"],
        )
        phases = Tally(line.phase for line in state.lines.values())
        for phase in LinePhase:
            lines.add_metric([phase], float(phases[phase]))
        yield lines

    def _queue_gauges(self, state: AcdState, now: Instant) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily(
            "cti_queue_calls_waiting", "Callers waiting in the queue now", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "cti_queue_oldest_wait_seconds",
            "How long the longest-waiting caller has waited (0 when none)",
            labels=["queue"],
        )
        urgent = GaugeMetricFamily(
            "cti_queue_urgent_waiting",
            "Urgent callers (priority above 0, inbound) waiting in the queue now (P10)",
            labels=["queue"],
        )
        for queue in sorted(state.known_queues):  # a queue once seen reads 0, not absent
            calls = state.waiting.in_queue(queue)
            first = min((c.entered_at for c in calls), default=now)
            waiting.add_metric([queue], float(len(calls)))
            oldest.add_metric([queue], max(0.0, now - first))
            inbound = [c for c in calls if c.priority > 0 and c.channel not in state.dials]
            urgent.add_metric([queue], float(len(inbound)))
        yield waiting
        yield oldest
        yield urgent
        yield self._agent_gauge(state)

    def _agent_gauge(self, state: AcdState) -> GaugeMetricFamily:
        agents = GaugeMetricFamily(
            "cti_queue_agents",
            "Agents who are members of the queue, by state (an agent counts in each queue)",
            labels=["queue", "state"],
        )
        counts: dict[tuple[QueueId, AgentState], int] = {}
        for profile in state.config.agents.values():
            live = state.agents.get(profile.id)
            agent_state = live.state if live else AgentState.LOGGED_OUT
            for queue in profile.queues:
                counts[queue, agent_state] = counts.get((queue, agent_state), 0) + 1
        for queue in sorted(state.config.queues):
            for agent_state in AgentState:
                agents.add_metric([queue, agent_state], float(counts.get((queue, agent_state), 0)))
        return agents


class MonitoringWeek(Collector):
    """`cti_monitoring_week_calls{agent}`: distinct calls of each configured agent monitored
    this week (P11; cti/domain/monitoring_quota.py), from the week's stored sessions at
    start, then every MonitoringEnded (a live feed of decisions); the count starts again at
    the week's turn in the centre's time zone."""

    def __init__(
        self,
        state: Callable[[], AcdState],
        now: Callable[[], Instant],
        zone: tzinfo,
        target: int = WEEKLY_CALLS,
    ) -> None:
        self._state, self._now, self._zone, self._target = state, now, zone, target
        self._week = week_of(now(), zone)
        self._sessions: list[MonitoringSession] = []

    @property
    def week(self) -> tuple[Instant, Instant]:
        return self._week

    def load(self, sessions: Iterable[MonitoringSession]) -> None:
        for session in sessions:
            self._add(session)

    def publish(self, decision: Decision) -> None:
        for effect in decision.effects:
            if isinstance(effect, MonitoringEnded):
                self._add(effect.session)

    def _add(self, session: MonitoringSession) -> None:
        self._turn()
        if self._week[0] <= session.started_at < self._week[1]:
            self._sessions.append(session)

    def _turn(self) -> None:
        week = week_of(self._now(), self._zone)
        if week != self._week:
            self._week = week
            self._sessions = [s for s in self._sessions if week[0] <= s.started_at < week[1]]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        self._turn()
        calls = GaugeMetricFamily(
            "cti_monitoring_week_calls",
            f"Distinct calls of the agent monitored this week (P11: at least {self._target})",
            labels=["agent"],
        )
        for quota in quotas(self._sessions, self._state().config.agents, self._target):
            calls.add_metric([quota.agent], float(quota.calls))
        yield calls


class HistoryCollector(Collector):
    """The history writer's own counts, read at scrape time (cti/storage/spool.py)."""

    def __init__(self, counts: Callable[[], tuple[int, int, int]]) -> None:
        self._counts = counts  # (written, spooled, pending)

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        written, spooled, pending = self._counts()
        yield CounterMetricFamily(
            "cti_history_records_written",
            "History records committed to the database",
            value=written,
        )
        yield CounterMetricFamily(
            "cti_history_records_spooled",
            "History records written to the local spool while the database was down",
            value=spooled,
        )
        yield GaugeMetricFamily(
            "cti_history_records_pending",
            "History records accepted but not yet committed",
            value=pending,
        )


class RoundCollector(Collector):
    """A loop's rounds (the dialer's, cti/dialer/feeder.py; the auditor's,
    cti/audit/auditor.py), read at scrape time: a count that stops growing is a loop that
    stopped."""

    def __init__(
        self, name: str, docs: tuple[str, str], counts: Callable[[], tuple[int, int]]
    ) -> None:
        self._name, self._docs, self._counts = name, docs, counts  # (rounds, failed rounds)

    def collect(self) -> Iterator[CounterMetricFamily]:
        rounds, failed = self._counts()
        yield CounterMetricFamily(f"{self._name}_rounds", self._docs[0], value=rounds)
        yield CounterMetricFamily(f"{self._name}_round_failures", self._docs[1], value=failed)


class AdherenceCollector(Collector):
    """`cti_agent_adherence_ratio{agent}`: each scheduled agent's schedule adherence over the
    centre's today so far (P14), as the auditor's last round computed it."""

    def __init__(self, today: Callable[[], Mapping[AgentId, Adherence]]) -> None:
        self._today = today

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "cti_agent_adherence_ratio",
            "Schedule adherence of the centre's today so far, per scheduled agent (P14)",
            labels=["agent"],
        )
        for agent, found in sorted(self._today().items()):
            if found.ratio is not None:
                gauge.add_metric([agent], found.ratio)
        yield gauge


def DialerCollector(counts: Callable[[], tuple[int, int]]) -> RoundCollector:
    return RoundCollector(
        "cti_dialer",
        (
            "Dialer rounds completed (statuses, do-not-call, contacts and callbacks looked at)",
            "Dialer rounds that failed (the store or the engine did not answer)",
        ),
        counts,
    )


def AuditCollector(counts: Callable[[], tuple[int, int]]) -> RoundCollector:
    return RoundCollector(
        "cti_compliance",
        (
            "Compliance rounds completed (schedules and logins judged, issue 16)",
            "Compliance rounds that failed (the store or the engine did not answer)",
        ),
        counts,
    )


def RetentionCollector(counts: Callable[[], tuple[int, int]]) -> RoundCollector:
    return RoundCollector(
        "cti_recording_retention",
        (
            "Recording retention rounds completed (files past the retention deleted, P11)",
            "Recording retention rounds that failed (the store or the disk refused)",
        ),
        counts,
    )


CAMPAIGN_GAUGES: Final = {
    "cti_campaign_running": "1 while the campaign runs, 0 once halted (until its calls end)",
    "cti_campaign_abandon_rate": (
        "Abandoned / person-answered calls over the campaign's abandon window now (0-1)"
    ),
    "cti_campaign_window_answered": "Calls a person answered within the abandon window now",
    "cti_campaign_window_abandoned": "Calls abandoned within the abandon window now",
    "cti_campaign_abandon_cap": "The configured abandon cap as a fraction (0.03 = 3 %)",
    "cti_campaign_pacing_level": (
        "The pacer's last level: unreserved calls ringing or held per agent available"
        " (0 before the first pace)"
    ),
    "cti_campaign_agents_waiting": (
        "Logged-in agents of the campaign's queue waiting for a call (available or reserved)"
    ),
    "cti_campaign_contacts_buffered": "Contacts claimed by the core, not yet dialled",
    "cti_campaign_contacts_remaining": (
        "Contacts pending or dialling in the store, as the dialer last counted them"
    ),
}
WAITING_STATES: Final = frozenset({AgentState.AVAILABLE, AgentState.RESERVED})


class CampaignCollector(Collector):
    """Outbound campaigns' gauges, read from live state at scrape time (rule 3): one sample
    per campaign the core holds, running or halted."""

    def __init__(self, state: Callable[[], AcdState], now: Callable[[], Instant]) -> None:
        self._state = state
        self._now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state, now = self._state(), self._now()
        labels = ["campaign"]
        gauges = {n: GaugeMetricFamily(n, h, labels=labels) for n, h in CAMPAIGN_GAUGES.items()}
        modes = GaugeMetricFamily(
            "cti_campaign_pacing_mode",
            "1 for the mode the pacer last dialled in (predictive shows progressive while it"
            " falls back at the cap), 0 for the others",
            labels=["campaign", "mode"],
        )
        calls = GaugeMetricFamily(
            "cti_campaign_calls",
            "Outbound calls in flight: ringing, or answered by a person and held for an agent",
            labels=["campaign", "phase"],
        )
        phases = _dial_phases(state)
        for campaign in sorted(state.campaigns):
            live = state.campaigns[campaign]
            for name, value in _campaign_values(state, live, now).items():
                gauges[name].add_metric([campaign], value)
            for mode in DialMode:
                last = live.last is not None and live.last.mode is mode
                modes.add_metric([campaign, mode], 1.0 if last else 0.0)
            for phase in ("ringing", "held"):
                calls.add_metric([campaign, phase], float(phases[campaign, phase]))
        yield from gauges.values()
        yield modes
        yield calls


def _dial_phases(state: AcdState) -> Tally[tuple[CampaignId, str]]:
    phases: Tally[tuple[CampaignId, str]] = Tally()
    for dial in state.dials.values():
        if dial.ringing:
            phases[dial.campaign, "ringing"] += 1
        elif dial.held:
            phases[dial.campaign, "held"] += 1
    return phases


def _campaign_values(state: AcdState, live: LiveCampaign, now: Instant) -> dict[str, float]:
    window = live.window.at(now)
    return {
        "cti_campaign_running": 1.0 if live.running else 0.0,
        "cti_campaign_abandon_rate": window.rate,
        "cti_campaign_window_answered": float(window.answered),
        "cti_campaign_window_abandoned": float(window.abandoned),
        "cti_campaign_abandon_cap": live.config.pacing.abandon_cap,
        "cti_campaign_pacing_level": live.last.level if live.last is not None else 0.0,
        "cti_campaign_agents_waiting": float(_agents_waiting(state, live)),
        "cti_campaign_contacts_buffered": float(len(live.buffer)),
        "cti_campaign_contacts_remaining": float(live.left or 0),
    }


def _agents_waiting(state: AcdState, live: LiveCampaign) -> int:
    profiles, queue = state.config.agents, live.config.queue
    return sum(
        1
        for agent in state.agents.values()
        if agent.state in WAITING_STATES
        and (profile := profiles.get(agent.id)) is not None
        and queue in profile.queues
    )
