"""The AMI link: one logged-in session to one Asterisk, kept alive.

Rules:
1. The event path never awaits and never raises: the transport's data callback frames the
   bytes and hands each event frame to `on_frame` (which only enqueues).
2. A watchdog pings every `ping_interval`; `max_missed_pings` unanswered pings in a row
   declare the link dead and close it (a half-open or hung session is found this way).
3. Reconnection uses jittered exponential backoff capped at `max_backoff` seconds.
4. Every action has a timeout. Call-control actions fail at once while the link is down,
   and an action in flight when the link drops fails at once: nothing is replayed late.
   (panoramisk would park such actions and resend them after the next login; we use a new
   panoramisk Manager per connection and never let it reconnect, so that cannot happen.)
5. `on_up` runs after every successful login (the engine resyncs then).
6. `post` writes an action to the socket before it returns (panoramisk's send_action writes
   synchronously), so actions posted one after another reach Asterisk in that order, and
   a caller that must not wait (call control) sends without yielding to the event loop.
7. The session asks for the event classes the server reads (actions.EVENT_CLASSES), not
   for everything the AMI user may read.
8. An action whose outcome comes later as an event (an async Originate: "successfully
   queued" now, OriginateResponse when the call is answered or fails, up to its ring
   timeout later) is answered by its acknowledgement; the outcome event always goes to
   `on_frame`, never to a waiting action (so no action timeout can swallow it). So is any
   action whose acknowledgement says "queued" (PlayDTMF).
9. Cancelling `run` stops the link: the session closes without `on_down`, which reports a
   link that failed (a warning, and no dialling until the next resync), not one stopped.
10. Every answered watchdog Ping hands Asterisk's `Timestamp` to `on_pong` (samples of the
   timeline between calls, cti/ami/timeline.py); like `on_frame` it only records.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Final

from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from cti.ami import actions
from cti.ami.frames import (
    Headers,
    MalformedFrame,
    is_event_frame,
    parse_event,
    split_frames,
    strip_greeting,
)
from cti.settings import AmiSettings

logger = logging.getLogger(__name__)

# Rule 8: answered by their ack. PlayDTMF's ack is "DTMF successfully queued", which
# panoramisk would also hold open, waiting for events that never come (seen in the lab).
ACKNOWLEDGED: Final = frozenset({"originate", "playdtmf"})
OUTCOME_EVENTS: Final = frozenset({"OriginateResponse"})  # rule 8: always to on_frame


class AmiUnavailable(ConnectionError):
    """The AMI link is down, went down while an action was in flight, or was declared dead."""


class AmiActionFailed(RuntimeError):
    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"AMI {action} failed: {message}")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkSettings:
    host: str
    port: int
    username: str
    secret: str
    action_timeout: float = 5.0
    connect_timeout: float = 5.0
    ping_interval: float = 2.0
    max_missed_pings: int = 3
    min_backoff: float = 0.5
    max_backoff: float = 30.0
    events: str = actions.EVENT_CLASSES  # rule 7; the lab's tests also watch `dialplan`

    @classmethod
    def of(cls, ami: AmiSettings) -> LinkSettings:
        return cls(
            host=ami.host,
            port=ami.port,
            username=ami.username,
            secret=ami.secret,
            action_timeout=ami.action_timeout,
            ping_interval=ami.ping_interval,
            max_missed_pings=ami.max_missed_pings,
            max_backoff=ami.max_backoff,
        )


@dataclass(slots=True)
class LinkCallbacks:
    on_frame: Callable[[Headers], None]
    on_malformed: Callable[[str, str], None]  # (frame excerpt, reason)
    on_up: Callable[[], None]
    on_down: Callable[[str], None]
    on_pong: Callable[[float], None] = lambda _stamp: None  # rule 9


class _Protocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk's protocol with our framing: events go straight to on_frame."""

    callbacks: LinkCallbacks
    buffer: str = ""

    def data_received(self, data: bytes) -> None:
        frames, self.buffer = split_frames(self.buffer + data.decode("utf-8", "replace"))
        for frame in frames:
            self._frame(strip_greeting(frame))

    def _frame(self, frame: str) -> None:
        try:
            if is_event_frame(frame):
                headers = parse_event(frame)
                if not self._answers_action(headers):
                    self.callbacks.on_frame(headers)
                    return
            message = Message.from_line(frame.strip())
            if message is None:
                raise MalformedFrame("neither an event nor a response")
            self.handle_message(message)
        except MalformedFrame as exc:
            self.callbacks.on_malformed(frame[:200], str(exc))
        except Exception:  # the event path must never raise (rule 1)
            logger.exception("AMI frame could not be handled: %.200r", frame)

    def _answers_action(self, headers: Headers) -> bool:
        if headers.get("Event") in OUTCOME_EVENTS:  # rule 8: an outcome is an event
            return False
        action_id = headers.get("ActionID")
        return isinstance(action_id, str) and action_id in self.responses


class _Manager(Manager):  # type: ignore[misc]
    """A panoramisk Manager for exactly one connection: no reconnect, no pinger of its own."""

    lost: asyncio.Future[str]

    def ping(self) -> None:  # our watchdog pings and checks the replies
        return None

    def connection_lost(self, exc: object) -> None:
        self._connected = False
        if not self.lost.done():
            self.lost.set_result(f"connection lost: {exc!r}")


class AmiLink:
    def __init__(self, settings: LinkSettings, callbacks: LinkCallbacks) -> None:
        self.settings = settings
        self.callbacks = callbacks
        self.logins = 0
        self._manager: _Manager | None = None
        self._up = False

    @property
    def is_up(self) -> bool:
        return self._up

    @property
    def reconnects(self) -> int:
        return max(0, self.logins - 1)

    async def run(self) -> None:
        """Connect, stay connected, reconnect forever (until cancelled)."""
        failures = 0
        while True:
            try:
                await self._session()
                failures = 0
            except (OSError, TimeoutError, AmiActionFailed, AmiUnavailable) as exc:
                logger.warning("AMI %s:%s: %s", self.settings.host, self.settings.port, exc)
            failures += 1
            await asyncio.sleep(self._backoff(failures))

    def _backoff(self, failures: int) -> float:
        cap = min(self.settings.max_backoff, self.settings.min_backoff * 2 ** (failures - 1))
        return random.uniform(cap / 2, cap)  # equal jitter: spread, but never near zero

    async def _session(self) -> None:
        manager = await self._connect()
        reason: str | None = "session ended"
        try:
            await self._login(manager)
            await self._watch(manager)
        except (AmiUnavailable, AmiActionFailed, TimeoutError) as exc:
            reason = str(exc) or type(exc).__name__
            raise
        except asyncio.CancelledError:
            reason = None  # the server is stopping the link (rule 9): nothing went down
            raise
        finally:
            self._close(manager, reason)

    async def _connect(self) -> _Manager:
        loop = asyncio.get_running_loop()
        manager = _Manager(loop=loop, host=self.settings.host, port=self.settings.port)
        manager.lost = loop.create_future()
        async with asyncio.timeout(self.settings.connect_timeout):
            transport, protocol = await loop.create_connection(
                _Protocol, self.settings.host, self.settings.port
            )
        protocol.callbacks = self.callbacks
        connected: asyncio.Future[tuple[Any, Any]] = loop.create_future()
        connected.set_result((transport, protocol))
        manager.connection_made(connected)  # panoramisk wires its protocol to the manager
        self._manager = manager
        return manager

    async def _login(self, manager: _Manager) -> None:
        s = self.settings
        await self._send(manager, actions.login(s.username, s.secret, s.events), s.action_timeout)
        self.logins += 1
        self._up = True
        logger.info("AMI logged in to %s:%s (login %d)", s.host, s.port, self.logins)
        self.callbacks.on_up()

    async def _watch(self, manager: _Manager) -> None:
        """Ping every interval; after a miss, ping again at once. Dead within
        (max_missed_pings + 1) x ping_interval of the last reply."""
        missed = 0
        while missed < self.settings.max_missed_pings:
            if missed == 0:
                with contextlib.suppress(TimeoutError):
                    reason = await asyncio.wait_for(
                        asyncio.shield(manager.lost), self.settings.ping_interval
                    )
                    raise AmiUnavailable(reason)  # the transport closed
            try:
                answer = await self._send(manager, actions.ping(), self.settings.ping_interval)
                missed = 0
                self._pong(answer)
            except TimeoutError:
                missed += 1
                logger.warning("AMI ping %d/%d unanswered", missed, self.settings.max_missed_pings)
        raise AmiUnavailable(f"declared dead: {missed} pings unanswered")

    def _pong(self, answer: Any) -> None:
        stamp = first_of(answer).get("Timestamp")
        try:
            self.callbacks.on_pong(float(stamp))
        except (TypeError, ValueError):
            logger.debug("Ping answered without a usable Timestamp: %r", stamp)

    def _close(self, manager: _Manager, reason: str | None) -> None:
        """End the session; `on_down` hears of it unless it was stopped (reason None)."""
        was_up, self._up = self._up, False
        self._manager = None
        if not manager.lost.done():
            # Fails whatever is still in flight (rule 4).
            manager.lost.set_result(reason or "the link was stopped")
        with contextlib.suppress(Exception):
            manager.close()
        if was_up and reason is not None:
            self.callbacks.on_down(reason)

    async def send(self, action: actions.Action, *, within: float | None = None) -> Any:
        """Send an action on the current session; fail fast if there is none (rule 4)."""
        return await self.post(action, within=within)

    def post(
        self, action: actions.Action, *, within: float | None = None
    ) -> Coroutine[Any, Any, Any]:
        """Write an action now and return what awaits its response (rule 6).

        Raises AmiUnavailable at once when there is no session (rule 4)."""
        manager = self._manager
        if manager is None or not self._up:
            raise AmiUnavailable(f"{action['Action']} not sent: the AMI link is down")
        future = _write(manager, action)
        return self._answer(manager, action, future, within or self.settings.action_timeout)

    async def _send(self, manager: _Manager, action: actions.Action, within: float) -> Any:
        return await self._answer(manager, action, _write(manager, action), within)

    async def _answer(
        self,
        manager: _Manager,
        action: actions.Action,
        future: asyncio.Future[Any],
        within: float,
    ) -> Any:
        try:
            async with asyncio.timeout(within):
                waiters: set[asyncio.Future[Any]] = {future, manager.lost}
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        except TimeoutError:
            future.cancel()
            raise
        if not future.done():
            future.cancel()
            raise AmiUnavailable(f"{action['Action']} failed: {manager.lost.result()}")
        response = future.result()
        first = response[0] if isinstance(response, list) else response
        if not first.success:
            raise AmiActionFailed(action["Action"], str(first.get("Message", "")))
        return response


def _write(manager: _Manager, action: actions.Action) -> asyncio.Future[Any]:
    # Rule 8: panoramisk would hold an async Originate open until its OriginateResponse;
    # `as_list=False` makes the acknowledgement ("successfully queued") its answer.
    single = False if action["Action"].lower() in ACKNOWLEDGED else None
    future: asyncio.Future[Any] = manager.send_action(dict(action), as_list=single)
    return future


def first_of(answer: Any) -> Any:
    """An action's response: panoramisk answers with one message, or with a list when the
    response came with events (an EventList), the response first."""
    return answer[0] if isinstance(answer, list) else answer


def headers_of(message: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """A panoramisk message (list responses) as a plain header map."""
    return {str(k): v if isinstance(v, list) else str(v) for k, v in message.items()}
