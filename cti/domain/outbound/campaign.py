"""Outbound campaigns as values: what to dial, when, how often, and what counts (C5).

Rule 1: every number a policy gives is configured here with the policy's default, never
a constant in the rules: attempts 3-5 and follow-ups within 72 hours (P17), a seat's
70-100 dials and 60-80 successes a day (P16), the calling window 08:00-21:00 in the called
party's local time, the law's 2-second hold and 3 % abandon cap (cti/domain/outbound/pacing.py).
Rule 2: each setting is declared once, here, with its default, meaning and bounds
(cti/domain/setting.py); `validate()` checks them and the rules between them, naming the
field (SettingError, dotted: "retries.busy.delay"); a campaign that was built can be
dialled by.
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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NewType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cti.domain.ids import PLAIN_NAME, QUEUE_NAME, QueueId
from cti.domain.outbound.pacing import DialMode, PacingConfig
from cti.domain.setting import PROSE, SettingError, Text, check, named, setting

CampaignId = NewType("CampaignId", str)

HOUR: Final = 3600.0
DAY: Final = 24 * HOUR
MIN_RING_TIMEOUT: Final = 15.0  # "no answer" only after at least 15 s of ringing (issue 4)
MAX_RING_TIMEOUT: Final = 300.0
MOST_ATTEMPTS: Final = 100  # P17 says 3-5; more is a typo, not a policy
MOST_A_DAY: Final = 10_000  # a seat's dials or successes a day
ZONE_NAME: Final = Text(length=64)  # IANA names are short ("America/Argentina/Buenos_Aires")


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
    delay: float = field(
        metadata=setting("seconds after the attempt ended", ge=0, le=30 * DAY, unit="s")
    )
    max_attempts: int = field(
        metadata=setting(
            "attempts in all, after which the contact is closed (P17: 3-5)",
            ge=1,
            le=MOST_ATTEMPTS,
        )
    )

    def validate(self, where: str) -> None:
        check(self, where)


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

    start: time = field(default=time(8, 0), metadata=setting("first moment dialled, HH:MM"))
    end: time = field(default=time(21, 0), metadata=setting("first moment not dialled, HH:MM"))

    def validate(self) -> None:
        if not self.start < self.end:
            message = f"calling window: start {self.start} must be before end {self.end}"
            raise SettingError(message)

    def allows(self, local: time) -> bool:
        return self.start <= local < self.end


def _daily(doc: str) -> Mapping[str, object]:
    return setting(doc, ge=0, le=MOST_A_DAY)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatTargets:
    """P16: an outbound seat's daily dials and successful contacts; outside: a finding."""

    min_dials: int = field(default=70, metadata=_daily("fewest dials a seat's day"))
    max_dials: int = field(default=100, metadata=_daily("most dials a seat's day"))
    min_successes: int = field(default=60, metadata=_daily("fewest successes a day"))
    max_successes: int = field(default=80, metadata=_daily("most successes a day"))

    def validate(self) -> None:
        check(self, "seat targets")
        if not self.min_dials <= self.max_dials:
            raise SettingError(f"seat targets: dials {self.min_dials}-{self.max_dials}")
        if not self.min_successes <= self.max_successes:
            raise SettingError(f"seat targets: successes {self.min_successes}-{self.max_successes}")


def _progressive() -> PacingConfig:
    return PacingConfig(mode=DialMode.PROGRESSIVE)


def _period(doc: str) -> Mapping[str, object]:
    return setting(doc, gt=0, le=31 * DAY, unit="s")


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignConfig:
    id: CampaignId = field(metadata=setting("the campaign's id", text=PLAIN_NAME))
    name: str = field(default="", metadata=setting("shown to people"))
    queue: QueueId = field(
        metadata=setting("a configured queue; its agents serve the campaign", text=QUEUE_NAME)
    )
    caller_id: str = field(default="", metadata=setting("the number the called party sees"))
    script: str = field(default="", metadata=setting("what the agent reads (P25)", text=PROSE))
    shown_fields: tuple[str, ...] = field(
        default=(), metadata=setting("the contact's fields shown to the agent (P25)")
    )
    window: CallingWindow = field(
        default_factory=CallingWindow,
        metadata=setting("calling window in the called party's local time"),
    )
    timezone: str = field(
        default="UTC", metadata=setting("IANA, for contacts without one", text=ZONE_NAME)
    )
    retries: Mapping[AttemptResult, RetryRule] = field(
        default_factory=default_retries,
        metadata=setting("by the last attempt's result (rule 3); left out: no retry (P17)"),
    )
    follow_up_within: float = field(
        default=72 * HOUR, metadata=_period("a complaint's follow-up is due within (P17)")
    )
    callback_grace: float = field(
        default=300.0, metadata=_period("rule 5: a promised callback is due this long after")
    )
    callback_within: float = field(
        default=HOUR, metadata=_period("rule 5: a waiting caller's callback is due within")
    )
    standing: bool = field(
        default=False, metadata=setting("rule 5: never finished for want of contacts")
    )
    abandon_quiet: float = field(
        default=72 * HOUR, metadata=_period("rule 4: an abandoned number's quiet period")
    )
    ring_timeout: float = field(
        default=25.0,
        metadata=setting(
            'seconds a dial rings before it is "no answer"',
            ge=MIN_RING_TIMEOUT,
            le=MAX_RING_TIMEOUT,
            unit="s",
        ),
    )
    machine_detection: bool = field(
        default=False, metadata=setting("answering-machine detection (AMD)")
    )
    pacing: PacingConfig = field(
        default_factory=_progressive, metadata=setting("the dial mode, the law's hold and cap")
    )
    seat: SeatTargets = field(
        default_factory=SeatTargets, metadata=setting("P16: a seat's daily targets")
    )

    def validate(self) -> None:
        where = named("campaign", self.id, PLAIN_NAME)
        if not self.queue.strip():
            raise SettingError(f"{where}: queue must name the queue whose agents serve it", "queue")
        check(self, where)
        _known_zone(self.timezone, where)
        for result, rule in self.retries.items():
            if result not in RETRIED:
                reason = f"{result} is not retried (only {', '.join(sorted(RETRIED))})"
                raise SettingError(f"{where}: {reason}", f"retries.{result}")
            _within(f"retries.{result}", rule.validate, f"{where}: retry on {result}")
        _within("window", self.window.validate)
        _within("seat", self.seat.validate)

    @property
    def mode(self) -> DialMode:
        return self.pacing.mode

    def retry(self, result: AttemptResult) -> RetryRule | None:
        return self.retries.get(result)


def _within(path: str, validate: Callable[..., None], *args: str) -> None:
    """A part's validate(), its errors named from the campaign (rule 2)."""
    try:
        validate(*args)
    except SettingError as exc:
        raise exc.under(path) from None


def _known_zone(name: str, where: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(
            f"{where}: timezone {name!r} is not a known time zone", "timezone"
        ) from None


def new_campaign(campaign: CampaignId, queue: QueueId) -> CampaignConfig:
    """A campaign with the defaults; a queue's callbacks campaign is standing (rule 5)."""
    return CampaignConfig(id=campaign, queue=queue, standing=campaign.startswith(CALLBACKS_PREFIX))


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
