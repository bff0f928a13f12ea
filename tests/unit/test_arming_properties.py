"""Pre-armed routing's races, as properties (hypothesis; cti/domain/arming.py, issue 17).

The core runs against a model of Asterisk that does what the dialplan (cti-take, contract
v11) and AMI do, one atomic step at a time, in any interleaving hypothesis finds:
callers entering run cti-take's steps over the slot globals (the group's exclusion, the
phone's idle check, the intent written and the arm read again, the commit); the core's
instructions run in the order it gave them, a Disarm in its two steps (empty the slot,
read the intent); Asterisk's events reach the core in the order they happened; agents go
not ready, ready, log out and in whenever.
Actions' answers reach the core by a path of their own, so a Disarm's answer may overtake
an event that happened before it (a take's CtiArmTaken). Checked throughout and at the end:
- Asterisk never dials one phone for two callers at once, and an arm is taken once;
- the core never offers an agent two calls, and every offer's agent is OFFERED;
- every take becomes exactly one offer to that arm's agent, or the caller is sent back to
  the holding loop, and only when that agent had left AVAILABLE (a late take); no caller
  is lost (each is waiting, offered, or gone);
- callers meet a queue's arms (from its head, in ring order) in the strategy's order;
- once everything has been delivered, the core's arms are exactly Asterisk's: nothing
  stuck disarming or contested, no arm in Asterisk the core does not know.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cti.domain.arm import ArmPhase
from cti.domain.arm_ring import read_order
from cti.domain.commands import LogIn, LogOut, SetNotReady, SetReady
from cti.domain.config import NotReadyReason
from cti.domain.effects import (
    ArmHead,
    ArmOffer,
    ClearArms,
    ConnectCall,
    Disarm,
    Effect,
    Instruction,
    ReturnToQueue,
)
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.inputs import (
    ArmAborted,
    ArmDisarmed,
    ArmTaken,
    CallerQueued,
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    Input,
    Resynced,
)
from cti.domain.queue import WaitingCall
from cti.domain.records import AgentState
from cti.domain.routing import rank
from tests.unit.acd_kit import Acd, agent, config, device, queue

AGENTS = ("1001", "1002", "1003")
QUEUES = ("support", "sales")
SLOTS = 3  # the dialplan's ring of slots per queue; two are armed (ARMED)
ARMED = 2
Slot = tuple[str, int]


@dataclass
class Asterisk:
    """The slot globals, the phones being dialled, and what is in flight both ways."""

    arms: dict[Slot, str] = field(default_factory=dict)  # `<token>^<device>`
    heads: dict[str, int] = field(default_factory=dict)  # queue -> the slot tried first
    intents: dict[Slot, tuple[str, str]] = field(default_factory=dict)
    groups: dict[Slot, set[str]] = field(default_factory=dict)
    dialling: dict[str, str] = field(default_factory=dict)  # device -> caller channel
    events: deque[Input] = field(default_factory=deque)  # to the core, in order
    # Actions' answers reach the core by another path than events (AMI writes a response
    # at once; an event made earlier by a channel's thread may still be queued), so an
    # answer may overtake events that happened before it.
    answers: deque[Input] = field(default_factory=deque)
    steps: deque[Generator[None]] = field(default_factory=deque)  # the core's, in order
    takers: dict[str, Generator[None]] = field(default_factory=dict)
    taken: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> caller, phone
    gone: set[str] = field(default_factory=set)
    now: float = 0.0

    def event(self, made: Input) -> None:
        self.events.append(made)

    def dial(self, device_id: str, channel: str) -> None:
        assert device_id not in self.dialling, f"{device_id} dialled for two callers"
        self.end_dial(channel)
        self.dialling[device_id] = channel
        self.event(DeviceStateChanged(at=self._at(), device=DeviceId(device_id), state=RINGING))

    def end_dial(self, channel: str) -> None:
        for device_id, caller in list(self.dialling.items()):
            if caller == channel:
                del self.dialling[device_id]
                self.event(
                    DeviceStateChanged(at=self._at(), device=DeviceId(device_id), state=IDLE)
                )

    def _at(self) -> Instant:
        return Instant(self.now)


RINGING, IDLE = DeviceState.RINGING, DeviceState.NOT_IN_USE


def taker(ast: Asterisk, channel: str, q: str) -> Generator[None]:
    """cti-queue and cti-take, one atomic step per yield."""
    entry = WaitingCall(
        call=CallId(channel),
        channel=ChannelId(channel),
        queue=QueueId(q),
        priority=0,
        caller="",
        entered_at=Instant(ast.now),
    )
    head = ast.heads.get(q, 1)  # read once, as cti-take reads CTI_ARM_HEAD_<q>
    for n in range(SLOTS):
        k = (head - 1 + n) % SLOTS + 1
        slot = (q, k)
        if not ast.arms.get(slot):
            continue
        yield
        group = ast.groups.setdefault(slot, set())
        group.add(channel)
        yield
        if len(group) > 1:
            group.discard(channel)
            continue
        seen = ast.arms.get(slot, "")
        token, _, phone = seen.partition("^")
        if not seen or phone in ast.dialling:  # gone, or the phone is not idle
            group.discard(channel)
            continue
        yield
        ast.intents[slot] = (token, channel)
        yield
        if ast.arms.get(slot, "") != seen:
            group.discard(channel)
            ast.event(
                ArmAborted(
                    at=entry.entered_at,
                    queue=QueueId(q),
                    slot=k,
                    token=token,
                    channel=ChannelId(channel),
                )
            )
            continue
        ast.arms[slot] = ""
        group.discard(channel)
        assert token not in ast.taken, f"arm {token} taken twice"
        ast.taken[token] = (channel, phone)
        ast.event(ArmTaken(at=entry.entered_at, queue=QueueId(q), slot=k, token=token, entry=entry))
        ast.dial(phone, channel)
        return
    ast.event(CallerQueued(at=entry.entered_at, entry=entry))


def perform(ast: Asterisk, effect: Effect) -> Generator[None]:
    """One instruction of the core, its AMI actions one step each."""
    match effect:
        case ArmOffer():
            ast.arms[(effect.queue, effect.slot)] = f"{effect.token}^{effect.device}"
        case Disarm():
            slot = (effect.queue, effect.slot)
            ast.arms[slot] = ""
            yield
            token, taker_channel = ast.intents.get(slot, ("", ""))
            ast.answers.append(
                ArmDisarmed(
                    at=Instant(ast.now),
                    queue=effect.queue,
                    slot=effect.slot,
                    token=effect.token,
                    intent=token,
                    taker=ChannelId(taker_channel) if taker_channel else None,
                )
            )
        case ClearArms():
            for q in effect.queues:
                for k in range(1, effect.slots + 1):
                    ast.arms[(q, k)] = ""
                ast.heads[q] = 1
        case ArmHead():
            ast.heads[effect.queue] = effect.slot
        case ConnectCall() if effect.channel not in ast.gone:
            ast.dial(effect.device, effect.channel)
        case ReturnToQueue():
            ast.end_dial(effect.channel)
        case _:
            pass
    return
    yield


def _acd() -> Acd:
    acd = Acd()
    profiles = [
        agent(a, {"support": 0, "sales": 0} if a != "1003" else {"sales": 0}) for a in AGENTS
    ]
    queues = [queue(q, ring_limit=3, ring_cadence=5.0) for q in QUEUES]
    acd.load(config(queues, profiles, [NotReadyReason(code="break")]))
    acd.log_in(*AGENTS)
    acd.feed(Resynced(at=acd.now, waiting=(), arm_slots=ARMED, dialplan_slots=SLOTS))
    return acd


ops = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.sampled_from(QUEUES)),
        st.tuples(st.just("take"), st.integers(0, 5)),
        st.tuples(st.just("server"), st.just(0)),
        st.tuples(st.just("deliver"), st.integers(1, 3)),
        st.tuples(st.just("answer"), st.just(0)),
        st.tuples(st.just("not_ready"), st.sampled_from(AGENTS)),
        st.tuples(st.just("ready"), st.sampled_from(AGENTS)),
        st.tuples(st.just("logout"), st.sampled_from(AGENTS)),
        st.tuples(st.just("login"), st.sampled_from(AGENTS)),
        st.tuples(st.just("hangup"), st.integers(0, 9)),
    ),
    min_size=1,
    max_size=80,
)


class World:
    def __init__(self) -> None:
        self.acd = _acd()
        self.ast = Asterisk()
        self.callers: list[str] = []
        self.returned: set[str] = set()
        self.contested = self.aborted = self.overtaken = 0  # the races met
        self.armed: dict[str, AgentId] = {}  # every token armed -> its agent
        self._queue_effects(self.acd.effects)

    def _queue_effects(self, effects: list[Effect] | tuple[Effect, ...]) -> None:
        for effect in effects:
            if isinstance(effect, ReturnToQueue):
                self.returned.add(effect.channel)
            if isinstance(effect, ArmOffer):
                self.armed[effect.token] = effect.agent
            if isinstance(effect, Instruction):  # notifications are not Asterisk's to run
                self.ast.steps.append(perform(self.ast, effect))

    def feed(self, made: Input) -> None:
        if isinstance(made, ArmDisarmed):
            arm = self.acd.state.arms.get((made.queue, made.slot))
            if arm is not None and made.intent == arm.token:
                self.contested += 1
                # The answer overtook the take's own word, still on its way.
                self.overtaken += any(
                    isinstance(e, ArmTaken) and e.token == arm.token for e in self.ast.events
                )
        self.aborted += isinstance(made, ArmAborted)
        self.ast.now += 0.001
        self.acd.now = Instant(max(self.acd.now, made.at, self.ast.now))
        was_free = isinstance(made, ArmTaken) and self._free(made.token)
        decision = self.acd.feed(made)
        self._queue_effects(decision.effects)
        self.check()
        if isinstance(made, ArmTaken):
            offer = self.acd.state.offers.get(made.entry.channel)
            if offer is None or offer.agent != self.armed.get(made.token):
                # Late (rule 4): sent back, or, in the same decision, offered to another
                # agent (whose ConnectCall's redirect ends the dial, as ReturnToQueue would).
                self.returned.add(made.entry.channel)
            # A take of this run's arm whose agent was still available is that agent's
            # offer, never a caller sent back (arming rule 4: only late takes are).
            assert not was_free or made.entry.channel not in self.returned, made

    def _free(self, token: str) -> bool:
        name = self.armed.get(token)
        if name is None or name not in self.acd.state.agents:
            return False
        return self.acd.state.agents[name].state is AgentState.AVAILABLE

    def run(self, op: tuple[str, object]) -> None:
        kind, arg = op
        at = Instant(max(self.acd.now, self.ast.now))
        match kind:
            case "arrive":
                channel = f"c{len(self.callers)}"
                self.callers.append(channel)
                self.ast.takers[channel] = taker(self.ast, channel, str(arg))
            case "take" if self.ast.takers:
                names = sorted(self.ast.takers)
                self._step_taker(names[int(str(arg)) % len(names)])
            case "server" if self.ast.steps:
                self._step_server()
            case "deliver":
                for _ in range(int(str(arg))):
                    if self.ast.events:
                        self.feed(self.ast.events.popleft())
            case "answer" if self.ast.answers:
                self.feed(self.ast.answers.popleft())
            case "not_ready":
                self.feed(SetNotReady(at=at, agent=AgentId(str(arg)), reason="break", by="agent:x"))
            case "ready":
                self.feed(SetReady(at=at, agent=AgentId(str(arg))))
            case "logout":
                self.feed(LogOut(at=at, agent=AgentId(str(arg)), by="agent:x"))
            case "login":
                name = str(arg)
                self.feed(LogIn(at=at, agent=AgentId(name), device=device(name), address="a"))
            case "hangup" if self.callers:
                channel = self.callers[int(str(arg)) % len(self.callers)]
                if channel not in self.ast.gone and channel not in self.ast.takers:
                    self.ast.gone.add(channel)
                    self.ast.end_dial(channel)
                    self.ast.event(ChannelHungUp(at=at, channel=ChannelId(channel), cause=16))
            case _:
                pass

    def _step_taker(self, name: str) -> None:
        try:
            next(self.ast.takers[name])
        except StopIteration:
            del self.ast.takers[name]

    def _step_server(self) -> None:
        try:
            next(self.ast.steps[0])
        except StopIteration:
            self.ast.steps.popleft()

    def drain(self) -> None:
        """Everything in flight runs to its end and is delivered."""
        while self.ast.takers or self.ast.steps or self.ast.events or self.ast.answers:
            for name in sorted(self.ast.takers):
                self._step_taker(name)
            if self.ast.steps:
                self._step_server()
            while self.ast.answers:
                self.feed(self.ast.answers.popleft())
            while self.ast.events:
                self.feed(self.ast.events.popleft())

    def check(self) -> None:
        state = self.acd.state
        offered = [offer.agent for offer in state.offers.values()]
        assert len(offered) == len(set(offered)), f"an agent offered twice: {offered}"
        for offer in state.offers.values():
            assert state.agents[offer.agent].state is AgentState.OFFERED
        in_arms = [arm.agent for arm in state.arms.values()]
        assert len(in_arms) == len(set(in_arms)), f"an agent armed twice: {in_arms}"
        for q in QUEUES:  # callers meet the arms in the strategy's order (arm_ring.py)
            queue_config = state.config.queues[QueueId(q)]
            armed = {
                k: arm.agent
                for (qq, k), arm in state.arms.items()
                if qq == q and arm.phase is ArmPhase.ARMED
            }
            met = read_order(state.arm_ring, state.arm_heads.get(QueueId(q)) or 1, armed)
            entering = WaitingCall(
                call=CallId(""),
                channel=ChannelId(""),
                queue=QueueId(q),
                priority=0,
                caller="",
                entered_at=self.acd.now,
            )
            keys = [
                rank(state.agents[a], state.config.agents[a], queue_config, entering, self.acd.now)
                for a in met
            ]
            assert keys == sorted(keys), f"{q}'s arms out of order: {met}"

    def check_end(self) -> None:
        state = self.acd.state
        for token, (channel, phone) in self.ast.taken.items():
            if channel in self.ast.gone or channel in self.returned:
                continue  # sent back to wait (a late take), or hung up
            offer = state.offers.get(ChannelId(channel))
            assert offer is not None and offer.device == phone, (token, channel, offer)
        for channel in self.callers:
            if channel in self.ast.gone:
                continue
            known = ChannelId(channel) in state.offers or state.waiting.get(ChannelId(channel))
            assert known, f"caller {channel} lost"
        for arm in state.arms.values():
            assert arm.phase is ArmPhase.ARMED, arm
            assert self.ast.arms.get(arm.key, "").partition("^")[0] == arm.token, arm
        known = {arm.token for arm in state.arms.values()}
        for slot, value in self.ast.arms.items():
            assert not value or value.partition("^")[0] in known, (slot, value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_arms_takes_and_disarms_in_any_interleaving(script: list[tuple[str, object]]) -> None:
    world = World()
    for op in script:
        world.run(op)
    world.drain()
    world.check_end()


def test_the_model_takes_an_arm_and_the_core_offers_it() -> None:
    """The model itself works: an arrival with everything delivered takes slot 1."""
    world = World()
    world.drain()
    world.run(("arrive", "support"))
    world.drain()
    offer = world.acd.state.offers[ChannelId("c0")]
    assert list(world.ast.taken.values()) == [("c0", str(device(offer.agent)))]
    assert world.ast.dialling[str(device(offer.agent))] == "c0"


WALK: tuple[str, ...] = (
    "arrive",
    "take",
    "take",
    "take",
    "server",
    "server",
    "deliver",
    "deliver",
    "answer",
    "not_ready",
    "ready",
    "logout",
    "login",
    "hangup",
)


def test_seeded_walks_meet_every_race_and_keep_every_rule() -> None:
    """300 seeded random walks of 80 steps: the same checks, and each race is met (a
    disarm reading a caller's intent, its answer overtaking the take's word, a caller
    aborting, a late take sent back)."""
    seen = dict.fromkeys(("contested", "overtaken", "aborted", "late", "taken"), 0)
    for seed in range(300):
        rng = random.Random(seed)
        world = World()
        for _ in range(80):
            kind = rng.choice(WALK)
            arg: object = {
                "arrive": rng.choice(QUEUES),
                "take": rng.randint(0, 5),
                "server": 0,
                "deliver": rng.randint(1, 3),
                "answer": 0,
                "hangup": rng.randint(0, 9),
            }.get(kind, rng.choice(AGENTS))
            world.run((kind, arg))
        world.drain()
        world.check_end()
        seen["contested"] += world.contested
        seen["overtaken"] += world.overtaken
        seen["aborted"] += world.aborted
        seen["late"] += len(world.returned)
        seen["taken"] += len(world.ast.taken)
    assert all(count > 3 for count in seen.values()), seen
