"""The ring of one queue's arm slots (pre-armed routing, issue 17): where arms go.

A queue has `ring` slots (the dialplan's CTI_ARM_SLOTS), 1..ring, and a head: a caller
tries the slots in ring order from the head (dialplan cti-take), so the arm met first is
the one its ring position puts first from the head.
Rule 1 (order): the armed slots, read in ring order from the head, hold the wanted agents
in the wanted order (the queue's strategy for a caller entering now), with any empty or
disarming slots between them; a caller thus takes the best arm it can.
Rule 2 (no churn): an arm is kept where it is while its agent is still wanted and in
order; a wanted agent is armed in a free slot where the order allows (after the head for
the best, moving the head back onto it; between two arms; after the last). A take empties
a slot and the head moves on to the next arm, with nothing else disarmed: so a caller
right after a take finds the next arm already there.
Rule 3 (out of order): an arm no longer wanted, or out of order, is disarmed; when a
wanted agent has no free slot where the order puts it (a better agent came, and no slot
is free between), the arms after that place are disarmed, and it is armed once they are
gone.
Pure: `plan_ring` says what to do and `read_order` reads the order back (the property
tests hold them to rule 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cti.domain.ids import AgentId


@dataclass(frozen=True, slots=True)
class RingPlan:
    disarm: tuple[int, ...]  # slots of arms to disarm
    arm: tuple[tuple[int, AgentId], ...]  # (slot, agent) to arm
    head: int  # the head afterwards


@dataclass(frozen=True, slots=True)
class _Kept:
    at: int  # virtual index: ring order from the base slot, negative before it
    rank: int  # index in the wanted order


def plan_ring(
    ring: int,
    head: int,
    occupied: Mapping[int, tuple[AgentId, bool]],
    wanted: Sequence[AgentId],
) -> RingPlan:
    """`occupied`: slot -> (agent, armed) for every arm of the queue (armed False: being
    disarmed, a hole no caller can take). `wanted`: the agents to arm, best first (none
    of them armed in another queue)."""
    rank = {agent: n for n, agent in enumerate(wanted)}
    from_head = [_slot(ring, head, n) for n in range(ring)]
    disarm: list[int] = []
    firsts: list[tuple[int, int]] = []  # (slot, rank) of arms kept, in ring order
    last = -1
    for slot in from_head:
        agent, is_armed = occupied.get(slot, (AgentId(""), False))
        if not is_armed:
            continue
        place = rank.get(agent)
        if place is None or place <= last:
            disarm.append(slot)
        else:
            firsts.append((slot, place))
            last = place
    base = firsts[0][0] if firsts else head
    kept = [_Kept(_index(ring, base, slot), place) for slot, place in firsts]
    taken = set(occupied)
    held = {agent for agent, _ in occupied.values()}
    armed: list[tuple[int, AgentId]] = []
    for place, agent in enumerate(wanted):
        if agent in held:
            continue
        at = _room(ring, base, kept, place, taken)
        if at is None:
            later = [k for k in kept if k.rank > place]
            if not later:
                break  # no slot after the last arm: nothing lower fits either
            disarm += [_slot(ring, base, k.at) for k in later]  # rule 3
            kept = [k for k in kept if k.rank < place]
            continue
        kept = sorted([*kept, _Kept(at, place)], key=lambda k: k.at)
        slot = _slot(ring, base, at)
        taken.add(slot)
        armed.append((slot, agent))
    new_head = _slot(ring, base, kept[0].at) if kept else head
    return RingPlan(tuple(disarm), tuple(armed), new_head)


def _room(ring: int, base: int, kept: Sequence[_Kept], place: int, taken: set[int]) -> int | None:
    """Rule 2: the virtual index of a free slot where `place` keeps the order, or None."""
    before = [k.at for k in kept if k.rank < place]
    after = [k.at for k in kept if k.rank > place]
    if not kept:
        candidates = range(0, ring)
    elif before and after:
        candidates = range(max(before) + 1, min(after))
    elif after:  # before the first: back from it, not round onto the last
        candidates = range(min(after) - 1, max(k.at for k in kept) - ring, -1)
    else:  # after the last: on from it, not round onto the first
        candidates = range(max(before) + 1, min(k.at for k in kept) + ring)
    return next((at for at in candidates if _slot(ring, base, at) not in taken), None)


def _slot(ring: int, base: int, at: int) -> int:
    """The slot `at` steps from `base` in ring order (slots count from 1)."""
    return (base - 1 + at) % ring + 1


def _index(ring: int, base: int, slot: int) -> int:
    return (slot - base) % ring


def read_order(ring: int, head: int, armed: Mapping[int, AgentId]) -> list[AgentId]:
    """The agents a caller meets, in the order it meets them (cti-take's scan)."""
    return [armed[s] for s in (_slot(ring, head, n) for n in range(ring)) if s in armed]
