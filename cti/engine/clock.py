"""The wall clock, for the shell. The core never reads it; time is handed in."""

from __future__ import annotations

import time

from cti.domain.ids import Instant


class SystemClock:
    def now(self) -> Instant:
        return Instant(time.time())
