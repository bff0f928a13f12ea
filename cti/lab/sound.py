"""What the lab's SIPp callers play into a call: G.711 mu-law at 8 kHz, raw.

Rule 1: silence is the mu-law byte 0xFF (linear 0), as MEDIA_SILENCE in cti/lab/sipp.py.
Rule 2: the demo's callers play `beeps()`: a quiet 440 Hz beep of a quarter second every
two seconds, so a person on the desktop's softphone hears that the caller is there, and
Asterisk and the browser see RTP both ways.
"""

from __future__ import annotations

import math
from typing import Final

RATE: Final = 8000  # samples a second
BIAS: Final = 0x21  # G.711's 0x84, in the 14-bit magnitudes the encoder works on
CLIP: Final = 8159  # the largest 14-bit magnitude encoded


def ulaw(sample: int) -> int:
    """One linear 16-bit sample as its G.711 mu-law byte (ITU-T G.711's reference encoder:
    the sample taken to 14 bits, the segment from its magnitude, 4 bits of mantissa)."""
    value = sample >> 2
    mask = 0x7F if value < 0 else 0xFF
    magnitude = min(abs(value), CLIP) + BIAS
    segment = max(magnitude.bit_length() - 6, 0)
    if segment > 7:  # beyond the last segment: the loudest code
        return 0x7F ^ mask
    return ((segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)) ^ mask


def beeps(
    *, hz: float = 440.0, beep_s: float = 0.25, every_s: float = 2.0, level: float = 0.1
) -> bytes:
    """One period (every_s) of a beep then silence, to be streamed in a loop."""
    on, total = int(beep_s * RATE), int(every_s * RATE)
    peak = level * 32767
    tone = (ulaw(round(peak * math.sin(2 * math.pi * hz * n / RATE))) for n in range(on))
    return bytes(tone) + bytes([ulaw(0)]) * (total - on)


def tone(*, hz: float = 1000.0, level: float = 0.3) -> bytes:
    """One second of a steady tone, to be streamed in a loop: a phone playing it is heard
    in every packet, which an RtpEar (cti/lab/rtp.py) tells from silence."""
    peak = level * 32767
    return bytes(ulaw(round(peak * math.sin(2 * math.pi * hz * n / RATE))) for n in range(RATE))
