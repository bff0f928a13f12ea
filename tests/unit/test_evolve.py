"""evolve (cti/domain/evolve.py): the same copies as dataclasses.replace, faster."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from cti.domain.call import CallProgress
from cti.domain.evolve import evolve
from cti.domain.ids import CallId, Instant, QueueId
from cti.domain.pmap import _CODES, CODES_KEPT, PMap, _code, code

PROGRESS = CallProgress(
    call=CallId("c1"), caller="+1555", queue=QueueId("q"), entered_at=Instant(1)
)


def test_evolve_makes_what_replace_makes_and_leaves_the_original() -> None:
    made = evolve(PROGRESS, offers=2, answered=True)
    assert made == dataclasses.replace(PROGRESS, offers=2, answered=True)
    assert type(made) is CallProgress and (PROGRESS.offers, PROGRESS.answered) == (0, False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.offers = 3  # type: ignore[misc]


def test_an_unknown_field_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="no field"):
        evolve(PROGRESS, offer=2)


@dataclass(frozen=True, slots=True)
class Checked:
    n: int

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError("negative")


def test_a_class_that_checks_its_values_is_copied_by_replace() -> None:
    assert evolve(Checked(1), n=2) == Checked(2)
    with pytest.raises(ValueError, match="negative"):
        evolve(Checked(1), n=-1)


def test_codes_are_the_same_remembered_or_not_and_memory_is_bounded() -> None:
    keys = [f"ch{n}" for n in range(CODES_KEPT + 10)] + [("offer", "ch1"), 7]
    assert [code(k) for k in keys] == [_code(k) for k in keys]
    assert [code(k) for k in keys] == [_code(k) for k in keys]  # now from memory
    assert len(_CODES) <= CODES_KEPT
    built = PMap({k: n for n, k in enumerate(keys[:100])})
    assert list(built) == list(PMap({k: n for n, k in enumerate(keys[:100])}))
