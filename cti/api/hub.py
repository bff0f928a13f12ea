"""WebSocket hub: live events to agents' desktops and supervisors' wallboards (C7, C8, P19).

Rules:
1. `publish` is the engine's LiveFeed: synchronous, it never blocks and never raises. Each
   connection has a bounded queue drained by its own task; a connection whose queue is
   full, or whose send takes longer than `send_timeout`, is dropped (closed with 1013,
   "too slow") and counted in `dropped`, so one slow client can neither grow memory nor
   delay the engine.
2. An agent gets its own AgentChanged events, the findings about itself (e.g. a not-ready
   overrun, P5: the desktop says so), the changes of an agent it consults (P8) and, when
   a call is offered to it, a screen pop: the caller's number, the queue, the time waited
   and the caller's last five calls. Reading those calls awaits storage, so it runs in a
   task; publish stays synchronous.
3. Supervisors and admins get every event of SUPERVISOR_EVENTS, numbers included (P22).
4. A connection first gets a snapshot of the state the next published decision follows
   (no await between taking it and registering), so nothing is missed or doubled; it says
   the server's time (`at`), from which a page shows times on the server's clock.
5. An agent's connection is closed (4001, "login ended") once the login it was opened
   under ends (logout, takeover); messages queued before that are still delivered.
6. `close_all` (app.on_shutdown) closes every connection with 1001 (going away).
7. Supervisors also get the wallboard's views, coalesced: after a decision that changed a
   queue (its callers, offers or members) or an agent, the hub sends every supervising
   connection one `views` message with the full view of each queue and agent changed since
   the last one (as GET /api/v1/queues and /agents show them), built once for all
   connections from the state of that instant. The first change after a quiet spell goes
   at once (on the loop's next turn, so a burst of decisions handled together is one
   message); later ones wait until COALESCE_S after the last message. So a page renders at
   most 1 / COALESCE_S times a second whatever the rate of decisions, and a view it holds
   is never older than the last message plus COALESCE_S. Changed agents are found by
   comparing the state's agents with those of the last views (pmap.changed_keys: cheap at
   any size); a new configuration sends every queue and agent again.
7a. A connection opened with `feed=board` (the wallboard's) gets the snapshot, the views,
   the alerts, monitoring and notice messages, and not the per-event messages
   (agent_changed, call_waiting, ...): the views already carry what they changed, and a
   board of 1,000 agents would otherwise be sent each change twice.
7b. Messages are sent uncompressed (no permessage-deflate): a compressor per connection
   would deflate the same views once per wallboard, the largest cost of the fan-out; the
   feed is for the centre's own network.
8. With a board (cti/api/board.py), each queue a supervisor's snapshot or views hold
   carries the board's `today` (the figures of the centre's today) and `levels` (its
   thresholds judged), and the snapshot the board's day, AMI link and recent alerts. The
   board asks for a queue to be sent again (`refresh`, coalesced as rule 7) when those
   change, and sends its alerts to every supervising connection (`broadcast`).
9. Supervisors see every monitoring session (listen, whisper, barge: C8): in the snapshot
   (`monitoring`) and as a `monitoring` message when one is asked for, starts, switches
   or ends (with `why` it ended). Agents are not told.
10. Supervisors see the queues' outage notices (P20): in the snapshot (`notices`) and as a
   `notice` message when one is set, replaced or cleared (`notice` null).
11. A viewer (a wall display, P22) gets the wallboard's feed (rule 7a) with every caller's
   number masked (cti/api/views.py mask): the snapshot, views built a second time masked
   (only while a viewer is connected), alerts with the number in their text masked, and
   the notices; no monitoring session, no message per event.
12. Supervisors see agents' requests for a longer break (P5, cti/domain/breaks.py): in
   the snapshot (`breaks`, those pending or approved) and as a `break` message when one is
   asked for, decided or ended; the agent whose request it is gets the message too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from aiohttp import WSCloseCode, web

from cti.api import views
from cti.api.identity import Identity, login_current
from cti.api.ports import CallerHistory
from cti.api.spy_view import spy_view
from cti.domain.effects import (
    AgentChanged,
    BreakChanged,
    CallEnded,
    CallWaiting,
    Effect,
    FindingRaised,
    LoginEnded,
    MonitoringChanged,
    NoticeChanged,
    OfferEnded,
    OfferMade,
    QueueVisitEnded,
)
from cti.domain.ids import AgentId, Instant, QueueId
from cti.domain.pmap import changed_keys
from cti.domain.state import AcdState, Decision
from cti.schema.plain import plain_object
from cti.storage.queries import CallSummary
from cti.storage.tokens import Role

logger = logging.getLogger(__name__)

SLOW: Final = WSCloseCode.TRY_AGAIN_LATER  # 1013
LOGIN_ENDED: Final = 4001
PREVIOUS_CALLS: Final = 5
EVENT_TYPES: Final[dict[type[Effect], str]] = {
    AgentChanged: "agent_changed",
    CallWaiting: "call_waiting",
    QueueVisitEnded: "queue_visit_ended",
    OfferEnded: "offer_ended",
    CallEnded: "call_ended",
    FindingRaised: "finding",
}
SUPERVISOR_EVENTS: Final = tuple(EVENT_TYPES)
COALESCE_S: Final = 0.1  # rule 7


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    message: bytes


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    identity: Identity
    queue: asyncio.Queue[str | _Close]
    board_only: bool = False  # rule 7a
    pump: asyncio.Task[None] | None = None
    closing: bool = field(default=False)

    @property
    def supervising(self) -> bool:
        return self.identity.supervises

    @property
    def viewing(self) -> bool:  # rule 11
        return self.identity.role is Role.VIEWER

    @property
    def watching(self) -> bool:  # gets the views: supervising or viewing
        return self.identity.watches


class BoardView(Protocol):
    """What the hub shows of the board (rule 8; cti/api/board.py)."""

    def queue_extras(self, queue: QueueId) -> dict[str, object]: ...

    def snapshot(self, *, numbers: bool = True) -> dict[str, object]: ...


class Hub:
    def __init__(
        self,
        *,
        state: Callable[[], AcdState],
        now: Callable[[], Instant],
        history: CallerHistory,
        queue_size: int = 256,
        send_timeout: float = 5.0,
        history_timeout: float = 2.0,
        heartbeat: float = 30.0,
        coalesce: float = COALESCE_S,
        board: BoardView | None = None,
    ) -> None:
        self._state, self._now, self._history = state, now, history
        self._queue_size = queue_size
        self._send_timeout = send_timeout
        self._history_timeout = history_timeout
        self._heartbeat = heartbeat
        self._connections: set[Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.dropped = 0  # connections closed for being too slow (rule 1)
        self._coalesce = coalesce
        self._viewed: AcdState | None = None  # the state of the last views sent (rule 7)
        self._dirty: set[QueueId] = set()  # queues changed since
        self._flush: asyncio.TimerHandle | asyncio.Handle | None = None
        self._flushed_at = float("-inf")  # the loop's time of the last views (rule 7)
        self.views_sent = 0  # `views` messages built (rule 7)
        self._board = board  # rule 8

    @property
    def connections(self) -> int:
        return len(self._connections)

    # The LiveFeed port ---------------------------------------------------------------

    def publish(self, decision: Decision) -> None:
        if not self._connections:
            return
        try:
            for effect in decision.effects:
                self._route(effect, decision.state)
            self._mark(decision)
        except Exception:
            logger.exception("live feed: could not publish a decision")

    # Views (rule 7) ------------------------------------------------------------------

    def _mark(self, decision: Decision) -> None:
        if not any(c.watching for c in self._connections):
            return
        for effect in decision.effects:
            queue = _queue_of(effect)
            if queue is not None:
                self._dirty.add(queue)
        self._schedule()

    def refresh(self, queues: Iterable[QueueId]) -> None:
        """Send these queues again in the next views (rule 8)."""
        if not any(c.watching for c in self._connections):
            return
        self._dirty.update(queues)
        self._schedule()

    def broadcast(
        self, body: dict[str, object], *, masked: dict[str, object] | None = None
    ) -> None:
        """One message to every supervising connection, at once (rule 8); to viewers the
        `masked` one, if any (rule 11)."""
        self._to_supervisors(_dumps(body))
        if masked is not None:
            self._to_viewers(_dumps(masked))

    def _schedule(self) -> None:
        if self._flush is not None:
            return
        loop = asyncio.get_running_loop()
        wait = self._flushed_at + self._coalesce - loop.time()
        if wait > 0:
            self._flush = loop.call_later(wait, self._send_views)
        else:  # rule 7: after a quiet spell, on the loop's next turn
            self._flush = loop.call_soon(self._send_views)

    def _send_views(self) -> None:
        self._flush = None
        self._flushed_at = asyncio.get_running_loop().time()
        state, now = self._state(), self._now()
        viewed, self._viewed = self._viewed, state
        if viewed is None or viewed.config is not state.config:
            agents, queues = set(views.agent_ids(state)), set(views.queue_ids(state))
        else:
            agents = changed_keys(viewed.agents, state.agents)
            queues = self._dirty | {q for a in agents for q in _queues_of(state, a)}
        self._dirty = set()
        queues &= set(views.queue_ids(state))
        if not (queues or agents):
            return
        self.views_sent += 1
        self._to_supervisors(_dumps(self._views(state, now, queues, agents, numbers=True)))
        if any(c.viewing for c in self._connections):  # rule 11
            self._to_viewers(_dumps(self._views(state, now, queues, agents, numbers=False)))

    def _views(
        self,
        state: AcdState,
        now: Instant,
        queues: set[QueueId],
        agents: set[AgentId],
        *,
        numbers: bool,
    ) -> dict[str, object]:
        return {
            "type": "views",
            "at": now,
            "queues": [self._queue_view(state, q, now, numbers) for q in sorted(queues)],
            "agents": [views.agent_view(state, a, now, numbers=numbers) for a in sorted(agents)],
        }

    def _route(self, effect: Effect, state: AcdState) -> None:
        if isinstance(effect, OfferMade):
            if self._agent_connections(effect.agent):
                self._spawn(self._screen_pop(effect))
        elif isinstance(effect, LoginEnded):
            for conn in self._agent_connections(effect.session.agent):
                if conn.identity.login in (None, effect.session.start):
                    self._put(conn, _Close(LOGIN_ENDED, b"login ended"))
        elif isinstance(effect, NoticeChanged):  # rule 10
            notice = None if effect.notice is None else plain_object(effect.notice)
            body = {"type": "notice", "queue": effect.queue, "notice": notice, "by": effect.by}
            text = _dumps(body | {"at": effect.at})
            self._to_supervisors(text)
            self._to_viewers(text)  # rule 11: a notice names no caller
        elif isinstance(effect, BreakChanged):  # rule 12
            text = _dumps(
                {
                    "type": "break",
                    "request": plain_object(effect.request),
                    "by": effect.by,
                    "at": effect.at,
                }
            )
            self._to_supervisors(text)
            for conn in self._agent_connections(effect.request.agent):
                self._put(conn, text)
        elif isinstance(effect, MonitoringChanged):  # rule 9
            spy = None if effect.spy is None else spy_view(effect.spy)
            body = {"type": "monitoring", "supervisor": effect.supervisor, "agent": effect.agent}
            self._to_supervisors(
                _dumps(body | {"monitoring": spy, "at": effect.at, "why": effect.why})
            )
        elif isinstance(effect, SUPERVISOR_EVENTS):
            text = _dumps({"type": EVENT_TYPES[type(effect)], **_fields(effect)})
            own = _own_agent(effect)
            watching = _consulting(state, own) if isinstance(effect, AgentChanged) else set()
            for conn in list(self._connections):
                if _wants(conn, own) or (conn.identity.agent in watching and not conn.supervising):
                    self._put(conn, text)

    def _to_supervisors(self, text: str) -> None:
        for conn in list(self._connections):
            if conn.supervising:
                self._put(conn, text)

    def _to_viewers(self, text: str) -> None:
        for conn in list(self._connections):
            if conn.viewing:
                self._put(conn, text)

    def _agent_connections(self, agent: AgentId) -> list[Connection]:
        return [
            c
            for c in self._connections
            if c.identity.role is Role.AGENT and c.identity.agent == agent and not c.closing
        ]

    def _put(self, conn: Connection, item: str | _Close) -> None:
        if conn.closing:
            return
        try:
            conn.queue.put_nowait(item)
        except asyncio.QueueFull:
            self._drop(conn)
            return
        if isinstance(item, _Close):
            conn.closing = True
            self._connections.discard(conn)

    def _drop(self, conn: Connection) -> None:
        self.dropped += 1
        logger.warning("live feed: dropping a slow client (%s)", conn.identity.by)
        self._end(conn, SLOW, b"too slow")

    def _end(self, conn: Connection, code: int, message: bytes) -> None:
        conn.closing = True
        self._connections.discard(conn)
        if conn.pump is not None:
            conn.pump.cancel()
        self._spawn(self._close(conn, code, message))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Screen pop (rule 2) -------------------------------------------------------------

    async def _screen_pop(self, offer: OfferMade) -> None:
        call = offer.call
        previous = await self._previous_calls(call.caller)
        text = _dumps(
            {
                "type": "offer",
                "agent": offer.agent,
                "call_id": call.call,
                "caller": call.caller,
                "queue": call.queue,
                "priority": call.priority,
                "offered_at": offer.at,
                "waited_seconds": views.seconds(offer.at - call.entered_at),
                "previous_calls": None if previous is None else views.summaries_view(previous),
            }
        )
        for conn in self._agent_connections(offer.agent):
            self._put(conn, text)

    async def _previous_calls(self, caller: str) -> list[CallSummary] | None:
        """The caller's last calls; None when storage did not answer in time."""
        if not caller.strip():
            return []
        try:
            async with asyncio.timeout(self._history_timeout):
                return await self._history.recent_calls(caller, limit=PREVIOUS_CALLS)
        except Exception as exc:
            logger.warning("screen pop without history: %r", exc)
            return None

    # Connections ---------------------------------------------------------------------

    async def serve(
        self, request: web.Request, identity: Identity, *, board_only: bool = False
    ) -> web.WebSocketResponse:
        """Run one WebSocket connection until either side closes it."""
        ws = web.WebSocketResponse(heartbeat=self._heartbeat, max_msg_size=4096, compress=False)
        await ws.prepare(request)
        if self._closed:
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
            return ws
        if not login_current(identity, self._state()):  # it ended while we upgraded
            await ws.close(code=LOGIN_ENDED, message=b"login ended")
            return ws
        board_only = board_only or identity.role is Role.VIEWER  # rule 11
        conn = Connection(ws, identity, asyncio.Queue(self._queue_size), board_only)
        self._connections.add(conn)
        if conn.watching and self._viewed is None:  # rule 7: views follow the snapshot
            self._viewed = self._state()
        self._put(conn, _dumps(self._snapshot(identity)))
        conn.pump = asyncio.get_running_loop().create_task(self._pump(conn))
        try:
            async for _message in ws:  # nothing a client sends is acted on
                pass
        finally:
            self._connections.discard(conn)
            conn.closing = True
            conn.pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await conn.pump
        return ws

    def _snapshot(self, identity: Identity) -> dict[str, object]:
        state, now = self._state(), self._now()
        if identity.role is Role.AGENT and identity.agent is not None:
            agent = views.agent_view(state, identity.agent, now, numbers=True)
            return {"type": "snapshot", "at": now, "agent": agent}
        shown = identity.sees_numbers  # rule 11
        return {
            "type": "snapshot",
            "at": now,  # the server's clock: a page places its own on it (rule 4)
            "agents": [
                views.agent_view(state, a, now, numbers=shown) for a in views.agent_ids(state)
            ],
            "queues": [self._queue_view(state, q, now, shown) for q in views.queue_ids(state)],
            "monitoring": [spy_view(s) for s in state.spies.values()] if shown else [],  # 9, 11
            "notices": [plain_object(n) for n in state.notices.values()],  # rule 10
            "breaks": [plain_object(b) for b in state.breaks.values()] if shown else [],  # 12
            **(self._board.snapshot(numbers=shown) if self._board is not None else {}),
        }

    def _queue_view(
        self, state: AcdState, queue: QueueId, now: Instant, numbers: bool
    ) -> dict[str, object]:
        """A queue as supervisors see it: its view, and the board's part of it (rule 8)."""
        view = views.queue_view(state, queue, now, numbers=numbers)
        return view if self._board is None else view | self._board.queue_extras(queue)

    async def _pump(self, conn: Connection) -> None:
        while True:
            item = await conn.queue.get()
            if isinstance(item, _Close):  # in its own task: the handler ends with the socket
                self._spawn(self._close(conn, item.code, item.message))
                return
            try:
                async with asyncio.timeout(self._send_timeout):
                    await conn.ws.send_str(item)
            except TimeoutError:
                self._drop(conn)
                return
            except Exception as exc:  # the peer went away; the handler ends the connection
                logger.debug("live feed: send failed: %r", exc)
                return

    async def _close(self, conn: Connection, code: int, message: bytes) -> None:
        try:
            async with asyncio.timeout(self._send_timeout):
                await conn.ws.close(code=code, message=message)
        except Exception as exc:  # on timeout aiohttp has already dropped the transport
            logger.debug("live feed: close failed: %r", exc)

    async def close_all(self, _app: web.Application | None = None) -> None:
        """Close every connection (app.on_shutdown), and refuse new ones."""
        self._closed = True
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        for conn in list(self._connections):
            self._end(conn, WSCloseCode.GOING_AWAY, b"server shutting down")
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _own_agent(effect: Effect) -> AgentId | None:
    """The agent an event is that agent's own news of (rule 2): its changes, its findings."""
    if isinstance(effect, AgentChanged):
        return effect.agent
    if isinstance(effect, FindingRaised):
        return effect.finding.agent
    return None


def _consulting(state: AcdState, consulted: AgentId | None) -> set[AgentId]:
    """The agents consulting this one (P8): told of its changes (rule 2), so a desktop sees
    the consultation answered and may complete the transfer."""
    return {c.agent for c in state.consults.values() if c.offer.agent == consulted}


def _wants(conn: Connection, own: AgentId | None) -> bool:
    """Whether an event goes to this connection: supervisors' full feeds (rules 3, 7a),
    and an agent's own changes to that agent (rule 2)."""
    if conn.supervising:
        return not conn.board_only
    return conn.identity.role is Role.AGENT and own is not None and conn.identity.agent == own


def _queue_of(effect: Effect) -> QueueId | None:
    """The queue whose callers or offers an effect changed (rule 7)."""
    if isinstance(effect, CallWaiting | OfferMade):
        return effect.call.queue
    if isinstance(effect, QueueVisitEnded):
        return effect.visit.queue
    if isinstance(effect, OfferEnded):
        return effect.offer.queue
    return None


def _queues_of(state: AcdState, agent: AgentId) -> Iterable[QueueId]:
    profile = state.config.agents.get(agent)
    return () if profile is None else profile.queues


def _fields(effect: Effect) -> dict[str, object]:
    body = views.plain(effect)
    assert isinstance(body, dict)
    return body


def _dumps(body: dict[str, object]) -> str:
    return json.dumps(body, separators=(",", ":"))
