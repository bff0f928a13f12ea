"""Asterisk's clock placed on the server's timeline (C3; STYLE rule 5).

Rule 1: there is one timeline, the server's clock. Asterisk's times are another host's
clock: an event's `Timestamp`, a Ping answer's `Timestamp`, and the instants the dialplan
writes (`Entered`, CTI_ENTERED, CTI_ANSWERED). They are placed on the server's timeline by
a measured offset and never used as they are, so a deadline computed from an event (the
N-ring limit from the first ring) is fired by the engine's clock on the same timeline.
Rule 2: the offset is the minimum of `received_at - Timestamp` over the samples of the
last `window` seconds. A frame's network delay is never negative, so the smallest
difference is the true offset plus the smallest delay seen: a placed time is never later
than the receipt of its frame, and events keep Asterisk's own spacing (to the
microsecond) while the offset holds still.
Rule 3: the window slides, so drift and clock steps are followed within `window` seconds
(a step forward at once). It is emptied when the link logs in again, since Asterisk may
have restarted on another clock; samples received before that moment are ignored (frames
of the old session still in the engine's inbox).
Rule 4: with no sample yet the offset is unknown and a frame's time is its receipt.
Rule 5: pure: every time is handed in; nothing here reads a clock.
"""

from __future__ import annotations

from collections import deque
from typing import Final

from cti.domain.ids import Instant

WINDOW: Final = 60.0  # seconds of samples the offset is the minimum of


class Timeline:
    """The offset from Asterisk's clock to the server's, estimated from received frames."""

    def __init__(self, window: float = WINDOW) -> None:
        self.window = window
        self._since = float("-inf")  # rule 3: samples received before this are old
        # (received_at, difference), differences increasing: the front is the minimum.
        self._samples: deque[tuple[float, float]] = deque()

    def reset(self, at: Instant) -> None:
        """A new session from `at` on (rule 3)."""
        self._since = at
        self._samples.clear()

    def observe(self, stamp: float, received_at: Instant) -> None:
        """One sample: a frame stamped `stamp` by Asterisk arrived at `received_at`."""
        if received_at < self._since:
            return
        difference = received_at - stamp
        samples = self._samples
        while samples and samples[-1][1] >= difference:
            samples.pop()  # never the minimum again: this one is smaller and newer
        samples.append((received_at, difference))
        while samples[0][0] < received_at - self.window:
            samples.popleft()

    @property
    def offset(self) -> float | None:
        """Server time minus Asterisk time, as far as the window shows (rule 2)."""
        return self._samples[0][1] if self._samples else None

    def place(self, stamp: float, received_at: Instant) -> Instant:
        """The time of a frame stamped `stamp` and received at `received_at`, on the
        server's timeline; the frame is a sample too."""
        self.observe(stamp, received_at)
        return self.map(stamp, received_at)

    def map(self, stamp: float, bound: Instant) -> Instant:
        """An Asterisk instant on the server's timeline, never later than `bound` (the
        receipt of what carried it); `bound` itself while the offset is unknown."""
        offset = self.offset
        return bound if offset is None else Instant(min(stamp + offset, bound))
