"""The API under test: a real aiohttp server, a real Engine with the pure core, and real
storage (ConfigStore and HistoryQueries on a temporary SQLite file).

Asterisk is the one boundary faked here: call control only records the instructions it
was given, and telephony arrives as core inputs handed to Engine.submit (the lab suites
test the AMI side against a real Asterisk).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from aiohttp.test_utils import TestClient, TestServer

from cti.api.app import Hub, context_key
from cti.api.board import Board
from cti.dialer.feeder import Dialer
from cti.domain.config import AgentProfile, NotReadyReason, QueueConfig
from cti.domain.effects import Instruction, Record
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.inputs import (
    CallerQueued,
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    DialEnded,
    DialStarted,
    DialStatus,
    PhoneRinging,
)
from cti.domain.queue import WaitingCall
from cti.domain.records import CallRecord, OfferOutcome, OfferRecord, Segment, SegmentKind, Side
from cti.domain.state import Decision
from cti.engine.engine import Engine
from cti.settings import RecordingSettings, SoftphoneSettings
from cti.storage import spool_file
from cti.storage.campaign_store import CampaignStore
from cti.storage.config_store import ConfigChange, ConfigStore
from cti.storage.database import Database, open_database
from cti.storage.spool import BatchingHistory
from cti.wiring import Telephony, assemble
from tests.waiting import eventually

T = TypeVar("T")
K = TypeVar("K")

PINS = {"1001": "1234", "1002": "5678"}


class RecordingControl:
    """CallControl that performs nothing and remembers every instruction."""

    def __init__(self) -> None:
        self.instructions: list[Instruction] = []

    def perform(self, instruction: Instruction) -> None:
        self.instructions.append(instruction)

    def of(self, kind: type[K]) -> list[K]:
        return [i for i in self.instructions if isinstance(i, kind)]


class RecordingHistory:
    """The server's own history writer (to the test's database, spooling beside it), which
    also keeps every record it was handed, for the tests to look at."""

    def __init__(self, writer: BatchingHistory) -> None:
        self.records: list[Record] = []
        self.writer = writer
        self.held: list[Record] | None = None  # accepted, not yet handed to the writer

    def put(self, record: Record) -> None:
        self.records.append(record)
        if self.held is not None:
            self.held.append(record)
        else:
            self.writer.put(record)

    def hold(self) -> None:
        """Records are accepted but kept back (a writer slow to commit) until `release`."""
        self.held = []

    def release(self) -> None:
        held, self.held = self.held or [], None
        for record in held:
            self.writer.put(record)

    @property
    def accepted(self) -> int:
        return self.writer.accepted + len(self.held or ())

    @property
    def pending(self) -> int:
        return self.writer.pending + len(self.held or ())


class ShiftedClock:
    """The wall clock, moved on by `advance` (the API tests' controllable clock)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> Instant:
        return Instant(time.time() + self.offset)

    def advance(self, seconds: float) -> Instant:
        self.offset += seconds
        return self.now()


class NoFrames:
    """FrameReader for an engine that is never handed AMI frames in these tests."""

    def name(self, headers: Any) -> str:
        raise ValueError("no AMI in API tests")

    def read(self, headers: Any, received_at: Instant) -> None:
        raise ValueError("no AMI in API tests")


class QuietObserver:
    def ami_event(self, name: str) -> None: ...

    def ami_malformed(self) -> None: ...

    def inbox_overflowed(self) -> None: ...

    def decided(self, decision: Decision, *, lag: float) -> None: ...


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    client: TestClient[Any, Any]
    engine: Engine
    store: ConfigStore
    database: Database
    hub: Hub
    control: RecordingControl
    history: RecordingHistory
    clock: ShiftedClock
    admin: str
    supervisor: str
    engine_task: asyncio.Task[None]
    campaigns: CampaignStore
    dialer: Dialer
    board: Board
    tokens: dict[str, str] = field(default_factory=dict)

    # HTTP -----------------------------------------------------------------------------

    async def call(
        self, method: str, path: str, token: str | None = None, body: Any = None, **kw: Any
    ) -> tuple[int, Any]:
        headers = {**(bearer(token) if token else {}), **kw.pop("headers", {})}
        if body is not None:
            kw["json"] = body
        async with self.client.request(method, path, headers=headers, **kw) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()

    async def log_in(self, agent: str, device: str | None = None, **extra: Any) -> str:
        body = {"pin": PINS[agent], "device": device or f"PJSIP/{agent}", **extra}
        status, answer = await self.call("POST", f"/api/v1/agents/{agent}/login", body=body)
        assert status == 200, answer
        self.tokens[agent] = answer["token"]
        return str(answer["token"])

    async def agent_state(self, agent: str) -> str:
        status, answer = await self.call("GET", f"/api/v1/agents/{agent}", self.supervisor)
        assert status == 200, answer
        return str(answer["agent"]["state"])

    # Telephony, as the AMI adapter would hand it to the engine -------------------------

    def now(self) -> Instant:
        return self.clock.now()

    def register(self, device: str, state: DeviceState = DeviceState.NOT_IN_USE) -> None:
        self.engine.submit(DeviceStateChanged(at=self.now(), device=DeviceId(device), state=state))

    def caller_queued(
        self, channel: str, caller: str, queue: str = "support", priority: int = 0
    ) -> None:
        entry = WaitingCall(
            call=CallId(channel),
            channel=ChannelId(channel),
            queue=QueueId(queue),
            priority=priority,
            caller=caller,
            entered_at=self.now(),
        )
        self.engine.submit(CallerQueued(at=self.now(), entry=entry))

    def answered(self, channel: str, agent: str) -> None:
        at, leg = self.now(), ChannelId(f"{channel}-agent")
        caller = ChannelId(channel)
        device = DeviceId(f"PJSIP/{agent}")
        self.engine.submit(DialStarted(at=at, channel=caller, agent_channel=leg, device=device))
        self.engine.submit(PhoneRinging(at=at, channel=caller, agent_channel=leg))
        self.engine.submit(
            DialEnded(at=at, channel=caller, agent_channel=leg, status=DialStatus.ANSWER)
        )

    def hung_up(self, channel: str) -> None:
        self.engine.submit(ChannelHungUp(at=self.now(), channel=ChannelId(channel), cause=16))

    async def eventually_waiting(self, queue: str, count: int) -> None:
        async def check() -> bool:
            return len(self.engine.state.waiting.in_queue(QueueId(queue))) == count

        await eventually(check, what=f"{count} waiting in {queue}")

    async def until_state(self, agent: str, state: str) -> None:
        async def check() -> bool:
            live = self.engine.state.agents.get(AgentId(agent))
            return (live.state.value if live else "logged_out") == state

        await eventually(check, what=f"agent {agent} {state}")


def seed() -> ConfigChange:
    support = QueueConfig(id=QueueId("support"), name="Support", ring_limit=3, ring_cadence=6.0,
                          dispositions=("solved", "callback"))  # fmt: skip
    sales = QueueConfig(id=QueueId("sales"), name="Sales")
    agents = tuple(
        AgentProfile(
            id=AgentId(a), name=f"Agent {a}", queues=MappingProxyType({QueueId("support"): 0})
        )
        for a in PINS
    )
    lunch = NotReadyReason(code="lunch", label="Lunch", max_seconds=900.0)
    pins = MappingProxyType({AgentId(a): p for a, p in PINS.items()})
    return ConfigChange(queues=(support, sales), agents=agents, reasons=(lunch,), pins=pins)


@contextlib.asynccontextmanager
async def running_api(
    tmp_path: Path,
    *,
    command_timeout: float = 5.0,
    stored: Sequence[Record] = (),
    spooled: Sequence[Record] = (),
    zone: tzinfo | None = None,
    ami_up: Callable[[], bool] = lambda: True,
    ami_reconnects: Callable[[], int] = lambda: 0,
    softphones: SoftphoneSettings | None = None,
    audit_interval: float = 15.0,
    recording: RecordingSettings | None = None,
) -> AsyncIterator[Api]:
    """The server as `cti serve` assembles it (cti/wiring.py assemble), on a temporary
    SQLite database, with call control recording instead of Asterisk. `stored` records
    are in its database before it starts, `spooled` ones in the spool a previous run left;
    `zone` is the centre's time zone, `ami_up` and `ami_reconnects` the AMI link's state."""
    database = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'cti.sqlite3'}")
    store = ConfigStore(database)
    await store.apply(seed())
    await database.history().record(list(stored))
    if spooled:
        spool_file.append(tmp_path / "history.spool", spooled)
    admin = await store.create_token("root", "admin")
    supervisor = await store.create_token("sue", "supervisor")
    clock, control = ShiftedClock(), RecordingControl()
    history = RecordingHistory(BatchingHistory(database.history(), tmp_path / "history.spool"))
    telephony = Telephony(
        control=control, reader=NoFrames(), up=ami_up, reconnects=ami_reconnects,
        request_resync=lambda: None,
    )  # fmt: skip
    await history.writer.load()  # as serve does (its rule 4)
    tasks = [asyncio.create_task(history.writer.run())]  # first, as serve does (its rule 4)
    parts = await assemble(
        clock=clock, database=database, history=history, telephony=telephony, zone=zone,
        softphones=softphones, audit_interval=audit_interval,
        recording_settings=recording or RecordingSettings(directory=str(tmp_path / "monitor")),
    )  # fmt: skip
    context = replace(parts.context, command_timeout=command_timeout)
    parts.app[context_key] = context
    tasks += [asyncio.create_task(coro, name=name) for name, coro in parts.tasks()]
    client: TestClient[Any, Any] = TestClient(TestServer(parts.app))
    await client.start_server()
    api = Api(client, parts.engine, store, database, parts.hub, control, history, clock, admin,
              supervisor, tasks[1], CampaignStore(database), parts.dialer,
              parts.board)  # fmt: skip
    for agent in PINS:
        api.register(f"PJSIP/{agent}")
    try:
        yield api
    finally:
        await client.close()
        await parts.dialer.close()
        for task in reversed(tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await history.writer.close()
        await database.close()


def past_call(call: str, caller: str, agent: str, entered_at: float) -> CallRecord:
    """An answered call of the past, as the history writer stores it."""
    queue, who = QueueId("support"), AgentId(agent)
    start, answered, ended = Instant(entered_at), Instant(entered_at + 12), Instant(entered_at + 90)
    segments = (
        Segment(kind=SegmentKind.QUEUE, start=start, end=answered, queue=queue,
                outcome="connected"),
        Segment(kind=SegmentKind.TALK, start=answered, end=ended, queue=queue, agent=who,
                outcome="released"),
    )  # fmt: skip
    return CallRecord(
        call=CallId(call), caller=caller, queue=queue, entered_at=start, ended_at=ended,
        segments=segments, offers=1, answered=True, abandoned=False, abandon_wait=None,
        released_by=Side.CALLER, survey_score=5, disposition="solved",
    )  # fmt: skip


def past_offer(call: str, agent: str, offered_at: float) -> OfferRecord:
    return OfferRecord(
        call=CallId(call), queue=QueueId("support"), agent=AgentId(agent),
        device=DeviceId(f"PJSIP/{agent}"), offered_at=Instant(offered_at),
        ring_started_at=Instant(offered_at + 1), ended_at=Instant(offered_at + 4), rings=1,
        outcome=OfferOutcome.ANSWERED,
    )  # fmt: skip
