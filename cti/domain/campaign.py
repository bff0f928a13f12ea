"""Outbound campaigns as values: what to dial, when, how often, and what counts (C5).

Rule 1: every number a policy gives is configured here with the policy's default, never
a constant in the rules: attempts 3-5 and follow-ups within 72 hours (P17), a seat's
70-100 dials and 60-80 successes a day (P16), the calling window 08:00-21:00 in the called
party's local time, the law's 2-second hold and 3 % abandon cap (cti/domain/pacing.py).
Rule 2: `validate()` names the field and why it is wrong (ConfigError); a campaign that was
built can be dialled by.
Rule 3: a retry rule belongs to the outcome of the last attempt: after a busy, no answer,
failure, congestion, machine or abandoned call the contact is tried again `delay` seconds
later, unless it already had `max_attempts` attempts in all, which closes it (P17). A
person reached closes the contact as done; an outcome without a rule closes it.
Rule 4: a number whose call was abandoned (the law's sense: answered by a person, no
agent within the hold) is not dialled again within `abandon_quiet` seconds (72 hours)
unless an agent is guaranteed, i.e. in preview or progressive dialling (the agent is
reserved before the dial).
Rule 5: each queue has a standing campaign of callbacks and follow-ups (P9, P18), made on
demand by `callbacks_campaign`: progressive (an agent is reserved before every dial),
retried sooner than a list's contacts, never finished for want of contacts. A callback
promised for a time is due `callback_grace` after it; one a waiting caller asked for is
due within `callback_within`; a complaint's follow-up within `follow_up_within`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NewType

from cti.domain.config import ConfigError
from cti.domain.ids import QueueId
from cti.domain.pacing import DialMode, PacingConfig

CampaignId = NewType("CampaignId", str)

HOUR: Final = 3600.0
MIN_RING_TIMEOUT: Final = 15.0  # "no answer" only after at least 15 s of ringing (issue 4)


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # being set up: contacts may be loaded, nothing is dialled
    RUNNING = "running"
    PAUSED = "paused"  # nothing new is dialled; calls in progress finish
    FINISHED = "finished"  # stopped for good (or every contact closed): never restarted


class AttemptResult(StrEnum):
    """The outcome of one dial (issue 4, item 2)."""

    CONNECTED = "connected"  # a person answered and reached an agent
    ABANDONED = "abandoned"  # a person answered and no agent came within the hold (the law)
    BUSY = "busy"
    NO_ANSWER = "no_answer"  # rang the campaign's ring timeout (at least 15 s) unanswered
    FAILED = "failed"  # the number or the trunk failed
    CONGESTION = "congestion"
    MACHINE = "machine"  # an answering machine (when detection is on)
    SKIPPED = "skipped"  # preview: the agent chose not to dial (recorded, P25)


RETRIED: Final = frozenset(
    {
        AttemptResult.BUSY,
        AttemptResult.NO_ANSWER,
        AttemptResult.FAILED,
        AttemptResult.CONGESTION,
        AttemptResult.MACHINE,
        AttemptResult.ABANDONED,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryRule:
    delay: float  # seconds after the attempt ended
    max_attempts: int  # attempts in all, after which the contact is closed (P17: 3-5)

    def validate(self, where: str) -> None:
        if not 0 <= self.delay < math.inf:
            raise ConfigError(f"{where}: delay must be 0 or more seconds, not {self.delay}")
        if self.max_attempts < 1:
            raise ConfigError(f"{where}: max_attempts must be 1 or more, not {self.max_attempts}")


def default_retries() -> Mapping[AttemptResult, RetryRule]:
    """P17's 3-5 attempts: busy soon again, no answer and machines later in the day."""
    return MappingProxyType(
        {
            AttemptResult.BUSY: RetryRule(delay=0.25 * HOUR, max_attempts=5),
            AttemptResult.NO_ANSWER: RetryRule(delay=2 * HOUR, max_attempts=5),
            AttemptResult.FAILED: RetryRule(delay=1 * HOUR, max_attempts=3),
            AttemptResult.CONGESTION: RetryRule(delay=0.25 * HOUR, max_attempts=5),
            AttemptResult.MACHINE: RetryRule(delay=4 * HOUR, max_attempts=3),
            # Rule 4 keeps the number quiet 72 h unless an agent is guaranteed.
            AttemptResult.ABANDONED: RetryRule(delay=1 * HOUR, max_attempts=5),
        }
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CallingWindow:
    """Local time of the called party in which dialling is allowed: [start, end)."""

    start: time = time(8, 0)
    end: time = time(21, 0)

    def validate(self) -> None:
        if not self.start < self.end:
            raise ConfigError(f"calling window: start {self.start} must be before end {self.end}")

    def allows(self, local: time) -> bool:
        return self.start <= local < self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatTargets:
    """P16: an outbound seat's daily dials and successful contacts; outside: a finding."""

    min_dials: int = 70
    max_dials: int = 100
    min_successes: int = 60
    max_successes: int = 80

    def validate(self) -> None:
        if not 0 <= self.min_dials <= self.max_dials:
            raise ConfigError(f"seat targets: dials {self.min_dials}-{self.max_dials}")
        if not 0 <= self.min_successes <= self.max_successes:
            raise ConfigError(f"seat targets: successes {self.min_successes}-{self.max_successes}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignConfig:
    id: CampaignId
    name: str = ""
    queue: QueueId  # its agents serve the campaign (logged in to this queue)
    caller_id: str = ""  # the number presented to the called party
    script: str = ""  # what the agent reads (P25)
    shown_fields: tuple[str, ...] = ()  # the contact's fields shown to the agent (P25)
    window: CallingWindow = field(default_factory=CallingWindow)
    timezone: str = "UTC"  # for contacts imported without one
    retries: Mapping[AttemptResult, RetryRule] = field(default_factory=default_retries)
    follow_up_within: float = 72 * HOUR  # a complaint's follow-up is due within (P17)
    callback_grace: float = 300.0  # rule 5: a promised callback is due this long after
    callback_within: float = HOUR  # rule 5: a waiting caller's callback is due within
    standing: bool = False  # rule 5: never finished for want of contacts
    abandon_quiet: float = 72 * HOUR  # rule 4
    ring_timeout: float = 25.0  # seconds a dial rings before it is "no answer"
    machine_detection: bool = False
    pacing: PacingConfig = field(  # the dial mode, the law's hold, cap and window
        default_factory=lambda: PacingConfig(mode=DialMode.PROGRESSIVE)
    )
    seat: SeatTargets = field(default_factory=SeatTargets)

    def validate(self) -> None:
        if not self.id.strip():
            raise ConfigError("campaign: id must not be empty")
        where = f"campaign {self.id}"
        if not self.queue.strip():
            raise ConfigError(f"{where}: queue must name the queue whose agents serve it")
        if not MIN_RING_TIMEOUT <= self.ring_timeout < math.inf:
            raise ConfigError(
                f"{where}: ring_timeout must be at least {MIN_RING_TIMEOUT:g} s, "
                f"not {self.ring_timeout:g}"
            )
        periods = {
            "follow_up_within": self.follow_up_within,
            "abandon_quiet": self.abandon_quiet,
            "callback_grace": self.callback_grace,
            "callback_within": self.callback_within,
        }
        for name, seconds in periods.items():
            if not 0 < seconds < math.inf:
                raise ConfigError(f"{where}: {name} must be positive seconds, not {seconds}")
        for result, rule in self.retries.items():
            if result not in RETRIED:
                raise ConfigError(f"{where}: {result} is not retried (only {sorted(RETRIED)})")
            rule.validate(f"{where}: retry on {result}")
        self.window.validate()
        self.seat.validate()

    @property
    def mode(self) -> DialMode:
        return self.pacing.mode

    def retry(self, result: AttemptResult) -> RetryRule | None:
        return self.retries.get(result)


CALLBACKS_PREFIX: Final = "callbacks-"


def callback_retries() -> Mapping[AttemptResult, RetryRule]:
    """Rule 5: a customer who asked to be called is tried again within the hour."""
    return MappingProxyType(
        {
            AttemptResult.BUSY: RetryRule(delay=300.0, max_attempts=3),
            AttemptResult.NO_ANSWER: RetryRule(delay=900.0, max_attempts=3),
            AttemptResult.FAILED: RetryRule(delay=1800.0, max_attempts=2),
            AttemptResult.CONGESTION: RetryRule(delay=300.0, max_attempts=3),
            AttemptResult.MACHINE: RetryRule(delay=1800.0, max_attempts=2),
            AttemptResult.ABANDONED: RetryRule(delay=900.0, max_attempts=3),
        }
    )


def callbacks_campaign(queue: QueueId) -> CampaignConfig:
    """Rule 5: the standing campaign of a queue's callbacks and follow-ups, as first made."""
    return CampaignConfig(
        id=CampaignId(f"{CALLBACKS_PREFIX}{queue}"),
        name=f"Callbacks of {queue}",
        queue=queue,
        retries=callback_retries(),
        standing=True,
    )
