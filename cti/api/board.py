"""The wallboard's board: each queue's figures for today, its thresholds' levels, and the
supervisors' alerts (issue 14; C3, P5, P10, P23). A live feed beside the hub, whose views
and snapshot carry what it holds.

Rules:
1. Today is the day of the centre's time zone (`centre.timezone`, cti/domain/today.py)
   that holds now. A queue's figures for today are the store's over [day start, day end)
   (cti/storage/queue_figures.py, T the queue's `service_level_seconds`), read for every
   queue at start, at the day's turn and on a new configuration, and for a queue when a
   visit of it or a call through it ends. A read waits until the history writer has
   committed every record accepted before it was wanted (so it sees the call that ended),
   and each queue is read at most once a tick: at most once a second per queue.
2. Levels (cti/domain/thresholds.py) are judged every tick, and after each read, so a
   wait that grows without events is judged at least every second; a queue whose levels
   changed, or whose figures were read again, is sent again in the hub's next views
   (coalesced there, hub rule 7).
3. Alerts (cti/domain/alert.py) come from every decision of the core, from levels that
   rise, and from the AMI link, looked at every tick. Each is sent at once to every
   supervising connection as `{"type": "alert", kind, level, at, text, queue, agent, call}`
   and kept among the last RECENT for the snapshot, oldest first.
4. Memory is bounded by the configuration: one figures and one levels value per queue, a
   mark per queue to read again, the last RECENT alerts.
5. A read that fails (the database down, TIMEOUT_S passed) keeps the queue to read at the
   next tick; the failure is logged once until a read succeeds again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable
from datetime import tzinfo
from typing import Final, Protocol

from cti.api import views
from cti.api.ports import HistoryReader
from cti.domain.alert import Alert, LinkWatch, decision_alerts, level_alerts, link_alerts
from cti.domain.config import AcdConfig
from cti.domain.effects import CallEnded, QueueVisitEnded
from cti.domain.ids import Instant, QueueId
from cti.domain.state import AcdState, Decision
from cti.domain.thresholds import QueueLevels, Reading, queue_levels
from cti.domain.today import Day, day_of
from cti.schema.plain import plain, plain_object
from cti.storage.queries import QueueFigures
from cti.storage.spool import Progress

logger = logging.getLogger(__name__)

TICK_S: Final = 1.0  # rules 1 and 2
TIMEOUT_S: Final = 5.0  # rule 5
RECENT: Final = 50  # rule 3

Json = dict[str, object]


class Supervisors(Protocol):
    """What the board needs of the hub (cti/api/hub.py)."""

    def refresh(self, queues: Iterable[QueueId]) -> None: ...

    def broadcast(self, body: Json, *, masked: Json | None = None) -> None: ...


class Board:
    def __init__(
        self,
        *,
        state: Callable[[], AcdState],
        now: Callable[[], Instant],
        history: HistoryReader,
        progress: Progress,
        zone: tzinfo,
        ami_up: Callable[[], bool],
        ami_reconnects: Callable[[], int],
        tick: float = TICK_S,
    ) -> None:
        self._state, self._now, self._history = state, now, history
        self._progress, self._zone, self._tick = progress, zone, tick
        self._ami_up, self._ami_reconnects = ami_up, ami_reconnects
        self._out: Supervisors | None = None
        self._day: Day | None = None
        self._config: AcdConfig | None = None
        self._wanted: dict[QueueId, int] = {}  # queue -> records accepted when it ended
        self._today: dict[QueueId, tuple[Day, QueueFigures]] = {}  # the day read
        self._levels: dict[QueueId, QueueLevels] = {}
        self._link: LinkWatch | None = None
        self._alerts: deque[Alert] = deque(maxlen=RECENT)
        self._failing = False
        self.reads = 0  # figures read from the store (rule 1)
        self.ticks = 0  # ticks done (rule 2)

    def attach(self, out: Supervisors) -> None:
        self._out = out

    # The LiveFeed port ---------------------------------------------------------------

    def publish(self, decision: Decision) -> None:
        try:
            for alert in decision_alerts(decision, self._now()):
                self._tell(alert)
            mark = self._progress.accepted
            for queue in _ended_queues(decision):
                self._wanted[queue] = mark
        except Exception:
            logger.exception("board: could not take a decision")

    # What the hub's snapshot and views carry -----------------------------------------

    def queue_extras(self, queue: QueueId) -> Json:
        """A queue view's `today` and `levels` (None until first read and judged)."""
        read, levels = self._today.get(queue), self._levels.get(queue)
        return {
            "today": None if read is None else views.queue_figures_view(read[1], *_span(read[0])),
            "levels": None if levels is None else levels_view(levels),
        }

    def snapshot(self, *, numbers: bool = True) -> Json:
        """The board's part of a supervisor's snapshot: the day, the link, recent alerts
        (their callers' numbers masked unless `numbers`: a viewer's, P22)."""
        day = self._day
        return {
            "today": None
            if day is None
            else {"date": day.date.isoformat(), "since": day.start, "until": day.end,
                  "timezone": str(self._zone)},
            "ami_up": self._ami_up(),
            "alerts": [alert_view(a, numbers=numbers) for a in self._alerts],
        }  # fmt: skip

    @property
    def alerts(self) -> list[Alert]:
        return list(self._alerts)

    # The tick (rules 1, 2 and 4) -----------------------------------------------------

    async def run(self) -> None:
        while True:
            try:
                await self.step()
            except Exception:
                logger.exception("board: a tick failed")
            await asyncio.sleep(self._tick)

    async def step(self) -> None:
        """One tick: the day, the configuration, the link, the reads due, the levels."""
        now, state = self._now(), self._state()
        if self._day is None or not self._day.holds(now):
            self._day = day_of(now, self._zone)
            self._read_all(state, mark=0)  # nothing to wait for: the day is new
        if state.config is not self._config:
            self._config = state.config
            self._read_all(state, mark=self._progress.accepted)
        self._look_at_link(now)
        read = await self._read_due(self._day, state)
        self._judge(self._state(), self._now(), read)

    def _read_all(self, state: AcdState, *, mark: int) -> None:
        for queue in views.queue_ids(state):
            self._wanted[queue] = max(mark, self._wanted.get(queue, 0))

    def _look_at_link(self, now: Instant) -> None:
        self._link, alerts = link_alerts(self._link, self._ami_up(), self._ami_reconnects(), now)
        for alert in alerts:
            self._tell(alert)

    async def _read_due(self, day: Day, state: AcdState) -> set[QueueId]:
        committed = self._progress.accepted - self._progress.pending
        known = set(views.queue_ids(state))
        read: set[QueueId] = set()
        for queue, mark in sorted(self._wanted.items()):
            if queue not in known:
                del self._wanted[queue]
            elif mark <= committed and await self._read(queue, day, state):
                read.add(queue)
                if self._wanted.get(queue) == mark:  # no call of it ended meanwhile
                    del self._wanted[queue]
        for gone in set(self._today) - known:
            del self._today[gone]
        return read

    async def _read(self, queue: QueueId, day: Day, state: AcdState) -> bool:
        threshold = state.config.queue(queue).service_level_seconds
        try:
            async with asyncio.timeout(TIMEOUT_S):
                found = await self._history.queue_figures(queue, threshold, day.start, day.end)
        except Exception as exc:  # rule 5
            if not self._failing:
                logger.warning("board: today's figures of %s not read: %r", queue, exc)
            self._failing = True
            return False
        self._failing = False
        self._today[queue] = (day, found)
        self.reads += 1
        return True

    def _judge(self, state: AcdState, now: Instant, read: set[QueueId]) -> None:
        service = {q: f.service_level for q, (d, f) in self._today.items() if d == self._day}
        judged = queue_levels(state, now, service)
        changed = set(read)
        for queue, levels in judged.items():
            before = self._levels.get(queue)
            for alert in level_alerts(before, levels, now):
                self._tell(alert)
            if before is None or before.levels != levels.levels:
                changed.add(queue)
        self._levels = judged
        self.ticks += 1
        if changed and self._out is not None:
            self._out.refresh(changed)

    def _tell(self, alert: Alert) -> None:
        self._alerts.append(alert)
        logger.info("alert: %s", alert.text)
        if self._out is not None:
            whole, masked = alert_view(alert, numbers=True), alert_view(alert, numbers=False)
            self._out.broadcast({"type": "alert", **whole}, masked={"type": "alert", **masked})


def _ended_queues(decision: Decision) -> set[QueueId]:
    """Queues whose figures a decision changed: visits that ended, and the queues of a
    call that ended (its talks, holds and wrap-ups are credited to those, rule 1)."""
    queues: set[QueueId] = set()
    for effect in decision.effects:
        if isinstance(effect, QueueVisitEnded):
            queues.add(effect.visit.queue)
        elif isinstance(effect, CallEnded):
            queues.add(effect.record.queue)
            queues.update(s.queue for s in effect.record.segments if s.queue is not None)
    return queues


def _span(day: Day) -> tuple[Instant, Instant]:
    return day.start, day.end


def alert_view(alert: Alert, *, numbers: bool) -> Json:
    """An alert as the feed sends it; a number it names masked unless `numbers` (P22)."""
    body = plain_object(alert)
    number = body.pop("number", None)
    if isinstance(number, str) and not numbers:
        body["text"] = alert.text.replace(number, views.mask(number))
    return body


def reading_view(reading: Reading) -> Json:
    return plain_object(reading)


def levels_view(levels: QueueLevels) -> Json:
    """A queue's levels: each measure with its value, level and thresholds; the members
    not ready at warn or alert (P5)."""
    return {
        "longest_wait": reading_view(levels.longest_wait),
        "ready_agents": reading_view(levels.ready_agents),
        "service_level": reading_view(levels.service_level),
        "not_ready": {"level": levels.not_ready_level.value, "agents": plain(levels.not_ready)},
    }
