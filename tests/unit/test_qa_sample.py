"""The weekly QA sample (cti/domain/compliance/qa_sample.py, issue 16, P11)."""

from __future__ import annotations

from cti.domain.compliance.qa_sample import DAY, Rates, rate_of, sample
from cti.domain.ids import AgentId, CallId, Instant

WEEK = Instant(1_796_601_600.0)
A, B, C = AgentId("1001"), AgentId("1002"), AgentId("1003")
RATES = Rates()


def calls(agent: str, n: int) -> list[CallId]:
    return [CallId(f"{agent}-c{i}") for i in range(n)]


def test_new_and_weak_agents_are_sampled_more_often() -> None:
    old = Instant(WEEK - 400 * DAY)
    assert rate_of(RATES, WEEK, old, [90, 85]) == (2, "base")
    assert rate_of(RATES, WEEK, Instant(WEEK - 10 * DAY), [90]) == (4, "new agent")
    assert rate_of(RATES, WEEK, old, [70, 80]) == (4, "low score")
    assert rate_of(RATES, WEEK, None, []) == (2, "base")  # never logged in before: no news


def test_the_sample_is_stable_for_a_week_and_takes_what_there_is() -> None:
    talked = {A: calls("a", 20), B: calls("b", 1), C: calls("c", 20)}
    first = {A: Instant(WEEK - 400 * DAY), B: Instant(WEEK - 400 * DAY), C: Instant(WEEK - DAY)}
    once = sample(talked, WEEK, RATES, first, {})
    again = sample({k: list(reversed(v)) for k, v in talked.items()}, WEEK, RATES, first, {})
    assert once == again
    assert [(s.agent, s.rate, len(s.calls)) for s in once] == [(A, 2, 2), (B, 2, 1), (C, 4, 4)]
    next_week = sample(talked, Instant(WEEK + 7 * DAY), RATES, first, {})
    assert next_week[0].calls != once[0].calls  # another week, another sample
    assert set(once[2].calls) <= set(talked[C])
