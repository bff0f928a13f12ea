"""`cti demo`: the lab's Asterisk, the server attached to it, SIPp agents and callers.

Rule 1: everything the demo starts, it stops on Ctrl-C (or SIGTERM): callers, softphones,
the server, then the lab's Asterisk.
Rule 2: the server runs in this process exactly as `cti serve` would, on the lab's
configuration, with its database under .cti/demo/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from dataclasses import replace
from pathlib import Path

import aiohttp

from cti import logs, settings
from cti.lab import instance
from cti.lab.rootfs import LabError
from cti.lab.sipp import Softphone
from cti.lab.traffic import Traffic, TrafficProfile
from cti.main import serve

DEMO_DIR = Path(".cti/demo")
STATUS_EVERY_S = 10.0


def run_demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cti demo", description=__doc__)
    parser.add_argument("--name", default="demo", help="lab instance name")
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--calls-per-minute", type=float, default=12.0)
    parser.add_argument("--agents", type=int, default=4, help="softphones registered")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_demo(args))
    except LabError as exc:
        print(f"cti demo: {exc}")
        return 2
    return 0


async def _demo(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("starting the lab's Asterisk (the first run builds its root filesystem: ~1 min)")
    lab = await asyncio.to_thread(instance.up, args.name)
    try:
        await _with_lab(lab, args, stop)
    finally:
        await asyncio.to_thread(instance.down, args.name)
        print("demo stopped; the lab is down")


async def _with_lab(
    lab: instance.LabInstance, args: argparse.Namespace, stop: asyncio.Event
) -> None:
    conf = await asyncio.to_thread(_demo_settings, lab, args.http_port)
    logs.configure(conf.log.level, conf.log.format)
    server = asyncio.create_task(serve(conf, stop), name="cti-serve")
    phones = [Softphone(lab, device) for device in lab.devices[: args.agents]]
    traffic = Traffic(
        lab,
        TrafficProfile(
            queues=("support", "sales"),
            calls_per_minute=args.calls_per_minute,
            patience_ms=(20_000, 90_000),
        ),
    )
    try:
        for phone in phones:
            await phone.start()
        traffic.start()
        _print_where_to_look(args.http_port, len(phones))
        await _report_until(stop, args.http_port)
    finally:
        await traffic.stop()
        for phone in phones:
            with contextlib.suppress(Exception):
                await phone.stop()
        stop.set()
        await server


def _demo_settings(lab: instance.LabInstance, port: int) -> settings.Settings:
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    conf = settings.load(str(lab.server_config))
    return replace(
        conf,
        http=replace(conf.http, port=port),
        database=replace(
            conf.database,
            url=f"sqlite+aiosqlite:///{DEMO_DIR.resolve()}/cti.db",
            spool=str(DEMO_DIR / "history.spool"),
        ),
        log=replace(conf.log, format="text"),
    )


def _print_where_to_look(port: int, agents: int) -> None:
    base = f"http://127.0.0.1:{port}"
    print(
        f"\nCTI demo running: {agents} agent softphones registered, callers arriving.\n"
        f"  metrics:        {base}/metrics   (cti_queue_calls_waiting, cti_ami_*)\n"
        f"  waiting calls:  {base}/api/v1/queues\n"
        f"  health:         {base}/healthz\n"
        "Ctrl-C stops the callers, the softphones, the server and the lab.\n"
    )


async def _report_until(stop: asyncio.Event, port: int) -> None:
    timeout = aiohttp.ClientTimeout(total=3)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), STATUS_EVERY_S)
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"http://127.0.0.1:{port}/api/v1/queues") as response:
                    body = await response.json()
                line = ", ".join(
                    f"{q['queue']}: {q['waiting']} waiting"
                    f" (oldest {q['oldest_wait_seconds']:.0f} s)"
                    for q in body["queues"]
                )
                print(f"[demo] {line or 'no callers yet'}")
