"""Asterisk's clock on the server's timeline (cti/ami/timeline.py): the offset is the least
`received_at - Timestamp` of the window; time is handed in."""

from __future__ import annotations

import pytest

from cti.ami.timeline import Timeline
from cti.domain.ids import Instant

SKEW = 5.0  # Asterisk's clock runs this far ahead of the server's


def test_with_no_sample_the_offset_is_unknown_and_a_time_is_its_bound() -> None:
    timeline = Timeline()

    assert timeline.offset is None
    assert timeline.map(1234.5, Instant(100.0)) == 100.0


def test_the_offset_is_the_least_difference_seen() -> None:
    timeline = Timeline()
    for sent, delay in ((100.0, 0.040), (101.0, 0.002), (102.0, 0.015)):
        timeline.observe(sent + SKEW, Instant(sent + delay))

    assert timeline.offset == pytest.approx(-SKEW + 0.002)


def test_a_placed_time_is_never_later_than_its_receipt() -> None:
    timeline = Timeline()
    timeline.observe(100.0 + SKEW, Instant(100.030))

    placed = timeline.place(101.0 + SKEW, Instant(101.001))  # faster than any before

    assert placed == pytest.approx(101.001)
    assert timeline.offset == pytest.approx(-SKEW + 0.001)


def test_placed_events_keep_asterisks_spacing_whatever_their_delays() -> None:
    timeline = Timeline()
    timeline.observe(99.0 + SKEW, Instant(99.001))
    stamps = (100.0 + SKEW, 100.123456 + SKEW, 103.5 + SKEW)
    delays = (0.020, 0.004, 0.009)

    placed = [timeline.place(s, Instant(s - SKEW + d)) for s, d in zip(stamps, delays, strict=True)]

    assert placed[1] - placed[0] == pytest.approx(0.123456, abs=1e-6)
    assert placed[2] - placed[0] == pytest.approx(3.5, abs=1e-6)


def test_the_window_slides_so_a_step_of_asterisks_clock_is_followed() -> None:
    timeline = Timeline(window=60.0)
    timeline.observe(100.0 + SKEW, Instant(100.001))
    # Asterisk's clock steps back 2 s: its frames now look slower, and the old minimum
    # holds until it has left the window.
    timeline.observe(130.0 + SKEW - 2.0, Instant(130.001))
    assert timeline.offset == pytest.approx(-SKEW + 0.001)

    timeline.observe(161.0 + SKEW - 2.0, Instant(161.001))

    assert timeline.offset == pytest.approx(-SKEW + 2.0 + 0.001)


def test_a_reset_forgets_the_old_session_and_its_late_samples() -> None:
    timeline = Timeline()
    timeline.observe(100.0 + SKEW, Instant(100.001))

    timeline.reset(Instant(110.0))
    timeline.observe(105.0 + SKEW, Instant(105.001))  # received before the new login

    assert timeline.offset is None
    timeline.observe(111.0 - 1.0, Instant(111.002))  # Asterisk restarted 1 s behind
    assert timeline.offset == pytest.approx(1.002)
