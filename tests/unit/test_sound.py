"""The lab's mu-law encoder (cti/lab/sound.py) against G.711: fixed points of its table,
and every 16-bit sample decodes back within its segment's step."""

from __future__ import annotations

from cti.lab.sound import RATE, beeps, tone, ulaw


def decode(code: int) -> int:
    """G.711's mu-law decoder, written from the standard's formula, in 16-bit units."""
    code = ~code & 0xFF
    magnitude = ((((code & 0x0F) << 3) + 0x84) << ((code & 0x70) >> 4)) - 0x84
    return -magnitude if code & 0x80 else magnitude


def test_fixed_points_of_the_table() -> None:
    assert [ulaw(s) for s in (0, 1, 3, -1, -4)] == [0xFF, 0xFF, 0xFF, 0x7E, 0x7E]
    assert (ulaw(32767), ulaw(-32768)) == (0x80, 0x00)  # the loudest codes
    assert (ulaw(8031), ulaw(-8032)) == (0xA0, 0x20)  # a segment's edge


def test_every_sample_decodes_back_within_its_step() -> None:
    for sample in range(-32124, 32124):
        code = ulaw(sample)
        step = 1 << (((~code & 0x70) >> 4) + 3)  # 8 in the first segment, 1024 in the last
        assert abs(decode(code) - sample) <= step, (sample, hex(code))


def test_the_demo_callers_beep_a_quarter_second_every_two_seconds() -> None:
    period = beeps()
    assert len(period) == 2 * RATE
    assert set(period[RATE // 4 :]) == {0xFF}  # silence after the beep
    assert len(set(period[: RATE // 4])) > 10  # a tone, not a constant


def test_the_listened_for_tone_is_never_a_silent_packet() -> None:
    """Rule 3: every 20 ms of tone() carries sound, so each packet of it is heard."""
    sound = tone()
    assert len(sound) == RATE
    for start in range(0, RATE, 160):
        assert any(code not in (0xFF, 0x7F) for code in sound[start : start + 160])
