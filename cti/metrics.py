"""Prometheus metrics: the only importer of prometheus_client.

Rules:
1. Names carry the `cti_` prefix and base units (`_seconds`, `_total`).
2. Labels are bounded: queue and event names only, never call or channel ids. Event names
   come from the wire, so at most MAX_EVENT_LABELS distinct ones are kept; the rest count
   under "other".
3. Counters are derived from decisions (Observer); gauges of live state are read from the
   engine's state when scraped, so they can never drift from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from cti.domain.acd import AcdState, Decision
from cti.domain.effects import CallWaiting, QueueVisitEnded, ResyncApplied
from cti.domain.ids import Instant
from cti.domain.records import VisitOutcome

MAX_EVENT_LABELS: Final = 200
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
WAIT_BUCKETS: Final = (1, 5, 10, 20, 30, 60, 120, 300, 600)
LAG_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events_counter = Counter(
            "cti_ami_events_total", "AMI events received", ["event"], registry=r
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
        self._event_labels: set[str] = set()

    # Observer (cti/engine/ports.py)
    def ami_event(self, name: str) -> None:
        if name not in self._event_labels:
            if len(self._event_labels) >= MAX_EVENT_LABELS:
                name = "other"
            else:
                self._event_labels.add(name)
        self.events_counter.labels(name).inc()

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

    def render(self) -> bytes:
        return generate_latest(self.registry)


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
        yield from self._queue_gauges(self._state(), self._now())

    def _queue_gauges(self, state: AcdState, now: Instant) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily(
            "cti_queue_calls_waiting", "Callers waiting in the queue now", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "cti_queue_oldest_wait_seconds",
            "How long the longest-waiting caller has waited (0 when none)",
            labels=["queue"],
        )
        for queue in sorted(state.known_queues):  # a queue once seen reads 0, not absent
            calls = state.waiting.in_queue(queue)
            first = min((c.entered_at for c in calls), default=now)
            waiting.add_metric([queue], float(len(calls)))
            oldest.add_metric([queue], max(0.0, now - first))
        yield waiting
        yield oldest


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
