"""The ring of a queue's arm slots (cti/domain/arm_ring.py): order kept, no churn."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cti.domain.arm_ring import plan_ring, read_order
from cti.domain.ids import AgentId

AGENTS = [AgentId(f"a{n}") for n in range(6)]


def applied(
    ring: int, head: int, occupied: dict[int, tuple[AgentId, bool]], wanted: list[AgentId]
) -> tuple[list[AgentId], int, tuple[int, ...]]:
    """What callers meet after the plan, its head, and what it disarmed."""
    plan = plan_ring(ring, head, occupied, wanted)
    armed = {s: a for s, (a, on) in occupied.items() if on and s not in plan.disarm}
    assert not set(plan.disarm) - {s for s, (_, on) in occupied.items() if on}
    for slot, agent in plan.arm:
        assert slot not in occupied and slot not in armed, "armed in a slot in use"
        armed[slot] = agent
    assert 1 <= plan.head <= ring
    return read_order(ring, plan.head, armed), plan.head, plan.disarm


@st.composite
def rings(draw: st.DrawFn) -> tuple[int, int, dict[int, tuple[AgentId, bool]], list[AgentId]]:
    ring = draw(st.integers(1, 6))
    head = draw(st.integers(1, ring))
    agents = draw(st.permutations(AGENTS))
    slots = draw(st.lists(st.integers(1, ring), unique=True, max_size=ring))
    occupied = {s: (agents[n], draw(st.booleans())) for n, s in enumerate(slots)}
    held = {a for a, on in occupied.values() if not on}
    wanted = [a for a in draw(st.permutations(AGENTS))[: draw(st.integers(0, 4))] if a not in held]
    return ring, head, occupied, wanted


@given(rings())
def test_callers_always_meet_the_wanted_agents_in_the_wanted_order(
    case: tuple[int, int, dict[int, tuple[AgentId, bool]], list[AgentId]],
) -> None:
    ring, head, occupied, wanted = case
    met, _, _ = applied(ring, head, occupied, wanted)
    assert all(a in wanted for a in met), "an agent not wanted is still armed"
    ranks = [wanted.index(a) for a in met]
    assert ranks == sorted(ranks), (met, wanted)
    assert len(met) == len(set(met))


@given(st.integers(3, 6), st.integers(1, 6), st.integers(1, 3))
def test_a_take_disarms_nothing_and_the_next_arm_is_met_first(
    ring: int, head: int, armed: int
) -> None:
    """The first arm was taken: the rest stay, the head moves onto the next, and the
    agent next in line is armed after the last."""
    head = (head - 1) % ring + 1
    armed = min(armed, ring - 1)
    slots = [(head - 1 + n) % ring + 1 for n in range(1, armed + 1)]  # the head's was taken
    occupied = {s: (AGENTS[n], True) for n, s in enumerate(slots)}
    met, new_head, disarmed = applied(ring, head, occupied, AGENTS[: armed + 1])
    assert disarmed == ()
    assert new_head == slots[0]
    assert met == AGENTS[: armed + 1]


def test_a_better_agent_goes_ahead_of_the_head_and_a_worse_one_after_the_last() -> None:
    occupied = {2: (AGENTS[1], True)}
    met, head, disarmed = applied(4, 2, occupied, [AGENTS[0], AGENTS[1], AGENTS[2]])
    assert (met, head, disarmed) == ([AGENTS[0], AGENTS[1], AGENTS[2]], 1, ())


def test_with_no_slot_between_the_arms_after_the_place_are_disarmed() -> None:
    occupied = {1: (AGENTS[0], True), 2: (AGENTS[2], True)}
    plan = plan_ring(2, 1, occupied, [AGENTS[0], AGENTS[1], AGENTS[2]])
    assert plan.disarm == (2,) and plan.arm == () and plan.head == 1


def test_a_slot_being_disarmed_is_a_hole_callers_pass() -> None:
    occupied = {1: (AGENTS[5], False), 2: (AGENTS[0], True)}
    met, head, disarmed = applied(3, 1, occupied, [AGENTS[0], AGENTS[1]])
    assert (met, head, disarmed) == ([AGENTS[0], AGENTS[1]], 2, ())
