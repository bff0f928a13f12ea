"""The sign-in guard: cti/domain/signin.py's rules over the agents and addresses seen.

Rule 1: one guard per server, touched only on the event loop (one writer).
Rule 2: a refused attempt is 429 with Retry-After (whole seconds), the same for a right and
a wrong PIN (domain rule 2); a failure otherwise stays the route's 401.
Rule 3: the table is bounded: past MAX_KEYS keys, the forgotten ones are dropped first,
then the oldest.
Rule 4: `failed` returns the FlagSignIns commands of the keys that this failure made start
waiting (domain rule 5); the route hands them to the core, which raises the findings.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Final

from cti.api.errors import ApiError
from cti.domain.commands import FlagSignIns
from cti.domain.ids import AgentId, Instant
from cti.domain.signin import (
    ADDRESS_POLICY,
    AGENT_POLICY,
    Failures,
    Policy,
    current,
    failed,
    locked,
    throttled,
    wait,
)

audit = logging.getLogger("cti.audit")

MAX_KEYS: Final = 10_000  # per table (rule 3)


def _ignore(_outcome: str) -> None:
    pass


class SignInGuard:
    def __init__(self, count: Callable[[str], None] = _ignore) -> None:
        self._agents: dict[str, Failures] = {}
        self._addresses: dict[str, Failures] = {}
        self._count = count  # "wrong", "refused" or "locked": cti_signin_attempts_total

    def check(self, agent: str, address: str, now: float) -> None:
        """Raise the 429 of rule 2 while the agent or the address must wait."""
        left = max(
            wait(self._agents.get(agent), AGENT_POLICY, now),
            wait(self._addresses.get(address), ADDRESS_POLICY, now),
        )
        if left > 0:
            self._count("refused")
            seconds = max(1, math.ceil(left))
            raise ApiError(
                429,
                f"too many failed sign-ins: try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )

    def failed(self, agent: str, address: str, now: float) -> list[FlagSignIns]:
        """Count the failure; the findings it calls for (rule 4)."""
        self._count("wrong")
        flags = []
        for table, key, policy, who in (
            (self._agents, agent, AGENT_POLICY, AgentId(agent)),
            (self._addresses, address, ADDRESS_POLICY, None),
        ):
            before = table.get(key)
            table[key] = failed(before, policy, now)
            _bound(table, policy, now)
            if throttled(before, table[key], policy, now):
                at, failures = Instant(now), table[key].count
                flags.append(FlagSignIns(at=at, agent=who, address=address, failures=failures))
            if locked(table[key], policy, now):
                self._count("locked")
                audit.warning("sign-in locked for %s after %d failures", key, table[key].count)
        return flags

    def succeeded(self, agent: str) -> None:
        self._agents.pop(agent, None)


def _bound(table: dict[str, Failures], policy: Policy, now: float) -> None:
    if len(table) <= MAX_KEYS:
        return
    for key in [k for k, v in table.items() if current(v, policy, now).count == 0]:
        del table[key]
    while len(table) > MAX_KEYS:
        del table[min(table, key=lambda k: table[k].last)]
