"""The engine: the one task that owns live state.

Rules:
1. One writer. AMI frames, resync snapshots and deadline ticks enter one ordered inbox;
   only `run` (through `handle`) changes `state`.
2. Entry points never await and never raise: `on_frame` and `submit` only enqueue.
3. Each item is decided by the pure core; the decision's effects are then run, in order,
   by `EffectRunner`; metrics and logs are derived from decisions (Observer).
4. Timers are data: the engine sleeps until `state.next_deadline()` and then feeds a Tick.
5. A full inbox drops nothing silently: it is counted and a resync is requested, because
   only Asterisk's own picture can repair a gap in the event stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from cti.domain.acd import AcdState, Decision, decide
from cti.domain.ids import Clock, Instant
from cti.domain.inputs import Input, Tick
from cti.engine.ports import FrameReader, Headers, Observer
from cti.engine.runner import EffectRunner

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RawFrame:
    headers: Headers
    received_at: Instant


InboxItem = RawFrame | Input


class Engine:
    def __init__(
        self,
        *,
        clock: Clock,
        reader: FrameReader,
        runner: EffectRunner,
        observer: Observer,
        request_resync: Callable[[], None],
        inbox_size: int = 100_000,
    ) -> None:
        self.state = AcdState()
        self._clock = clock
        self._reader = reader
        self._runner = runner
        self._observer = observer
        self._request_resync = request_resync
        self._inbox: asyncio.Queue[InboxItem] = asyncio.Queue(maxsize=inbox_size)

    def on_frame(self, headers: Headers) -> None:
        """AMI event path: enqueue only (rule 2)."""
        self._put(RawFrame(headers, self._clock.now()))

    def submit(self, item: Input) -> None:
        self._put(item)

    def _put(self, item: InboxItem) -> None:
        try:
            self._inbox.put_nowait(item)
        except asyncio.QueueFull:
            self._observer.inbox_overflowed()
            self._request_resync()

    async def run(self) -> None:
        while True:
            item = await self._next_item()
            self.handle(item)

    async def _next_item(self) -> InboxItem:
        deadline = self.state.next_deadline()
        if deadline is None:
            return await self._inbox.get()
        delay = max(0.0, deadline - self._clock.now())
        try:
            return await asyncio.wait_for(self._inbox.get(), delay)
        except TimeoutError:
            return Tick(at=self._clock.now())

    def handle(self, item: InboxItem) -> Decision | None:
        """Decide one item and run its effects; synchronous, so nothing interleaves."""
        if isinstance(item, RawFrame):
            event = self._normalize(item)
            if event is None:
                return None
            received_at = item.received_at
        else:
            event, received_at = item, item.at
        now = self._clock.now()
        decision = decide(self.state, event, now)
        self.state = decision.state
        self._runner.run(decision)
        self._observer.decided(decision, lag=max(0.0, now - received_at))
        return decision

    def _normalize(self, frame: RawFrame) -> Input | None:
        try:
            self._observer.ami_event(self._reader.name(frame.headers))
            return self._reader.read(frame.headers, frame.received_at)
        except (KeyError, ValueError) as exc:
            self._observer.ami_malformed()
            logger.warning("malformed AMI event skipped: %s", exc)
            return None
