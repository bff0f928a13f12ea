"""The lab's RTP ear (cti/lab/rtp.py) on a real UDP socket: what it hears and from where,
and a SIPp message trace read for the calls a party answered (tests/lab/traces.py)."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

from cti.lab.rtp import RtpEar, heard, listening
from cti.lab.sound import beeps, tone
from tests.lab.traces import answers


def rtp(payload: bytes, *, payload_type: int = 0, csrcs: int = 0) -> bytes:
    head = bytes([0x80 | csrcs, payload_type, 0, 1]) + bytes(8) + bytes(4 * csrcs)
    return head + payload


def test_silence_comfort_noise_and_other_codecs_are_not_heard() -> None:
    assert heard(rtp(tone()[:160]))
    assert heard(rtp(tone()[:160], csrcs=2))
    assert not heard(rtp(b"\xff" * 160))
    assert not heard(rtp(b"\x7f\xff" * 80))
    assert not heard(rtp(b"\x40", payload_type=13))  # comfort noise
    assert not heard(rtp(tone()[:160], payload_type=8))  # A-law: not what the lab offers
    assert not heard(b"\x40" + rtp(tone()[:160])[1:])  # RTP version 1
    assert not heard(rtp(b""))


def test_an_ear_listening_for_one_sound_hears_that_sound_only() -> None:
    sound = tone()
    assert heard(rtp(sound[:160]), sound)
    assert heard(rtp(sound[-80:] + sound[:80]), sound)  # across the loop's seam
    assert not heard(rtp(beeps()[:160]), sound)  # the caller's beep, or a ringback
    assert not heard(rtp(sound[:159] + b"\x00"), sound)
    assert heard(rtp(beeps()[:160]))  # an ear for any sound hears it


async def test_the_ear_keeps_when_and_from_which_port_it_heard_sound() -> None:
    async with listening("127.0.0.1") as ear:
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as loud,
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as quiet,
        ):
            loud.bind(("127.0.0.1", 0))
            before = time.time()
            quiet.sendto(rtp(b"\xff" * 160), ("127.0.0.1", ear.port))
            quiet.sendto(b"\x80\x00", ("127.0.0.1", ear.port))  # too short: malformed
            loud.sendto(rtp(tone()[:160]), ("127.0.0.1", ear.port))
            async with asyncio.timeout(5):
                await ear.changed.wait()
            port = loud.getsockname()[1]
    assert ear.malformed == 1
    assert [src for _, src in ear.packets] == [port]
    heard_at = ear.first_heard(port, before)
    assert heard_at is not None and before <= heard_at <= time.time()
    assert ear.first_heard(port, heard_at + 1) is None
    assert ear.first_heard(port, before, before=heard_at) is None
    assert ear.first_heard(port + 1, before) is None
    assert isinstance(ear, RtpEar)


TRACE = """\
----------------------------------------------- 2026-12-07 12:00:00.100000
UDP message received [500] bytes :

INVITE sip:55590011@127.0.0.1:5070 SIP/2.0
Call-ID: one@lab
CSeq: 102 INVITE
Content-Type: application/sdp

v=0
m=audio 10044 RTP/AVP 0

----------------------------------------------- 2026-12-07 12:00:00.101000
UDP message sent (300 bytes):

SIP/2.0 100 Trying
Call-ID: one@lab
CSeq: 102 INVITE

----------------------------------------------- 2026-12-07 12:00:00.102500
UDP message sent (300 bytes):

SIP/2.0 200 OK
Call-ID: one@lab
CSeq: 102 INVITE

----------------------------------------------- 2026-12-07 12:00:00.602500
UDP message sent (300 bytes):

SIP/2.0 200 OK
Call-ID: one@lab
CSeq: 102 INVITE

----------------------------------------------- 2026-12-07 12:00:02.200000
UDP message received [300] bytes :

BYE sip:customer@127.0.0.1:5070 SIP/2.0
Call-ID: one@lab
CSeq: 103 BYE

----------------------------------------------- 2026-12-07 12:00:02.201000
UDP message sent (300 bytes):

SIP/2.0 200 OK
Call-ID: one@lab
CSeq: 103 BYE

----------------------------------------------- 2026-12-07 12:00:03.000000
UDP message received [500] bytes :

INVITE sip:55590022@127.0.0.1:5070 SIP/2.0
Call-ID: two@lab
CSeq: 7 INVITE

v=0
m=audio 10046 RTP/AVP 0

----------------------------------------------- 2026-12-07 12:00:03.001000
UDP message sent (300 bytes):

SIP/2.0 486 Busy Here
Call-ID: two@lab
CSeq: 7 INVITE
"""


def test_a_trace_tells_each_answered_call_its_answer_and_its_media_port(tmp_path: Path) -> None:
    (tmp_path / "customers_123_messages.log").write_text(TRACE)
    [answer] = answers(tmp_path)  # the busy call was not answered
    assert (answer.number, answer.call_id, answer.media_port) == ("55590011", "one@lab", 10044)
    # the first 200 OK (not its retransmission, not the BYE's), in this host's clock
    expected = time.mktime(time.strptime("2026-12-07 12:00:00", "%Y-%m-%d %H:%M:%S")) + 0.1025
    assert abs(answer.answered_at - expected) < 1e-6
