"""An armed offer (issue 17): one agent offered, in Asterisk, to the next caller of a queue.

Rule 1: an arm lives in one slot of one queue (`ArmKey`) and is named by a token unique
across the server's runs: the millisecond it was armed and a counter.
Rule 2: its lifecycle is a table (STYLE rule 14): ARMED -disarm-> DISARMING -read the
taker's intent-> CONTESTED (a caller was committing to it) or gone. A take ends it from
ARMED or CONTESTED; a take or an abort heard while DISARMING is remembered (`heard`), since
the disarm's answer is still to come. Anything else raises IllegalArmTransition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from cti.domain.ids import AgentId, ChannelId, DeviceId, Instant, QueueId

ArmKey = tuple[QueueId, int]  # (queue, slot); slots count from 1


class ArmPhase(StrEnum):
    ARMED = "armed"  # in Asterisk: the next caller of the queue may take it
    DISARMING = "disarming"  # emptied; the taker's intent is being read
    CONTESTED = "contested"  # a caller was committing: its word (taken, aborted) is awaited


class ArmOutcome(StrEnum):
    """How an arm ended (cti_arms_total)."""

    TAKEN = "taken"  # a caller took it and it became that caller's offer
    LATE = "late"  # taken but not an offer (arming rule 4): its caller was sent back to wait
    WITHDRAWN = "withdrawn"  # disarmed before any caller took it
    CLEARED = "cleared"  # forgotten at a resync, its slot emptied


class ArmTrigger(StrEnum):
    DISARM = "disarm"
    CONTEST = "contest"  # the disarm read this arm's token as a caller's intent


A, T = ArmPhase, ArmTrigger
TRANSITIONS: Final[Mapping[tuple[ArmPhase, ArmTrigger], ArmPhase]] = {
    (A.ARMED, T.DISARM): A.DISARMING,
    (A.DISARMING, T.DISARM): A.DISARMING,  # a disarm Asterisk did not confirm, sent again
    (A.DISARMING, T.CONTEST): A.CONTESTED,
}


class IllegalArmTransition(ValueError):
    def __init__(self, token: str, phase: ArmPhase, trigger: ArmTrigger) -> None:
        super().__init__(f"arm {token}: {trigger} not allowed in {phase}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Arm:
    queue: QueueId
    slot: int
    token: str
    agent: AgentId
    device: DeviceId
    armed_at: Instant
    ring_guard: float  # Asterisk's dial timeout for the taker's dial (offer.py rule 3)
    auto_answer: bool  # dialled with the auto-answer headers
    recording: str | None  # the file the agent's part is recorded to, if the queue records
    phase: ArmPhase = ArmPhase.ARMED
    taker: ChannelId | None = None  # CONTESTED: the caller whose intent the disarm read
    heard: bool = False  # DISARMING: the taker's word came before the disarm's answer
    taken: bool = False  # DISARMING: that word was a take (its ending is counted already)

    @property
    def key(self) -> ArmKey:
        return (self.queue, self.slot)

    @property
    def timer(self) -> str:
        """The key of the arm's retry timer (TimerKind.ARM)."""
        return f"{self.queue}/{self.slot}"

    def fire(self, trigger: ArmTrigger, taker: ChannelId | None = None) -> Arm:
        try:
            phase = TRANSITIONS[self.phase, trigger]
        except KeyError:
            raise IllegalArmTransition(self.token, self.phase, trigger) from None
        return replace(self, phase=phase, taker=taker)


def arm_token(at: Instant, count: int) -> str:
    """Rule 1: unique across runs (a restart does not happen within the same millisecond
    with the same count); only digits and `-`, safe in a dialplan value."""
    return f"{round(at * 1000)}-{count}"
