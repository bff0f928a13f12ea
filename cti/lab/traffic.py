"""A gentle random stream of callers for the demo.

Rule 1: reproducible: every random choice comes from one random.Random(seed), so the same
profile gives the same sequence of arrivals, queues, priorities and patience.
Rule 2: gentle: arrivals are a Poisson stream (exponential gaps) at calls_per_minute, and
no more than max_concurrent callers are on the line at once (an arrival over the cap is
skipped, not delayed, so the stream never bursts to catch up).
Rule 3: every caller hangs up by itself after its patience, so a stopped or missing CTI
server never leaves callers waiting forever in Asterisk. A caller whose agent hangs up
first gets a BYE, which SIPp answers and counts as a failed call; that is expected here.
Rule 4: stop() ends the stream and kills every caller still on the line.
Rule 5: every caller beeps from the answer on (cti/lab/sound.py), so a person taking a
demo call on the desktop's softphone hears the caller, and the media flows both ways.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from typing import Final

from cti.lab.instance import LabInstance
from cti.lab.sipp import CallHandle, place_call
from cti.lab.sound import beeps

BEEPS: Final = beeps()  # rule 5


@dataclass(frozen=True, slots=True, kw_only=True)
class TrafficProfile:
    queues: tuple[str, ...] = ("support",)
    calls_per_minute: float = 6.0
    patience_ms: tuple[int, int] = (30_000, 180_000)  # from the queue's answer to hang-up
    priority_share: float = 0.1  # share of callers marked urgent (X-CTI-Priority)
    urgent_priority: int = 5
    max_concurrent: int = 10
    seed: int = 1


class Traffic:
    """Callers arriving at random into the lab's queues until stop()."""

    def __init__(self, lab: LabInstance, profile: TrafficProfile | None = None) -> None:
        self.lab = lab
        self.profile = profile or TrafficProfile()
        self.placed = 0
        self.skipped = 0
        self._random = random.Random(self.profile.seed)
        self._calls: set[CallHandle] = set()
        self._task: asyncio.Task[None] | None = None

    @property
    def on_the_line(self) -> int:
        self._calls = {call for call in self._calls if not call.done()}
        return len(self._calls)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._arrivals(), name="lab-traffic")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        calls, self._calls = self._calls, set()
        await asyncio.gather(*(call.cancel_and_wait() for call in calls))

    async def _arrivals(self) -> None:
        while True:
            await asyncio.sleep(self._random.expovariate(self.profile.calls_per_minute / 60.0))
            if self.on_the_line >= self.profile.max_concurrent:
                self.skipped += 1
                continue
            self._calls.add(self._next_call())
            self.placed += 1

    def _next_call(self) -> CallHandle:
        profile, rnd = self.profile, self._random
        urgent = rnd.random() < profile.priority_share
        patience_ms = rnd.randint(*profile.patience_ms)
        return place_call(
            self.lab,
            rnd.choice(profile.queues),
            caller=f"555{rnd.randint(0, 9999):04d}",
            priority=profile.urgent_priority if urgent else 0,
            hangup_after_ms=patience_ms,
            media=True,
            sound=BEEPS,
            timeout_s=patience_ms / 1000 + 60,
        )
