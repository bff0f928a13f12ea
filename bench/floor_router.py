"""The routing floor's router: the least a router on the dialplan contract can do.

    floor_router(lab, devices, log)   # in the bench: starts this file as its own process

Rule 1: the router logs in to AMI with the event class `user` only (the dialplan's
UserEvents) and answers each CtiQueueEnter inside panoramisk's callback, before the next
event is read: it picks a phone, builds a ConnectCall and writes every action of
`cti.ami.control.plan(ConnectCall)` with send_action, back to back, never awaiting between
them (as the server's call control does). What it sends is therefore whatever the dialplan
contract of the day asks for; nothing here names a variable or a context.
Rule 2: the phone is the one free longest among those the router believes free. An offer
makes its phone busy; the CtiDialResult that cti-connect sends when its Dial returns (the
agent hung up, or the dial failed) makes it free. With no phone believed free a caller
waits, first come first served, and a phone made free goes at once to the first caller
waiting (so callers that waited are routed as the server routes them). A caller who hangs
up during the call ends the dialplan inside Dial, so no CtiDialResult frees that phone: a
phone believed busy longer than STUCK_S is taken for free again (counted as a blind
pick); an offer to a waiting caller who has hung up fails and frees its phone at once.
With talk 300 ms, 20 phones and 20 calls/s, this is round robin over the devices in
practice.
Rule 3: a dial that did not end in ANSWER sends the caller back to the holding loop with
no new CtiQueueEnter, so the router offers it again, at most MAX_OFFERS times in all.
Rule 4: it runs as its own process, as the server does, so that it shares no event loop
(and no GIL) with the bench's marks listener, which under --breakdown parses every call
and dialplan event. Protocol: one JSON line of settings on stdin; "ready" on stdout once
logged in; it routes until stdin closes, then writes one JSON line (RouterSummary) and
exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from panoramisk import Manager

SCRIPT: Final = Path(__file__).resolve()
REPO: Final = SCRIPT.parents[1]
if str(REPO) not in sys.path:  # run as a script: bench/ is first on sys.path, not REPO
    sys.path.insert(0, str(REPO))

from cti.ami.control import plan  # noqa: E402
from cti.domain.effects import ConnectCall  # noqa: E402
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, QueueId  # noqa: E402
from cti.lab.instance import LabInstance  # noqa: E402

RING_GUARD_S: Final = 15.0  # Dial's own timeout: a safety net only, as the server's
MAX_OFFERS: Final = 3  # per caller (rule 3)
STUCK_S: Final = 10.0  # a phone busy this long lost its CtiDialResult (rule 2)
TECHNOLOGY: Final = "PJSIP"  # the lab's agent devices are PJSIP endpoints named 1001...
START_TIMEOUT_S: Final = 15.0
STOP_TIMEOUT_S: Final = 10.0


@dataclass(slots=True)
class Phones:
    """Which phone to offer next (rule 2)."""

    free_since: dict[str, float]  # believed free -> since when
    offered_at: dict[str, float] = field(default_factory=dict)  # believed busy -> since when
    blind: int = 0  # picks made with no phone believed free

    @classmethod
    def of(cls, devices: Sequence[str]) -> Phones:
        """All free, the first device the longest (so the first round goes in order)."""
        return cls({device: float(n) for n, device in enumerate(devices)})

    def pick(self, now: float) -> str | None:
        """The phone to offer, or None: every phone busy (rule 2)."""
        if self.free_since:
            device = min(self.free_since, key=self.free_since.__getitem__)
            del self.free_since[device]
        else:
            device = min(self.offered_at, key=self.offered_at.__getitem__, default="")
            if not device or now - self.offered_at[device] < STUCK_S:
                return None
            self.blind += 1
        self.offered_at[device] = now
        return device

    def release(self, device: str, now: float) -> None:
        if self.offered_at.pop(device, None) is not None:
            self.free_since[device] = now


@dataclass(frozen=True, slots=True)
class Caller:
    call: CallId
    queue: QueueId
    number: str  # CallerNum: the bench's key for the call
    offers: int


@dataclass(slots=True)
class RouterSummary:
    offers: int = 0
    re_offers: int = 0  # rule 3
    blind_picks: int = 0  # rule 2
    waited: int = 0  # callers that found every phone busy (rule 2)
    failed_actions: int = 0  # Asterisk answered an action with an error, or never did
    failures: list[str] = field(default_factory=list)  # the first few reasons
    errors: list[str] = field(default_factory=list)  # events the router could not handle
    # Per caller number: when the router heard the caller's CtiQueueEnter, and when it had
    # written the last action of the offer (time.time(), the host's clock).
    marks: dict[str, dict[str, float]] = field(default_factory=dict)


class Router:
    """Answers the dialplan's UserEvents on one AMI session (rules 1-3)."""

    def __init__(self, manager: Any, devices: Sequence[str]) -> None:
        self._manager = manager
        self.phones = Phones.of(devices)
        self.summary = RouterSummary()
        self._callers: dict[ChannelId, Caller] = {}  # offered, no ANSWER heard yet
        self._waiting: deque[tuple[ChannelId, Caller]] = deque()  # rule 2
        self._offered: dict[str, int] = {}  # phone -> the number of its current offer

    def on_user_event(self, _manager: Any, event: Any) -> None:
        """panoramisk callback: sync, so the offer is written before the next event is read;
        never raises (a failure is kept for the summary)."""
        heard = time.time()
        try:
            self._on(event, heard)
        except Exception as exc:
            if len(self.summary.errors) < 5:
                self.summary.errors.append(repr(exc))

    def _on(self, event: Any, heard: float) -> None:
        name = event.get("UserEvent")
        if name == "CtiQueueEnter":
            channel = ChannelId(str(event["Uniqueid"]))
            number = str(event.get("CallerNum", ""))
            call = CallId(str(event.get("CallId") or channel))
            self._offer(channel, Caller(call, QueueId(str(event["Queue"])), number, 0), heard)
        elif name == "CtiDialResult":
            channel = ChannelId(str(event["Uniqueid"]))
            caller = self._callers.pop(channel, None)
            answered = event.get("Status") == "ANSWER"
            if caller is not None and not answered and caller.offers < MAX_OFFERS:
                self.summary.re_offers += 1
                self._waiting.appendleft((channel, caller))  # its place first
            self._freed(str(event.get("Agent", "")), heard)

    def _freed(self, device: str, now: float) -> None:
        self.phones.release(device, now)
        if self._waiting:
            self._offer(*self._waiting.popleft(), now)

    def _offer(self, channel: ChannelId, caller: Caller, heard: float) -> None:
        device = self.phones.pick(heard)
        if device is None:
            self._waiting.append((channel, caller))
            self.summary.waited += 1
            return
        offer = ConnectCall(
            call=caller.call,
            channel=channel,
            queue=caller.queue,
            agent=AgentId(device),
            device=DeviceId(f"{TECHNOLOGY}/{device}"),
            ring_guard=RING_GUARD_S,
        )
        serial = self._offered[device] = self.summary.offers
        for action in plan(offer):  # written at once, no await in between (rule 1)
            answer = self._manager.send_action(dict(action))
            answer.add_done_callback(lambda done, d=device: self._answered(done, d, serial))
        self._callers[channel] = Caller(caller.call, caller.queue, caller.number, caller.offers + 1)
        self.summary.offers += 1
        self.summary.blind_picks = self.phones.blind
        self.summary.marks.setdefault(caller.number, {"router_heard": heard, "routed": time.time()})

    def _answered(self, future: asyncio.Future[Any], device: str, serial: int) -> None:
        if future.cancelled():
            reason = "cancelled"
        elif future.exception() is not None:
            reason = repr(future.exception())
        else:
            response = future.result()
            first = response[0] if isinstance(response, list) else response
            if first.success:
                return
            reason = str(first.get("Message", "error"))
        self.summary.failed_actions += 1
        if len(self.summary.failures) < 5:
            self.summary.failures.append(reason)
        if self._offered.get(device) == serial:  # the caller had gone (rule 2)
            del self._offered[device]
            self._freed(device, time.time())


async def route(settings: dict[str, Any], until_closed: asyncio.StreamReader) -> RouterSummary:
    """Log in, say "ready", route until stdin closes (the child's side)."""
    manager = Manager(
        host=settings["host"],
        port=settings["port"],
        username=settings["username"],
        secret=settings["secret"],
        events="user",
        ping_delay=10**6,
    )
    router = Router(manager, settings["devices"])
    manager.register_event("UserEvent", router.on_user_event)
    async with asyncio.timeout(START_TIMEOUT_S):
        await manager.connect()
        if manager.authenticated_future is not None:  # panoramisk logs in after connecting
            await manager.authenticated_future
    if not manager.authenticated:
        raise RuntimeError("floor router: AMI login refused")
    print("ready", flush=True)
    try:
        await until_closed.read()
        await asyncio.sleep(0.5)  # the last answers on their way
    finally:
        manager.close()
    return router.summary


async def child_main() -> None:
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    settings = json.loads(await stdin.readline())
    summary = await route(settings, stdin)
    print(json.dumps(asdict(summary)), flush=True)


@dataclass(slots=True)
class RouterProcess:
    """The bench's handle on the router: its PID while it runs, its summary once stopped."""

    proc: asyncio.subprocess.Process
    summary: RouterSummary | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid


@contextlib.asynccontextmanager
async def floor_router(
    lab: LabInstance, devices: Sequence[str], log: Path
) -> AsyncIterator[RouterProcess]:
    """Start the router on the lab's AMI (logged in when this yields); on leaving, stop it
    and read its summary. Its stderr goes to `log`."""
    with log.open("ab") as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
    router = RouterProcess(proc)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        settings = {"host": lab.host, "port": lab.ports.ami, "devices": list(devices)}
        settings |= {"username": lab.ami_user, "secret": lab.ami_secret}
        proc.stdin.write(json.dumps(settings).encode() + b"\n")
        await proc.stdin.drain()
        async with asyncio.timeout(START_TIMEOUT_S + 5):
            ready = await proc.stdout.readline()
        if ready.strip() != b"ready":
            raise RuntimeError(f"floor router did not start: {ready!r}; see {log}")
        yield router
        proc.stdin.close()
        async with asyncio.timeout(STOP_TIMEOUT_S):
            # The summary is one line, with a mark per caller: at 50 calls/s far longer than
            # a StreamReader's 64 KiB line limit, so it is read to the end, not by line.
            rest = await proc.stdout.read()
            await proc.wait()
        router.summary = RouterSummary(**json.loads(rest.strip().splitlines()[-1]))
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


if __name__ == "__main__":
    asyncio.run(child_main())
