"""Agent state machine.

Rule 1: every legal transition is a row in TRANSITIONS; anything else raises
IllegalTransition, whose message names the agent, the state and the trigger.
Rule 2: the agent's chosen status (ready, or not ready with a reason) is kept apart from the
observed state (available, offered, on call, wrap-up, not ready): RESUME rows go to
AVAILABLE or NOT_READY according to the status (mod_callcenter's status vs state).
Rule 3: a not-ready reason is carried by the status; the system sets one itself after
missed offers (C3) and phones that cannot be reached.
Rule 4: pure; time arrives as an argument and every change returns a new Agent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from cti.domain.evolve import evolve
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.records import AgentState


class Trigger(StrEnum):
    LOG_IN = "log in"
    LOG_OUT = "log out"
    READY = "ready"
    NOT_READY = "not ready"
    OFFER = "offer"
    ANSWER = "answer"
    MISS = "miss"  # the offer ended unanswered (ring limit, busy, unreachable)
    CANCEL = "cancel"  # the offer, or a consultation, ended through no fault of the agent
    HANG_UP = "hang up"  # the agent's talk ended (either side, or a transfer)
    END_WRAP_UP = "end wrap-up"
    RESERVE = "reserve"  # an outbound call is dialled for this agent alone (issue 4)
    RELEASE = "release"  # that call ended before reaching the agent
    ADOPT = "adopt"  # a resync found the agent's phone connected to a call (C1)


class _Resume:
    """Target of rows that go wherever the agent's status says."""

    def __repr__(self) -> str:
        return "RESUME"


RESUME: Final = _Resume()
S, T = AgentState, Trigger

TRANSITIONS: Final[Mapping[tuple[AgentState, Trigger], AgentState | _Resume]] = {
    (S.LOGGED_OUT, T.LOG_IN): RESUME,
    (S.AVAILABLE, T.LOG_OUT): S.LOGGED_OUT,
    (S.NOT_READY, T.LOG_OUT): S.LOGGED_OUT,
    (S.WRAP_UP, T.LOG_OUT): S.LOGGED_OUT,
    (S.AVAILABLE, T.READY): S.AVAILABLE,
    (S.NOT_READY, T.READY): S.AVAILABLE,
    (S.AVAILABLE, T.NOT_READY): S.NOT_READY,
    (S.NOT_READY, T.NOT_READY): S.NOT_READY,
    # While busy with a call only the status changes; it applies when the call is done.
    (S.OFFERED, T.READY): S.OFFERED,
    (S.OFFERED, T.NOT_READY): S.OFFERED,
    (S.ON_CALL, T.READY): S.ON_CALL,
    (S.ON_CALL, T.NOT_READY): S.ON_CALL,
    (S.WRAP_UP, T.READY): S.WRAP_UP,
    (S.WRAP_UP, T.NOT_READY): S.WRAP_UP,
    (S.AVAILABLE, T.OFFER): S.OFFERED,
    # Progressive and preview dialling (issue 4): the agent waits for one outbound call.
    (S.AVAILABLE, T.RESERVE): S.RESERVED,
    (S.RESERVED, T.OFFER): S.OFFERED,
    (S.RESERVED, T.RELEASE): RESUME,
    (S.RESERVED, T.READY): S.RESERVED,
    (S.RESERVED, T.NOT_READY): S.RESERVED,
    (S.OFFERED, T.ANSWER): S.ON_CALL,
    (S.OFFERED, T.MISS): RESUME,
    (S.OFFERED, T.CANCEL): RESUME,
    (S.ON_CALL, T.HANG_UP): S.WRAP_UP,
    # A consultation that ended without the transfer (P8): no after-call work.
    (S.ON_CALL, T.CANCEL): RESUME,
    (S.WRAP_UP, T.END_WRAP_UP): RESUME,
    # Taken back after a restart (cti/domain/adopt.py): on the call Asterisk still bridges.
    (S.AVAILABLE, T.ADOPT): S.ON_CALL,
    (S.NOT_READY, T.ADOPT): S.ON_CALL,
}


KEEPS_CALL: Final = frozenset({S.RESERVED, S.OFFERED, S.ON_CALL, S.WRAP_UP})


class IllegalTransition(ValueError):
    def __init__(self, agent: AgentId, state: AgentState, trigger: Trigger) -> None:
        super().__init__(f"agent {agent}: {trigger} not allowed in {state}")
        self.agent, self.state, self.trigger = agent, state, trigger


@dataclass(frozen=True, slots=True, kw_only=True)
class Agent:
    """A logged-in agent. Logged-out agents are not kept: they exist only in the config."""

    id: AgentId
    device: DeviceId
    address: str
    logged_in_at: Instant
    state: AgentState
    since: Instant  # when `state` began; for AVAILABLE this is the idle start
    ready: bool = True  # the chosen status
    reason: str | None = None  # the not-ready reason of the status
    reason_by: str = ""  # who set the status (agent, supervisor, system)
    answered: int = 0  # calls answered since login (fewest-calls strategy)
    misses_in_row: int = 0
    call: CallId | None = None  # the call offered, talked to, or wrapped up
    channel: ChannelId | None = None  # that call's caller channel
    queue: QueueId | None = None  # the queue the call came from (its wrap-up rules)

    @property
    def shown_reason(self) -> str | None:
        """The reason to show with the state: only NOT_READY has one."""
        return self.reason if self.state is AgentState.NOT_READY else None

    def fire(self, trigger: Trigger, at: Instant) -> Agent:
        try:
            target = TRANSITIONS[self.state, trigger]
        except KeyError:
            raise IllegalTransition(self.id, self.state, trigger) from None
        if isinstance(target, _Resume):
            target = AgentState.AVAILABLE if self.ready else AgentState.NOT_READY
        if target is self.state:
            return self
        keeps_call = target in KEEPS_CALL
        if keeps_call:
            return evolve(self, state=target, since=at)
        return evolve(self, state=target, since=at, call=None, channel=None, queue=None)

    def allows(self, trigger: Trigger) -> bool:
        return (self.state, trigger) in TRANSITIONS

    def with_status(self, *, ready: bool, reason: str | None, by: str) -> Agent:
        return evolve(self, ready=ready, reason=None if ready else reason, reason_by=by)


def logged_in(agent: AgentId, device: DeviceId, address: str, at: Instant) -> Agent:
    """A new login: the agent is ready and available at once."""
    fresh = Agent(
        id=agent,
        device=device,
        address=address,
        logged_in_at=at,
        state=AgentState.LOGGED_OUT,
        since=at,
    )
    return fresh.fire(Trigger.LOG_IN, at)
