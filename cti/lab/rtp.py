"""An ear for the lab's media: a UDP socket that a SIPp party's SDP points at, so a test
hears what Asterisk sends that party, when, and from which of Asterisk's RTP ports.

Rule 1: a packet is heard when it is RTP (version 2) carrying G.711 mu-law (payload type
0) with at least one byte that is not silence (0xFF, or 0x7F, mu-law's negative zero);
Asterisk's own silence and comfort noise (payload type 13) are not. An ear listening for
one party's sound (e.g. the agent's phone streaming `tone()`) hears a packet only when its
payload is a run of that sound, played in a loop: what Asterisk plays itself meanwhile
(ringback, music on hold) is not that party.
Rule 2: each heard packet is kept with this host's wall clock at its arrival (time.time(),
the clock SIPp's message traces and the server's records use) and its source port: Asterisk
sends a channel's media from the port its SDP offered, which tells the calls apart.
Rule 3: nothing is answered and nothing is parsed beyond the fixed RTP header; a datagram
too short to be RTP is counted as malformed and otherwise ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator
from typing import Final

RTP_HEADER: Final = 12
PCMU: Final = 0
SILENT: Final = frozenset({0xFF, 0x7F})
MAX_PAYLOAD: Final = 1500  # bytes: more than one UDP datagram on this lab's network carries


def payload_of(datagram: bytes) -> bytes | None:
    """Rule 1's first half: the audio of an RTP v2 PCMU packet that is not all silence
    (CSRCs and extensions skipped), else None."""
    if len(datagram) <= RTP_HEADER or datagram[0] >> 6 != 2 or datagram[1] & 0x7F != PCMU:
        return None
    start = RTP_HEADER + 4 * (datagram[0] & 0x0F)
    if datagram[0] & 0x10 and len(datagram) >= start + 4:  # a header extension
        start += 4 + 4 * int.from_bytes(datagram[start + 2 : start + 4], "big")
    payload = datagram[start:]
    return payload if any(byte not in SILENT for byte in payload) else None


def looped(sound: bytes) -> bytes:
    """The sound with its start again after its end: any run of it played in a loop (up to
    MAX_PAYLOAD bytes long) is a slice of this."""
    return sound + sound[:MAX_PAYLOAD]


def heard(datagram: bytes, sound: bytes | None = None) -> bool:
    """Rule 1: RTP v2, PCMU, and not all silence; with sound, also a run of it, looped."""
    return _heard(datagram, None if sound is None else looped(sound))


def _heard(datagram: bytes, looped_sound: bytes | None) -> bool:
    payload = payload_of(datagram)
    return payload is not None and (looped_sound is None or payload in looped_sound)


class RtpEar(asyncio.DatagramProtocol):
    """What arrived: (arrival time, source port) of every heard packet, in order."""

    def __init__(self, sound: bytes | None = None) -> None:
        self._looped = None if sound is None else looped(sound)  # built once, not per packet
        self.packets: list[tuple[float, int]] = []
        self.malformed = 0
        self.port = 0
        self.changed = asyncio.Event()  # set at each heard packet (a test clears it)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.port = int(transport.get_extra_info("sockname")[1])

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        at = time.time()
        if len(data) <= RTP_HEADER:
            self.malformed += 1
        elif _heard(data, self._looped):
            self.packets.append((at, int(addr[1])))
            self.changed.set()

    def first_heard(self, port: int, after: float, before: float = math.inf) -> float | None:
        """When a packet from Asterisk's `port` was first heard between `after` and
        `before` (Asterisk reuses a port once its call is over), else None."""
        return next((at for at, src in self.packets if src == port and after <= at < before), None)


@contextlib.asynccontextmanager
async def listening(host: str, sound: bytes | None = None) -> AsyncIterator[RtpEar]:
    """An ear on a free UDP port of host (its `port`), open for the block; with sound it
    hears that sound only (rule 1)."""
    loop = asyncio.get_running_loop()
    transport, ear = await loop.create_datagram_endpoint(
        lambda: RtpEar(sound), local_addr=(host, 0)
    )
    try:
        yield ear
    finally:
        transport.close()
