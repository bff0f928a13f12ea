"""The engine: the one task that owns live state.

Rules:
1. One writer. AMI frames, resync snapshots and deadline ticks enter one ordered inbox;
   only `run` (through `handle`) changes `state`.
2. Entry points never await and never raise: `on_frame` and `submit` only enqueue.
3. Each item is decided by the pure core at `now`, the engine's clock: the one timeline
   (cti/domain/acd.py rule 1; a frame's time is placed on it by the reader, stamped with
   its receipt here). The decision's effects are then run, in order, by `EffectRunner`;
   metrics and logs are derived from decisions (Observer).
4. Timers are data: the engine sleeps until `state.next_deadline()` and then feeds a Tick.
5. A full inbox drops nothing silently: it is counted and a resync is requested, because
   only Asterisk's own picture can repair a gap in the event stream.
6. The loop is cheap per item: the next deadline is computed again only when a decision
   changed the timers, and waiting with a timeout happens only when the inbox is empty.
   Call control writes its actions within `handle` (cti/ami/control.py), so taking the
   next item without suspending delays no instruction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from cti.domain.acd import AcdState, Decision, decide
from cti.domain.commands import Command
from cti.domain.ids import Clock, Instant
from cti.domain.inputs import Input, Tick
from cti.engine.ports import FrameReader, Headers, Observer
from cti.engine.runner import EffectRunner

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RawFrame:
    headers: Headers
    received_at: Instant


@dataclass(frozen=True, slots=True)
class PendingCommand:
    command: Command
    reply: asyncio.Future[Decision]


class EngineBusy(RuntimeError):
    """The inbox is full or the engine did not answer in time; nothing was decided."""


InboxItem = RawFrame | PendingCommand | Input


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
        self._timers_seen: object = None
        self._deadline: Instant | None = None

    def on_frame(self, headers: Headers) -> None:
        """AMI event path: enqueue only (rule 2)."""
        self._put(RawFrame(headers, self._clock.now()))

    def submit(self, item: Input) -> None:
        self._put(item)

    async def execute(self, command: Command, *, within: float = 5.0) -> Decision:
        """Decide a command in order with everything else and return its decision."""
        reply: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        try:
            self._inbox.put_nowait(PendingCommand(command, reply))
        except asyncio.QueueFull:
            raise EngineBusy("the engine's inbox is full") from None
        try:
            async with asyncio.timeout(within):
                return await asyncio.shield(reply)
        except TimeoutError:
            reply.cancel()  # still queued: it will be skipped, so "busy" means "not done"
            raise EngineBusy(f"no decision within {within} s") from None

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
        """The next item in order, or a Tick once the earliest deadline has come (rule 4).

        An item already queued is taken without suspending, and a deadline is armed only
        when the engine must wait (rule 6)."""
        deadline = self._next_deadline()
        if deadline is not None and deadline <= self._clock.now():
            # Yield once per Tick: a deadline the core failed to clear would then cost CPU
            # but never stall the event loop (the API, the AMI link) outright.
            await asyncio.sleep(0)
            return Tick(at=self._clock.now())
        try:
            return self._inbox.get_nowait()
        except asyncio.QueueEmpty:
            pass
        if deadline is None:
            return await self._inbox.get()
        try:
            async with asyncio.timeout(deadline - self._clock.now()):
                return await self._inbox.get()
        except TimeoutError:
            return Tick(at=self._clock.now())

    def _next_deadline(self) -> Instant | None:
        timers = self.state.timers
        if timers is not self._timers_seen:  # a decision that set no timer keeps the map
            self._timers_seen, self._deadline = timers, self.state.next_deadline()
        return self._deadline

    def handle(self, item: InboxItem) -> Decision | None:
        """Decide one item and run its effects; synchronous, so nothing interleaves."""
        reply: asyncio.Future[Decision] | None = None
        if isinstance(item, RawFrame):
            event = self._normalize(item)
            if event is None:
                return None
            received_at = item.received_at
        elif isinstance(item, PendingCommand):
            if item.reply.cancelled():
                logger.warning("command dropped, its caller gave up: %s", item.command)
                return None
            event, reply, received_at = item.command, item.reply, item.command.at
        else:
            event, received_at = item, item.at
        now = self._clock.now()
        decision = decide(self.state, event, now)
        self.state = decision.state
        if reply is not None and not reply.done():
            reply.set_result(decision)
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
