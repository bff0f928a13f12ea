"""Wiring: the one place that builds concrete classes and connects them (`cti serve`).

Rule 1: start order is storage (migrated), engine, AMI link, HTTP; stop order is the
reverse, and history still buffered is flushed (or spooled) before exit.
Rule 2: nothing here decides anything; it only connects ports to adapters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from aiohttp import web

from cti.ami.control import AmiCallControl
from cti.ami.link import AmiLink, LinkCallbacks, LinkSettings
from cti.ami.normalize import AmiReader
from cti.ami.resync import Resyncer
from cti.ami.timeline import Timeline
from cti.api.app import ApiContext, Hub, create_app
from cti.dialer.feeder import Dialer
from cti.domain.commands import LoadConfig, RestoreLogins
from cti.domain.inputs import TelephonyLost
from cti.engine.clock import SystemClock
from cti.engine.engine import Engine
from cti.engine.runner import EffectRunner
from cti.metrics import CampaignCollector, HistoryCollector, LiveCollector, Metrics
from cti.settings import Settings
from cti.storage.callback_store import CallbackStore
from cti.storage.campaign_store import CampaignStore
from cti.storage.config_store import ConfigStore
from cti.storage.database import open_database
from cti.storage.spool import BatchingHistory

logger = logging.getLogger(__name__)


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or _stop_on_signals()
    clock, metrics = SystemClock(), Metrics()
    database = await open_database(settings.database.url)
    store, queries = ConfigStore(database), database.queries()
    history = BatchingHistory(database.history(), Path(settings.database.spool))
    resyncer: Resyncer | None = None
    timeline = Timeline()  # Asterisk's clock on ours: the reader's, the resync's, the pings'

    def on_up() -> None:
        timeline.reset(clock.now())  # Asterisk may have restarted, on another clock
        if link.logins > 1:
            metrics.ami_reconnects.inc()
        if resyncer is not None:
            resyncer.request()

    def on_malformed(frame: str, reason: str) -> None:
        metrics.ami_malformed()
        logger.warning("malformed AMI frame skipped (%s): %.120r", reason, frame)

    def on_down(reason: str) -> None:
        logger.warning("AMI link down: %s", reason)
        engine.submit(TelephonyLost(at=clock.now()))  # no dialling until the next resync

    callbacks = LinkCallbacks(
        on_frame=lambda _: None,
        on_malformed=on_malformed,
        on_up=on_up,
        on_down=on_down,
        on_pong=lambda stamp: timeline.observe(stamp, clock.now()),
    )
    link = AmiLink(LinkSettings.of(settings.ami), callbacks)
    resyncer = Resyncer(
        link, lambda s: engine.submit(s), clock.now, metrics.ami_malformed, timeline=timeline
    )
    control = AmiCallControl(
        link,
        lambda i: engine.submit(i),
        clock.now,
        within=settings.ami.action_timeout,
        outbound_dial=settings.ami.outbound_dial,
    )
    hub = Hub(state=lambda: engine.state, now=clock.now, history=queries)
    effects = EffectRunner(history=history, control=control, feeds=[hub])
    engine = Engine(
        clock=clock,
        reader=AmiReader(timeline),
        runner=effects,
        observer=metrics,
        request_resync=resyncer.request,
    )
    campaigns = CampaignStore(database)
    book = CallbackStore(database)
    dialer = Dialer(engine, campaigns, book, clock.now)
    effects.add_feed(dialer)
    engine.submit(LoadConfig(at=clock.now(), config=await store.load()))
    # Agents logged in when the server stopped come back (C1); their phones' states come
    # with the first resync.
    engine.submit(RestoreLogins(at=clock.now(), logins=tuple(await queries.presence())))
    callbacks.on_frame = engine.on_frame
    metrics.registry.register(LiveCollector(lambda: engine.state, clock.now, lambda: link.is_up))
    metrics.registry.register(
        CampaignCollector(lambda: engine.state, clock.now, lambda: dialer.remaining)
    )
    metrics.registry.register(
        HistoryCollector(lambda: (history.written, history.spooled, history.pending))
    )
    context = ApiContext(
        engine=engine,
        directory=store,
        history=queries,
        campaigns=campaigns,
        callbacks=book,
        hub=hub,
        now=clock.now,
        ami_up=lambda: link.is_up,
        ami_reconnects=lambda: link.reconnects,
        database_reachable=database.is_reachable,
        render_metrics=metrics.render,
    )
    runner = web.AppRunner(create_app(context), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.http.host, settings.http.port).start()
    logger.info("listening on http://%s:%d", settings.http.host, settings.http.port)
    tasks = [
        _task(history.run(), "history-writer"),
        _task(engine.run(), "acd-engine"),
        _task(resyncer.run(), "ami-resync"),
        _task(link.run(), "ami-link"),
        _task(dialer.run(), "dialer"),
    ]
    try:
        await _until_stopped(stop, tasks)
    finally:
        await runner.cleanup()
        await dialer.close()
        for task in reversed(tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await control.aclose()
        await history.close()
        await database.close()
        logger.info("stopped")


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
