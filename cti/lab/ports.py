"""Free loopback ports for lab instances and SIPp processes.

Rule 1: a port is handed out only after binding it on 0.0.0.0 succeeded (TCP, UDP or
both, as its user needs), and never when another lab instance has it recorded.
Rule 2: ports come from fixed bands below Linux's ephemeral range (32768 and up), so an
outgoing connection made by some client cannot take a port a lab is about to bind:
  15000-19999  AMI, SIP, trunk and HTTP ports of lab instances
  20000-29999  RTP ranges of lab instances
  30000-32599  SIPp processes (signalling, control and media ports)
Rule 3: picking is random within a band, so two labs starting at once rarely collide,
and a collision shows as a clear bind error in Asterisk's output, never as cross-talk.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

LAB_BAND: Final = (15000, 19999)
RTP_BAND: Final = (20000, 29999)
SIPP_BAND: Final = (30000, 32599)
RTP_PORTS: Final = 200  # a lab's RTP range: 100 RTP/RTCP pairs, a channel each
SIPP_BLOCK: Final = 6  # SIP, control (-cp), then audio and video RTP/RTCP pairs (-mp)
ATTEMPTS: Final = 200


class NoFreePorts(RuntimeError):
    """No block of free ports was found in the band after many attempts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LabPorts:
    ami: int  # TCP
    sip: int  # UDP
    trunk: int  # UDP: where calls to customers go (a SIPp customer may listen here)
    rtp_start: int
    rtp_end: int
    http: int = 0  # TCP: Asterisk's HTTP server, the browsers' SIP WebSocket (0: older record)

    def all(self) -> set[int]:
        ports = {self.ami, self.sip, self.trunk, *range(self.rtp_start, self.rtp_end + 1)}
        return ports | ({self.http} if self.http else set())


def is_free(port: int, *, tcp: bool, udp: bool) -> bool:
    """True when port can be bound on loopback for each protocol asked for."""
    kinds = [k for k, wanted in ((socket.SOCK_STREAM, tcp), (socket.SOCK_DGRAM, udp)) if wanted]
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                # The wildcard address clashes with a bind on any address (127.0.0.1,
                # 127.0.0.2, 0.0.0.0), so a port free here is free for every lab process.
                probe.bind(("0.0.0.0", port))
            except OSError:
                return False
    return True


def pick_block(
    count: int,
    band: tuple[int, int],
    *,
    tcp: bool = False,
    udp: bool = True,
    avoid: Collection[int] = (),
) -> int:
    """First port of `count` consecutive free ports inside band."""
    low, high = band
    for _ in range(ATTEMPTS):
        start = random.randint(low, high - count + 1)
        block = range(start, start + count)
        if not any(p in avoid for p in block) and all(is_free(p, tcp=tcp, udp=udp) for p in block):
            return start
    raise NoFreePorts(f"no {count} consecutive free ports in {low}-{high}")


def pick_lab_ports(avoid: Collection[int] = (), rtp_ports: int = RTP_PORTS) -> LabPorts:
    """AMI, SIP, trunk, HTTP and an RTP range of rtp_ports, all free now and distinct
    from avoid."""
    taken = set(avoid)
    ami = pick_block(1, LAB_BAND, tcp=True, udp=False, avoid=taken)
    taken.add(ami)
    sip = pick_block(1, LAB_BAND, avoid=taken)
    taken.add(sip)
    trunk = pick_block(1, LAB_BAND, avoid=taken)
    taken.add(trunk)
    http = pick_block(1, LAB_BAND, tcp=True, udp=False, avoid=taken)
    rtp_start = pick_block(rtp_ports, RTP_BAND, avoid=taken)
    return LabPorts(
        ami=ami,
        sip=sip,
        trunk=trunk,
        rtp_start=rtp_start,
        rtp_end=rtp_start + rtp_ports - 1,
        http=http,
    )


def pick_sipp_block() -> int:
    """First port of a SIPP_BLOCK of free UDP ports for one SIPp process."""
    return pick_block(SIPP_BLOCK, SIPP_BAND)
