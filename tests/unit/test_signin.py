"""Sign-in protection's rules (cti/domain/signin.py): a few free failures, then doubling
waits up to a lock; forgotten after a quiet spell."""

from __future__ import annotations

from cti.domain.signin import AGENT_POLICY, Failures, Policy, failed, locked, wait

POLICY = Policy(free=5, lock=900.0, forget=900.0)


def test_five_failures_are_free_then_each_one_doubles_the_wait_up_to_the_lock() -> None:
    record: Failures | None = None
    waits = []
    for n in range(16):
        record = failed(record, POLICY, now=100.0 + n * 0.001)
        waits.append(round(wait(record, POLICY, 100.0 + n * 0.001), 3))
    assert waits[:4] == [0.0] * 4  # four failures cost nothing; the 5th makes the 6th wait
    assert waits[4:11] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
    assert waits[-1] == 900.0 and locked(record, POLICY, 100.015)
    assert not locked(record, POLICY, 100.015 + 900.0)


def test_failures_are_forgotten_after_a_quiet_spell() -> None:
    record = None
    for _ in range(7):
        record = failed(record, POLICY, now=0.0)
    assert wait(record, POLICY, 0.0) == 4.0
    assert failed(record, POLICY, now=899.9).count == 8  # still counting
    assert failed(record, POLICY, now=900.0).count == 1  # forgotten: starts afresh


def test_the_agent_policy_is_the_documented_one() -> None:
    assert (AGENT_POLICY.free, AGENT_POLICY.lock, AGENT_POLICY.forget) == (5, 900.0, 900.0)
