"""Sign-in protection for secrets (issue 13; P3, P22): how often a PIN may be tried.

Rule 1: failures are counted per key (an agent, and separately the address the attempts
come from). The first `free` - 1 failures cost nothing; from the `free`-th on, after each
one the key must wait before it may try again, doubling from 1 s up to `lock` seconds (a
temporary lock). So with free = 5 the 6th attempt in a row is refused unless it waits.
Rule 2: while a key must wait, an attempt is refused before its PIN is looked at, right or
wrong, with the same answer: the refusal says nothing about the PIN.
Rule 3: a success forgets the agent's failures (not the address's: one right PIN must not
wash away guesses at others); a key's failures are forgotten `forget` seconds after its last
one.
Rule 4: pure: time is passed in; the shell keeps the table and says what happened.
Rule 5: the failure that first makes a key wait (the `free`-th in a row) is a finding
(P22, P3: someone may be guessing an agent's PIN): the shell says so with FlagSignIns, and
the finding names the agent (an unknown one by its text in the detail) or the address.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from cti.domain.commands import FlagSignIns
from cti.domain.effects import FindingRaised
from cti.domain.records import NO_AGENT, Finding, Rule

if TYPE_CHECKING:
    from cti.domain.work import Work


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    free: int  # the failure after which the key first waits
    lock: float  # the longest wait, seconds
    forget: float  # seconds after the last failure when a key starts afresh


AGENT_POLICY: Final = Policy(free=5, lock=900.0, forget=900.0)
# An address may be a call centre's shared NAT: more room, the same lock.
ADDRESS_POLICY: Final = Policy(free=20, lock=900.0, forget=900.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Failures:
    count: int = 0
    last: float = 0.0  # when the last failure was
    until: float = 0.0  # no attempt before this instant


def current(record: Failures | None, policy: Policy, now: float) -> Failures:
    """The key's failures as they stand at `now` (rule 3: forgotten after a quiet spell)."""
    if record is None or now - record.last >= policy.forget:
        return Failures()
    return record


def wait(record: Failures | None, policy: Policy, now: float) -> float:
    """Seconds before the key may try again; 0 when it may now (rule 1)."""
    return max(0.0, current(record, policy, now).until - now)


def failed(record: Failures | None, policy: Policy, now: float) -> Failures:
    """The key's failures after one more at `now` (rule 1)."""
    count = current(record, policy, now).count + 1
    beyond = count - policy.free
    delay = 0.0 if beyond < 0 else min(policy.lock, 2.0**beyond)
    return replace(Failures(), count=count, last=now, until=now + delay)


def locked(record: Failures | None, policy: Policy, now: float) -> bool:
    """The key waits the longest wait: a lock worth a finding (P22)."""
    return wait(record, policy, now) >= policy.lock


def throttled(before: Failures | None, after: Failures, policy: Policy, now: float) -> bool:
    """Rule 5: this failure is the one that first makes the key wait."""
    return after.count == policy.free and wait(before, policy, now) == 0


def on_flag_signins(work: Work, command: FlagSignIns) -> None:
    """Rule 5: one finding per key starting to wait."""
    known = command.agent is not None and command.agent in work.config.agents
    if command.agent is None:
        who, agent = f"from {command.address or 'an unknown address'}", NO_AGENT
    elif known:
        who, agent = f"for agent {command.agent} from {command.address}", command.agent
    else:  # an id nobody has: named in the text only, so findings stay by real agents
        who, agent = f"for unknown agent {command.agent[:40]!a} from {command.address}", NO_AGENT
    policy = ADDRESS_POLICY if command.agent is None else AGENT_POLICY
    work.emit(
        FindingRaised(
            finding=Finding(
                rule=Rule.SIGNIN_FAILURES,
                agent=agent,
                at=command.at,
                measured=float(command.failures),
                limit=float(policy.free - 1),
                detail=f"{command.failures} failed sign-ins in a row {who}: "
                f"each attempt now waits, up to {policy.lock / 60:g} minutes",
            )
        )
    )
