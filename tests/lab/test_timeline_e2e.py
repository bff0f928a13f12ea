"""End to end, one timeline (C3): the N-ring limit holds when Asterisk's clock is not the
server's. The server reaches the lab's AMI through a proxy that moves every reading of
Asterisk's clock (each `Timestamp`, CtiQueueEnter's `Entered`, CTI_ENTERED and
CTI_ANSWERED) by ±5 s, as if Asterisk ran on another host with a skewed clock. The ring
limit is measured where it matters, on the agent's phone: from the 180 Ringing it sent to
the CANCEL it received, on this host's clock, which is the server's.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Final

import pytest

from cti.lab.instance import LabInstance
from cti.lab.sipp import Softphone, place_call
from tests.lab.scenarios import acd_yaml
from tests.lab.server import ServerProcess
from tests.lab.traces import first_message

pytestmark = pytest.mark.lab

RING_LIMIT, CADENCE = 2, 1.5  # the offer is withdrawn 3 s after the first ring
TOLERANCE: Final = 0.3  # seconds
CLOCK_READING: Final = re.compile(
    rb"^((?:Timestamp|Entered): |ChanVariable: CTI_(?:ENTERED|ANSWERED)=)(\d+\.\d+)(\r?)$"
)


def skewed(line: bytes, skew: float) -> bytes:
    found = CLOCK_READING.match(line)
    if found is None:
        return line
    moved = float(found.group(2)) + skew
    return found.group(1) + f"{moved:.6f}".encode() + found.group(3)


@contextlib.asynccontextmanager
async def skewed_ami(lab: LabInstance, skew: float) -> AsyncIterator[int]:
    """A proxy to the lab's AMI on a free port (yielded): what Asterisk sends is moved by
    `skew` seconds, what the server sends passes as it is."""
    pumps: set[asyncio.Task[None]] = set()

    async def serve(client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        async with asyncio.timeout(5):
            ami_in, ami_out = await asyncio.open_connection(lab.host, lab.ports.ami)
        for pump in (_pump(client_in, ami_out, 0.0), _pump(ami_in, client_out, skew)):
            task = asyncio.create_task(pump)
            pumps.add(task)
            task.add_done_callback(pumps.discard)

    proxy = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield int(proxy.sockets[0].getsockname()[1])
    finally:
        proxy.close()
        for task in list(pumps):
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter, skew: float) -> None:
    try:
        while line := await source.readline():  # the link's own timeouts bound this
            sink.write(skewed(line.rstrip(b"\n"), skew) + b"\n" if skew else line)
            await sink.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        sink.close()


@pytest.mark.parametrize("skew", [5.0, -5.0], ids=["asterisk_5s_ahead", "asterisk_5s_behind"])
async def test_the_ring_limit_holds_whatever_asterisks_clock_says(
    lab: LabInstance, server: ServerProcess, skew: float
) -> None:
    await server.configure(
        acd_yaml({"1001": "support"}, ring_limit=RING_LIMIT, ring_cadence=CADENCE, max_wrap_up=1)
    )
    phone = Softphone(lab, "1001", "no_answer", trace=True)
    async with skewed_ami(lab, skew) as port:
        server.ami_port = port
        await server.start()
        async with phone:
            await server.log_in("1001")
            tap = server.events()
            async with tap:
                call = place_call(lab, "support", "5552101")
                await tap.wait(lambda t: t.offers(), within=20, what="the offer withdrawn")
                call.cancel()
        await call.cancel_and_wait()
    assert phone.trace_dir is not None
    rang = first_message(phone.trace_dir, "sent", "SIP/2.0 180")
    cancelled = first_message(phone.trace_dir, "received", "CANCEL ")
    [offer] = tap.offers()
    limit = RING_LIMIT * CADENCE
    print(  # the figures of the run, for the record (pytest -s)
        f"skew {skew:+.1f} s: withdrawn {cancelled - rang - limit:+.3f} s off the limit "
        f"on the phone; first ring placed {offer['ring_started_at'] - rang:+.3f} s off"
    )
    assert (offer["outcome"], offer["rings"]) == ("no_answer", RING_LIMIT)
    assert cancelled - rang == pytest.approx(limit, abs=TOLERANCE)
    assert offer["ring_started_at"] == pytest.approx(rang, abs=TOLERANCE)
    assert offer["ended_at"] == pytest.approx(rang + limit, abs=TOLERANCE)
