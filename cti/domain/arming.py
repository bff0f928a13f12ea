"""Pre-armed routing (issue 17, C2): offers armed in Asterisk before the caller comes.

Rule 1 (when): while a queue has nobody waiting without an offer, no callback keeping a
place in it and no running campaign dialling for it, the core keeps up to `arm_slots`
offers armed for it, each to an available agent whose phone is rung for each call (not a
nailed-up line) and idle, in the queue's strategy order for a caller entering now: every
queue's best before any queue's second. The arms sit in the queue's ring of slots
(`arm_ring`, the dialplan's CTI_ARM_SLOTS), placed so that a caller trying the slots
from the queue's head meets them in that order (cti/domain/arm_ring.py: a take moves the
head on and empties nothing else). An agent is armed in at most one slot of one queue,
and not while any of its queues has such a caller waiting: it is wanted there. A slot is
armed only once the arm it held is gone (rule 5). Arms are made only while the AMI link
is up and resynced.
Rule 2 (take): a caller entering the queue takes an arm atomically in the dialplan
(cti-take, contract v11), checks there that the phone is idle, and dials at once; the
core hears CtiArmTaken (ArmTaken): the caller queued and its offer begun, in one. From
then it is an ordinary offer: rings counted from the first ring, the N-ring limit, its
outcome and records.
Rule 3 (disarm): an ARMED arm that rule 1 no longer allows (its agent's state, phone,
queues or line changed, a caller waits in one of its queues, the queue's settings
changed, or rule 1 wants another agent in its slot: a better one became available, so
the slots keep the strategy's order) is disarmed: one instruction empties the slot and
then reads the taker's intent (Disarm); its answer is an input (ArmDisarmed). An intent
other than the arm's token is final: the arm is gone and the agent free. The token means
a caller was committing to it (dialplan cti-take's Dekker handshake): the core waits for
that caller's word (ArmTaken or ArmAborted), or its hang-up, before the slot and the
agent are free. While an arm exists, in any phase, dispatch does not offer its agent
(dispatch rule 6).
Rule 4 (late take): a take whose agent has left AVAILABLE by the time the core hears it
(a not-ready, a logout, a consultation or reservation made while the disarm was on its
way), or whose token the core does not know (an arm of an earlier run), is not an
offer: the caller is queued with its place and sent back to the holding loop, which
ends its dial, and is routed from there like any caller. So an agent is never offered
twice and no caller is lost.
Rule 5 (tokens): a token names one arm of one slot (cti/domain/arm.py rule 1), and a slot
holds one arm until it is gone, so every word from Asterisk names the arm it is about.
Rule 6 (resync, failures): every resync clears every slot in Asterisk (ClearArms) and
forgets the arms. With the link down, Asterisk keeps them and a caller may take one: its
agent was available when armed and its phone is checked idle at the take, so an armed
offer is either gone or still valid. An ArmOffer or Disarm that Asterisk did not confirm
(ArmUnsure) is disarmed again after ARM_RETRY seconds.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from cti.domain.agent import Agent
from cti.domain.arm import Arm, ArmKey, ArmOutcome, ArmPhase, ArmTrigger, arm_token
from cti.domain.arm_ring import plan_ring
from cti.domain.config import AgentProfile, QueueConfig
from cti.domain.dispatch import auto_answer, begin_offer, kept_places, reachable
from cti.domain.effects import (
    ArmEnded,
    ArmHead,
    ArmOffer,
    ClearArms,
    Disarm,
    Ignored,
    OfferMade,
    ReturnToQueue,
)
from cti.domain.ids import AgentId, CallId, ChannelId, QueueId
from cti.domain.inputs import ArmAborted, ArmDisarmed, ArmTaken, ArmUnsure, CallerQueued, Resynced
from cti.domain.nailed import rung_instead
from cti.domain.offer import GUARD_MARGIN, SETUP_ALLOWANCE
from cti.domain.queue import WaitingCall
from cti.domain.recording import recording_file
from cti.domain.records import AgentState
from cti.domain.routing import rank
from cti.domain.state import TimerKind
from cti.domain.telephony import on_caller_queued
from cti.domain.work import Work

ARM_RETRY: Final = 1.0  # seconds before an arm Asterisk did not confirm is disarmed again


# Keeping arms (after every input) -----------------------------------------------------


def keep_arms(work: Work) -> None:
    """Rules 1 and 3."""
    if not work.telephony_up:  # rule 6: the next resync clears whatever Asterisk holds
        return
    if not work.arms and not (work.available and work.arm_slots):
        return
    if not _changed(work):
        return
    busy = _busy_queues(work)
    wanted = _wanted(work, busy) if work.arm_slots and work.available else {}
    for arm in list(work.arms.values()):
        if arm.phase is ArmPhase.ARMED and not _still_right(work, arm, busy):
            disarm(work, arm)
    queues = sorted({arm.queue for arm in work.arms.values()} | set(wanted))
    for queue_id in queues:
        _keep_ring(work, queue_id, wanted.get(queue_id, []))


def _keep_ring(work: Work, queue_id: QueueId, wanted: list[AgentId]) -> None:
    """Rules 1 and 3 in one queue's ring of slots (cti/domain/arm_ring.py): keep what is
    in order, disarm what is not, arm the wanted agents no arm holds yet."""
    mine = [arm for arm in work.arms.values() if arm.queue == queue_id]
    elsewhere = {arm.agent for arm in work.arms.values() if arm.queue != queue_id}
    free = [a for a in wanted if a not in elsewhere]  # one arm per agent, whatever its queue
    occupied = {arm.slot: (arm.agent, arm.phase is ArmPhase.ARMED) for arm in mine}
    head = work.arm_heads.get(queue_id) or 1
    plan = plan_ring(work.arm_ring, head, occupied, free)
    for slot in plan.disarm:
        disarm(work, work.arms[(queue_id, slot)])
    for slot, agent_id in plan.arm:
        _arm(work, work.config.queues[queue_id], slot, work.agents[agent_id])
    if plan.head != head:
        work.arm_heads[queue_id] = plan.head
        work.emit(ArmHead(queue=queue_id, slot=plan.head))


def _changed(work: Work) -> bool:
    return (
        work.telephony_up is not work.base.telephony_up
        or work.waiting is not work.base.waiting
        or work.arm_slots != work.base.arm_slots
        or work.changed("config", "agents", "devices", "offers", "campaigns", "lines", "arms")
    )


def _busy_queues(work: Work) -> set[QueueId]:
    """The queues rule 1 does not arm: a caller waits without an offer, a callback keeps
    a place, or a running campaign dials for it."""
    busy = {call.queue for call in work.waiting if call.channel not in work.offers}
    if work.campaigns:
        busy |= {c.config.queue for c in work.campaigns.values() if c.running}
        busy |= set(kept_places(work))
    return busy


def _armable(work: Work, agent: Agent, profile: AgentProfile, busy: set[QueueId]) -> bool:
    if agent.state is not AgentState.AVAILABLE or any(q in busy for q in profile.queues):
        return False
    return rung_instead(work, agent) and reachable(work, agent)


def _still_right(work: Work, arm: Arm, busy: set[QueueId]) -> bool:
    agent = work.agents.get(arm.agent)
    profile = work.config.agents.get(arm.agent)
    queue = work.config.queues.get(arm.queue)
    if agent is None or profile is None or queue is None or arm.queue not in profile.queues:
        return False
    if arm.slot > work.arm_ring or agent.device != arm.device:
        return False
    if not _armable(work, agent, profile, busy):
        return False
    return (arm.ring_guard, arm.auto_answer) == _dial_of(work, agent, queue) and (
        arm.recording is not None
    ) is queue.record


def _dial_of(work: Work, agent: Agent, queue: QueueConfig) -> tuple[float, bool]:
    """What the taker's dial needs: Asterisk's dial timeout (offer.py rule 3) and the
    auto-answer headers."""
    guard = SETUP_ALLOWANCE + queue.ring_limit * queue.ring_cadence + GUARD_MARGIN
    return guard, auto_answer(work, agent)


def _wanted(work: Work, busy: set[QueueId]) -> dict[QueueId, list[AgentId]]:
    """Rule 1's arms as they should be now, per queue best first: round by round across
    the queues (in id order), every queue's best before any queue's second, each the best
    agent left for it; an agent whose arm is being disarmed is not available yet."""
    taken = {arm.agent for arm in work.arms.values() if arm.phase is not ArmPhase.ARMED}
    queues = [work.config.queues[q] for q in sorted(work.config.queues) if q not in busy]
    ranked = {queue.id: _ranked(work, queue, taken, busy) for queue in queues}
    wanted: dict[QueueId, list[AgentId]] = {}
    for _ in range(work.arm_slots):
        for queue in queues:
            best = next((a for a in ranked[queue.id] if a.id not in taken), None)
            if best is not None:
                wanted.setdefault(queue.id, []).append(best.id)
                taken.add(best.id)
    return wanted


def _ranked(work: Work, queue: QueueConfig, taken: set[AgentId], busy: set[QueueId]) -> list[Agent]:
    """The agents rule 1 allows for the queue, best first for a caller entering now."""
    entering = WaitingCall(
        call=CallId(""),
        channel=ChannelId(""),
        queue=queue.id,
        priority=0,
        caller="",
        entered_at=work.at,
    )
    keyed = []
    for agent_id in sorted(work.available):
        agent = work.agents.get(agent_id)
        profile = work.config.agents.get(agent_id)
        if agent is None or profile is None or agent_id in taken:
            continue
        if queue.id not in profile.queues or not _armable(work, agent, profile, busy):
            continue
        key = rank(agent, profile, queue, entering, work.at)
        if key is not None:
            keyed.append((key, agent))
    return [agent for _, agent in sorted(keyed, key=lambda pair: pair[0])]


def _arm(work: Work, queue: QueueConfig, slot: int, agent: Agent) -> None:
    work.armed += 1
    token = arm_token(work.at, work.armed)
    guard, auto = _dial_of(work, agent, queue)
    # recording.py rule 2, for a call not known yet: the arm's token stands for it.
    recording = recording_file(CallId(f"arm-{token}"), work.at) if queue.record else None
    arm = Arm(
        queue=queue.id,
        slot=slot,
        token=token,
        agent=agent.id,
        device=agent.device,
        armed_at=work.at,
        ring_guard=guard,
        auto_answer=auto,
        recording=recording,
    )
    work.arms[arm.key] = arm
    work.emit(
        ArmOffer(
            queue=queue.id,
            slot=slot,
            token=token,
            agent=agent.id,
            device=agent.device,
            ring_guard=guard,
            auto_answer=auto,
            recording=recording,
        )
    )


def disarm(work: Work, arm: Arm) -> None:
    """Rule 3: empty the slot and read the intent; the answer decides."""
    work.arms[arm.key] = replace(arm.fire(ArmTrigger.DISARM), heard=arm.heard)
    work.set_timer(TimerKind.ARM, arm.timer, None)
    work.emit(Disarm(queue=arm.queue, slot=arm.slot, token=arm.token))


def _gone(work: Work, arm: Arm, outcome: ArmOutcome = ArmOutcome.WITHDRAWN) -> None:
    """The arm is over: its slot and its agent are free; its ending is told once (a take
    heard while disarming was told when heard)."""
    work.arms.pop(arm.key)
    work.set_timer(TimerKind.ARM, arm.timer, None)
    if not arm.taken:
        _ended(work, arm.queue, outcome)


def _ended(work: Work, queue: QueueId, outcome: ArmOutcome) -> None:
    work.emit(ArmEnded(queue=queue, outcome=outcome, at=work.at))


def _ours(work: Work, key: ArmKey, token: str) -> Arm | None:
    arm = work.arms.get(key)
    if arm is None or arm.token != token:
        work.notes.append(Ignored(reason=f"no arm {token} in {key[0]} slot {key[1]}"))
        return None
    return arm


# Asterisk's words --------------------------------------------------------------------


def on_taken(work: Work, event: ArmTaken) -> None:
    """Rules 2 and 4."""
    arm = work.arms.get((event.queue, event.slot))
    if arm is None or arm.token != event.token:
        arm = None
    else:  # told here: the disarm's answer, if one is to come, only frees the slot
        arm = replace(arm, heard=arm.phase is ArmPhase.DISARMING, taken=True)
        work.arms[arm.key] = arm
        if arm.phase is not ArmPhase.DISARMING:
            _gone(work, arm)
    offered = _honour(work, event, arm)
    _ended(work, event.queue, ArmOutcome.TAKEN if offered else ArmOutcome.LATE)


def _honour(work: Work, event: ArmTaken, arm: Arm | None) -> bool:
    """The take as the caller queued and, unless it is late (rule 4), its offer begun."""
    call = event.entry
    if call.channel in work.gone:
        work.notes.append(Ignored(reason=f"take by {call.channel}, already hung up"))
        return False
    on_caller_queued(work, CallerQueued(at=event.at, entry=call))
    waiting = work.waiting.get(call.channel)
    agent = work.agents.get(arm.agent) if arm is not None else None
    if waiting is None or call.channel in work.offers:
        return False
    if agent is None or agent.state is not AgentState.AVAILABLE or arm is None:
        # Rule 4: the caller's dial is ended by sending it back; it waits with its place.
        work.emit(ReturnToQueue(channel=call.channel, queue=call.queue))
        return False
    queue = work.config.queue(waiting.queue)
    begin_offer(work, waiting, agent, queue, recording=arm.recording or "")
    work.emit(OfferMade(agent=agent.id, call=waiting, at=work.at))
    return True


def on_aborted(work: Work, event: ArmAborted) -> None:
    arm = _ours(work, (event.queue, event.slot), event.token)
    if arm is None:
        return
    if arm.phase is ArmPhase.CONTESTED:
        _gone(work, arm)
    elif arm.phase is ArmPhase.DISARMING:
        work.arms[arm.key] = replace(arm, heard=True)
    else:
        work.notes.append(Ignored(reason=f"arm {arm.token} aborted while still armed"))


def on_disarmed(work: Work, event: ArmDisarmed) -> None:
    arm = _ours(work, (event.queue, event.slot), event.token)
    if arm is None:
        return
    if arm.phase is not ArmPhase.DISARMING:
        return work.notes.append(Ignored(reason=f"disarm answer for {arm.token} in {arm.phase}"))
    taker = event.taker
    if event.intent != arm.token or arm.heard or (taker is not None and taker in work.gone):
        _gone(work, arm)
    else:
        work.arms[arm.key] = arm.fire(ArmTrigger.CONTEST, taker)


def on_unsure(work: Work, event: ArmUnsure) -> None:
    """Rule 6: what the slot holds is not known; it is disarmed again after a pause."""
    arm = _ours(work, (event.queue, event.slot), event.token)
    if arm is None or arm.phase is ArmPhase.CONTESTED:
        return
    if arm.phase is ArmPhase.ARMED:
        arm = arm.fire(ArmTrigger.DISARM)
        work.arms[arm.key] = arm
    work.set_timer(TimerKind.ARM, arm.timer, work.at + ARM_RETRY)


def on_retry_due(work: Work, timer: str) -> None:
    work.set_timer(TimerKind.ARM, timer, None)
    queue, _, slot = timer.rpartition("/")
    arm = work.arms.get((QueueId(queue), int(slot)))
    if arm is not None and arm.phase is ArmPhase.DISARMING and work.telephony_up:
        disarm(work, arm)


def on_hung_up(work: Work, channel: ChannelId) -> None:
    """Rule 3: a contested arm whose taker hung up before its word is gone (the dialplan
    stops between steps on a hang-up; the take, if committed, was never dialled)."""
    for arm in list(work.arms.values()):
        if arm.phase is ArmPhase.CONTESTED and arm.taker == channel:
            _gone(work, arm)


def on_resynced(work: Work, event: Resynced) -> None:
    """Rule 6."""
    queues = set(work.config.queues) | {arm.queue for arm in work.arms.values()}
    for arm in list(work.arms.values()):
        _gone(work, arm, ArmOutcome.CLEARED)
    for queue_id in list(work.arm_heads):  # ClearArms puts every head back on slot 1
        work.arm_heads.pop(queue_id)
    work.arm_slots = event.arm_slots
    work.arm_ring = event.dialplan_slots
    slots = max(event.dialplan_slots, event.arm_slots)
    if slots and queues:
        work.emit(ClearArms(queues=tuple(sorted(queues)), slots=slots))
