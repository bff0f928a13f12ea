"""One dial of one contact, as it ended (issue 4, C5): the record the dialer emits and
storage keeps (dial_attempts), and what the abandon rate and a seat's figures count.

Rule 1: an attempt is final once recorded; its checks refuse one that contradicts itself
(ended before it started; a connected or abandoned call nobody answered; connected_at
without a connected result).
Rule 2: `person` (answered by a person) is what the law's abandon rate counts.
Rule 3: a dial nobody answered gets its result from the hang-up cause (Q.850), because
Asterisk's OriginateResponse says only "failed" for busy, congestion and failure alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NewType

from cti.domain.ids import AgentId, Instant
from cti.domain.outbound.campaign import AttemptResult, CampaignId
from cti.domain.outbound.contact import ContactId
from cti.domain.outbound.pacing import DialMode

AttemptId = NewType("AttemptId", str)


@dataclass(frozen=True, slots=True, kw_only=True)
class DialAttempt:
    """One dial of one contact, as it ended; final once recorded."""

    id: AttemptId  # unique per attempt (e.g. the dial's call id)
    campaign: CampaignId
    contact: ContactId
    number: str
    agent: AgentId | None  # reserved for it, or (predictive) the agent who took it
    mode: DialMode
    started_at: Instant  # the dial
    answered_at: Instant | None = None  # by a person or a machine
    connected_at: Instant | None = None  # an agent took the answered call
    ended_at: Instant
    result: AttemptResult
    person: bool  # answered by a person: what the abandon rate counts

    def __post_init__(self) -> None:
        if self.ended_at < self.started_at:
            raise ValueError(f"attempt {self.id}: it ended before it started")
        if self.result in (AttemptResult.CONNECTED, AttemptResult.ABANDONED) and not self.person:
            raise ValueError(f"attempt {self.id}: a {self.result} call is one a person answered")
        if (self.connected_at is not None) != (self.result is AttemptResult.CONNECTED):
            raise ValueError(f"attempt {self.id}: connected_at goes with a connected result")

    @property
    def ring_seconds(self) -> float:
        """From the dial to the answer, or to the end when nobody answered."""
        rang_until = self.ended_at if self.answered_at is None else self.answered_at
        return max(0.0, rang_until - self.started_at)


# Q.850 cause codes of a dial nobody answered, as Asterisk 22 reports them on the outbound
# channel's Hangup (tests/lab/test_originate.py, facts 2 and 5): a busy customer is 17, a
# 503 is 34, a ring-out is 19; a channel that could not be created has no Hangup at all.
BUSY_CAUSES: Final = frozenset({17})  # user busy
NO_ANSWER_CAUSES: Final = frozenset({18, 19})  # no user responding; alerting, no answer
CONGESTION_CAUSES: Final = frozenset({34, 38, 41, 42, 44})  # no circuit, network, congestion


def unanswered_result(cause: int | None) -> AttemptResult:
    """The result of a dial that nobody answered, from its hang-up cause (None: the
    channel was never created, which Asterisk reports only as a failed Originate)."""
    if cause in BUSY_CAUSES:
        return AttemptResult.BUSY
    if cause in NO_ANSWER_CAUSES:
        return AttemptResult.NO_ANSWER
    if cause in CONGESTION_CAUSES:
        return AttemptResult.CONGESTION
    return AttemptResult.FAILED
