"""Wiring: the one place that builds concrete classes and connects them (`cti serve`).

Rule 1: start order is storage (migrated), engine, AMI link, HTTP; stop order is the
reverse, and history still buffered is flushed (or spooled) before exit.
Rule 2: nothing here decides anything; it only connects ports to adapters.
Rule 3: `assemble` builds everything but Asterisk's side and the HTTP site, once, for
`cti serve` and for the API tests (tests/api/harness.py), so what the tests run is what the
server runs, the dialer included; `serve` adds the AMI adapter, the history writer and the
listening socket.
Rule 4: the history writer counts the spool a previous run left, then starts first, and
the logins to restore (C1) are read once that spool is in the database (within
PRESENCE_SETTLE): a login or logout spooled during an outage before a crash is part of who
is logged in.
Rule 5: the database opened is the one the spool belongs to (cti/storage/stamp.py): one that
vanished under the server is refused before anything is written (DatabaseVanished: `cti
serve` prints why and exits 1), and the spool's stamp names the database once it is open.
Rule 6: a stop (SIGTERM, SIGINT) is prompt whatever is in flight: a contacts upload is
cancelled at once (cti/api/upload_slot.py; it is read in slices on the loop, so the cancel
lands within a slice), other requests get STOP_GRACE_S to finish; then rule 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo

from aiohttp import web

from cti.ami.control import AmiCallControl
from cti.ami.link import AmiLink, LinkCallbacks, LinkSettings
from cti.ami.normalize import AmiReader
from cti.ami.resync import Resyncer
from cti.ami.timeline import Timeline
from cti.api.app import ApiContext, Hub, create_app
from cti.api.board import Board
from cti.api.signin import SignInGuard
from cti.audit.auditor import INTERVAL as AUDIT_INTERVAL
from cti.audit.auditor import Auditor
from cti.dialer.feeder import Dialer
from cti.domain.commands import LoadConfig, RestoreLogins, RestoreNotices
from cti.domain.ids import Clock
from cti.domain.inputs import Input, TelephonyLost
from cti.engine.clock import SystemClock
from cti.engine.engine import Engine
from cti.engine.ports import CallControl, FrameReader, Headers, HistoryRecorder
from cti.engine.runner import EffectRunner
from cti.metrics import (
    AdherenceCollector,
    AuditCollector,
    CampaignCollector,
    DialerCollector,
    HistoryCollector,
    LiveCollector,
    Metrics,
    MonitoringWeek,
    RetentionCollector,
)
from cti.recordings.files import RecordingFiles
from cti.recordings.keeper import RetentionKeeper
from cti.settings import (
    SESSION_SECONDS,
    ComplianceSettings,
    RecordingSettings,
    Settings,
    SoftphoneSettings,
)
from cti.storage.callback_store import CallbackStore
from cti.storage.campaign_store import CampaignStore
from cti.storage.config_store import ConfigStore
from cti.storage.config_watch import ConfigWatch
from cti.storage.database import Database, open_database
from cti.storage.spool import BatchingHistory, Progress, settled
from cti.storage.stamp import remember

logger = logging.getLogger(__name__)

PRESENCE_SETTLE: Final = 10.0  # seconds the restore of logins waits for the spool (rule 4)
AUDIT_SETTLE: Final = 5.0  # seconds a compliance round waits for history (auditor rule 5)
STOP_GRACE_S: Final = 2.0  # seconds a stop waits for requests in flight (rule 6)


class Recorder(HistoryRecorder, Progress, Protocol):
    """The history writer as the server needs it: takes records, says how far it got."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Telephony:
    """What the server is given of Asterisk: call control, the frame reader, and the
    link's state (the AMI adapter in `cti serve`; a recording stand-in in API tests)."""

    control: CallControl
    reader: FrameReader
    up: Callable[[], bool]
    reconnects: Callable[[], int]
    request_resync: Callable[[], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Parts:
    """The server's parts, connected (rule 3); `tasks` are what must run."""

    engine: Engine
    dialer: Dialer
    auditor: Auditor
    keeper: RetentionKeeper
    watch: ConfigWatch
    hub: Hub
    board: Board
    metrics: Metrics
    context: ApiContext
    app: web.Application

    def tasks(self) -> list[tuple[str, Coroutine[Any, Any, None]]]:
        return [
            ("acd-engine", self.engine.run()),
            ("dialer", self.dialer.run()),
            ("auditor", self.auditor.run()),
            ("config-watch", self.watch.run()),
            ("board", self.board.run()),
            ("recording-retention", self.keeper.run()),
        ]


async def assemble(
    *,
    clock: Clock,
    database: Database,
    history: Recorder,
    telephony: Telephony,
    session_seconds: float = SESSION_SECONDS,
    zone: tzinfo | None = None,
    softphones: SoftphoneSettings | None = None,
    audit_interval: float = AUDIT_INTERVAL,
    compliance_settings: ComplianceSettings | None = None,
    recording_settings: RecordingSettings | None = None,
) -> Parts:
    """Rule 3: the one assembly of the engine, the dialer, the API and the metrics, for
    `cti serve` and for the API tests alike; the configuration and the agents logged in
    when the server stopped (C1) are loaded, their phones' states come with the resync."""
    store, queries, metrics = ConfigStore(database), database.queries(), Metrics()
    board = Board(
        state=lambda: engine.state, now=clock.now, history=queries, progress=history,
        zone=zone or ZoneInfo("UTC"), ami_up=telephony.up, ami_reconnects=telephony.reconnects,
    )  # fmt: skip
    hub = Hub(state=lambda: engine.state, now=clock.now, history=queries, board=board)
    board.attach(hub)
    effects = EffectRunner(history=history, control=telephony.control, feeds=[board, hub])
    engine = Engine(
        clock=clock,
        reader=telephony.reader,
        runner=effects,
        observer=metrics,
        request_resync=telephony.request_resync,
    )
    campaigns, book = CampaignStore(database), CallbackStore(database)
    dialer = Dialer(engine, campaigns, book, history, clock.now)
    effects.add_feed(dialer)
    config = await store.load()
    engine.submit(LoadConfig(at=clock.now(), config=config))
    watch = ConfigWatch(store, lambda c: engine.execute(LoadConfig(at=clock.now(), config=c)))
    watch.loaded(config)
    # Rule 4: who is logged in is read once the previous run's spool is in the database.
    if not await settled(history, PRESENCE_SETTLE):
        logger.warning(
            "history not written within %g s: logins restored as stored", PRESENCE_SETTLE
        )
    engine.submit(RestoreLogins(at=clock.now(), logins=tuple(await queries.presence())))
    engine.submit(RestoreNotices(at=clock.now(), notices=tuple(await store.queue_notices())))
    metrics.registry.register(LiveCollector(lambda: engine.state, clock.now, telephony.up))
    metrics.registry.register(CampaignCollector(lambda: engine.state, clock.now))
    metrics.registry.register(DialerCollector(lambda: (dialer.rounds, dialer.failed_rounds)))
    week = MonitoringWeek(lambda: engine.state, clock.now, zone or ZoneInfo("UTC"))  # P11
    week.load(await queries.monitored(*week.week))
    effects.add_feed(week)
    metrics.registry.register(week)
    compliance = database.compliance()
    auditor = Auditor(
        execute=engine.execute,
        state=lambda: engine.state,
        compliance=compliance,
        history=queries,
        now=clock.now,
        zone=zone or ZoneInfo("UTC"),
        interval=audit_interval,
        target=(compliance_settings or ComplianceSettings()).adherence_target,
        grace=(compliance_settings or ComplianceSettings()).adherence_grace,
        settle=lambda: settled(history, AUDIT_SETTLE),
    )
    metrics.registry.register(AuditCollector(lambda: (auditor.rounds, auditor.failed_rounds)))
    metrics.registry.register(AdherenceCollector(lambda: auditor.adherence_today))
    recorded = recording_settings or RecordingSettings()
    files = RecordingFiles(Path(recorded.directory))
    keeper = RetentionKeeper(
        store=database.recordings(), files=files, retention_days=recorded.retention_days,
        now=clock.now,
    )  # fmt: skip
    metrics.registry.register(RetentionCollector(lambda: (keeper.rounds, keeper.failed_rounds)))
    context = ApiContext(
        engine=engine,
        directory=store,
        history=queries,
        campaigns=campaigns,
        callbacks=book,
        hub=hub,
        now=clock.now,
        ami_up=telephony.up,
        ami_reconnects=telephony.reconnects,
        database_health=database.health,
        render_metrics=metrics.render,
        run_campaign=dialer.run_campaign,
        compliance=compliance,
        audit=auditor.audit,
        adherence=auditor.adherence,
        recordings=database.recordings(),
        recording_audio=files,
        qa_rates=(compliance_settings or ComplianceSettings()).rates(),
        signin=SignInGuard(metrics.signin),
        session_seconds=session_seconds,
        zone=zone or ZoneInfo("UTC"),
        softphones=softphones or SoftphoneSettings(),
    )
    app = create_app(context)
    return Parts(
        engine=engine, dialer=dialer, auditor=auditor, keeper=keeper, watch=watch, hub=hub,
        board=board,
        metrics=metrics, context=context, app=app,
    )  # fmt: skip


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or _stop_on_signals()
    clock = SystemClock()
    spool = Path(settings.database.spool)
    database = await open_database(settings.database.url, spool=spool)  # rule 5
    try:
        await remember(spool, database.identity, database.where)
    except BaseException:
        await database.close()
        raise
    history = BatchingHistory(database.history(), spool)
    parts: Parts | None = None

    def submit(item: Input) -> None:
        assert parts is not None
        parts.engine.submit(item)

    timeline = Timeline()  # Asterisk's clock on ours: the reader's, the resync's, the pings'
    link, resyncer, control = _ami(settings, clock, timeline, submit, lambda: parts)
    telephony = Telephony(
        control=control,
        reader=AmiReader(timeline),
        up=lambda: link.is_up,
        reconnects=lambda: link.reconnects,
        request_resync=resyncer.request,
    )
    await history.load()  # counted before anything marks what to wait for (rule 4)
    writer = _task(history.run(), "history-writer")  # first: it replays the spool (rule 4)
    try:
        parts = await assemble(
            clock=clock,
            database=database,
            history=history,
            telephony=telephony,
            session_seconds=settings.http.session_hours * 3600,
            zone=settings.centre.zone(),
            softphones=settings.softphone,
            audit_interval=settings.compliance.interval,
            compliance_settings=settings.compliance,
            recording_settings=settings.recording,
        )
    except BaseException:
        writer.cancel()
        await history.close()
        raise
    parts.metrics.registry.register(
        HistoryCollector(lambda: (history.written, history.spooled, history.pending))
    )
    # A stop waits STOP_GRACE_S for requests in flight, then cancels them (rule 6).
    runner = web.AppRunner(parts.app, access_log=None, shutdown_timeout=STOP_GRACE_S)
    await runner.setup()
    await web.TCPSite(runner, settings.http.host, settings.http.port).start()
    logger.info("listening on http://%s:%d", settings.http.host, settings.http.port)
    tasks = [writer]
    tasks += [_task(coro, name) for name, coro in parts.tasks()]
    tasks += [_task(resyncer.run(), "ami-resync"), _task(link.run(), "ami-link")]
    try:
        await _until_stopped(stop, tasks)
    finally:
        await runner.cleanup()
        await parts.dialer.close()
        if link.is_up:  # the link task still runs: nothing decides from here on
            await control.withdraw(parts.engine.state.arms)
        for task in reversed(tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await control.aclose()
        await history.close()
        await database.close()
        logger.info("stopped")


def _ami(
    settings: Settings,
    clock: SystemClock,
    timeline: Timeline,
    submit: Callable[[Input], None],
    parts: Callable[[], Parts | None],
) -> tuple[AmiLink, Resyncer, AmiCallControl]:
    """The AMI adapter: the link, its resync and call control, feeding the engine."""
    resyncer: Resyncer | None = None

    def on_up() -> None:
        timeline.reset(clock.now())  # Asterisk may have restarted, on another clock
        found = parts()
        if link.logins > 1 and found is not None:
            found.metrics.ami_reconnects.inc()
        if resyncer is not None:
            resyncer.request()

    def count_malformed() -> None:
        found = parts()
        if found is not None:
            found.metrics.ami_malformed()

    def on_malformed(frame: str, reason: str) -> None:
        count_malformed()
        logger.warning("malformed AMI frame skipped (%s): %.120r", reason, frame)

    def on_down(reason: str) -> None:
        logger.warning("AMI link down: %s", reason)
        submit(TelephonyLost(at=clock.now()))  # no dialling until the next resync

    def on_frame(headers: Headers) -> None:
        found = parts()
        if found is not None:
            found.engine.on_frame(headers)

    callbacks = LinkCallbacks(
        on_frame=on_frame,
        on_malformed=on_malformed,
        on_up=on_up,
        on_down=on_down,
        on_pong=lambda stamp: timeline.observe(stamp, clock.now()),
    )
    link = AmiLink(LinkSettings.of(settings.ami), callbacks)
    resyncer = Resyncer(
        link,
        submit,
        clock.now,
        count_malformed,
        timeline=timeline,
        arm_slots=settings.ami.arm_slots,
    )
    control = AmiCallControl(
        link,
        submit,
        clock.now,
        within=settings.ami.action_timeout,
        outbound_dial=settings.ami.outbound_dial,
    )
    return link, resyncer, control


def _task(coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    return asyncio.create_task(coro, name=name)


async def _until_stopped(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    for task in done:
        if task is not stopper and task.exception() is not None:
            raise RuntimeError(f"{task.get_name()} failed") from task.exception()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
