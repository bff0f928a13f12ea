"""History records' derived values (cti/domain/records.py rule 4)."""

from __future__ import annotations

from dataclasses import replace

from cti.domain.records import CallOutcome
from tests.api.harness import past_call


def test_a_calls_outcome_is_answered_else_abandoned_else_unanswered() -> None:
    answered = past_call("c1", "+1555", "1001", 1_700_000_000.0)

    abandoned = replace(answered, answered=False, abandoned=True)
    sent_on = replace(answered, answered=False, abandoned=False)

    assert answered.outcome is CallOutcome.ANSWERED
    assert replace(answered, abandoned=True).outcome is CallOutcome.ANSWERED
    assert abandoned.outcome is CallOutcome.ABANDONED
    assert sent_on.outcome is CallOutcome.UNANSWERED
