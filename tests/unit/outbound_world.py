"""A small simulated world around the pure core: customers, agents' phones and the
dialplan, answering the core's instructions as Asterisk and people would.

Rule 1: seeded. The world draws every choice from its own `random.Random(seed)`; with the
same seed it feeds the core the same inputs at the same instants, so two runs (in two
processes, under two hash seeds) must see the same effects in the same order.
Rule 2: event-driven. Pending world events sit in a heap by (time, sequence); before each
one the core gets a Tick for every deadline that came due, as the engine would.
Rule 3: faithful to the dialplan contract (dialplan/README.md), in short: an Originate
either rings and is answered by a person (OriginateEnded answered, then CallerQueued: the
call entered the campaign's queue), or by a machine, or ends busy, unanswered or failed
(OriginateEnded not answered, then the channel's hang-up with its cause); a ConnectCall
dials the agent's phone (DialStarted, PhoneRinging, then an answer after a drawn delay
unless the core withdrew the offer first: ReturnToQueue, SendCall or a hang-up cancel
the dial); talk ends with one side's hang-up request and both channels' hang-ups; the
agent ends wrap-up after a drawn delay. Inbound callers enter a queue too, and a few
customers ask to be put on the do-not-call list while the campaigns run.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count

from cti.domain.acd import AcdState, Decision, decide
from cti.domain.commands import (
    BlockNumbers,
    EndWrapUp,
    FeedContacts,
    LoadConfig,
    LogIn,
    RunCampaign,
)
from cti.domain.effects import (
    ConnectCall,
    Effect,
    HangUpChannel,
    OriginateCall,
    ReturnToQueue,
    SendCall,
    TargetKind,
)
from cti.domain.ids import AgentId, CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import (
    CallerQueued,
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    DialEnded,
    DialStarted,
    DialStatus,
    HangupRequested,
    Input,
    MachineAnswered,
    OriginateEnded,
    PhoneRinging,
    Resynced,
    Tick,
)
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.campaign import CampaignConfig, CampaignId
from cti.domain.outbound.contact import Contact, ContactId, ContactStatus
from cti.domain.outbound.pacing import DialMode, PacingConfig
from cti.domain.queue import WaitingCall
from cti.domain.records import AgentState
from tests.unit.acd_kit import agent, config, device, queue

NOON = Instant(1_699_963_200.0)  # inside every campaign's calling window
QUEUES = (QueueId("sales"), QueueId("renew"))
CAMPAIGNS = {
    CampaignId("spring"): (QueueId("sales"), DialMode.PROGRESSIVE),
    CampaignId("autumn"): (QueueId("renew"), DialMode.PREDICTIVE),
}
Action = Callable[[], None]


@dataclass
class World:
    """The core and everything around it (rules 1-3)."""

    seed: int
    agents: int = 6
    contacts: int = 40
    inbound: int = 10
    state: AcdState = field(default_factory=AcdState)
    now: Instant = NOON
    decisions: list[Decision] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    rng: random.Random = field(init=False)
    _heap: list[tuple[float, int, Action]] = field(default_factory=list)
    _seq: Iterator[int] = field(default_factory=count)
    _ringing: dict[ChannelId, int] = field(default_factory=dict)  # caller -> dial serial
    _legs: dict[ChannelId, ChannelId] = field(default_factory=dict)  # caller -> agent leg
    _talks: dict[ChannelId, ConnectCall] = field(default_factory=dict)  # caller -> its agent
    _serials: Iterator[int] = field(default_factory=count)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # Running --------------------------------------------------------------------------

    def run(self, until: float = 900.0) -> None:
        self._set_up()
        end = NOON + until
        while self._heap and self._heap[0][0] <= end:
            when, _, action = heapq.heappop(self._heap)
            self._tick_until(Instant(when))
            action()
        self._tick_until(Instant(end))

    def feed(self, event: Input) -> Decision:
        self.inputs.append(event)
        decision = decide(self.state, event, self.now)
        self.state = decision.state
        self.decisions.append(decision)
        for effect in decision.effects:
            self._react(effect)
        return decision

    def effects(self) -> list[Effect]:
        return [e for d in self.decisions for e in d.effects]

    def later(self, seconds: float, action: Action) -> None:
        heapq.heappush(self._heap, (self.now + seconds, next(self._seq), action))

    def _tick_until(self, when: Instant) -> None:
        while (deadline := self.state.next_deadline()) is not None and deadline <= when:
            self.now = Instant(max(self.now, deadline))
            self.feed(Tick(at=self.now))
        self.now = Instant(max(self.now, when))

    # Set-up ---------------------------------------------------------------------------

    def _set_up(self) -> None:
        names = [f"{1001 + n}" for n in range(self.agents)]
        profiles = [agent(a, {q: 0 for q in QUEUES}) for a in names]
        conf = config(
            [queue(q, ring_limit=2, ring_cadence=3.0, max_wrap_up=20) for q in QUEUES], profiles
        )
        self.feed(LoadConfig(at=self.now, config=conf))
        phones = tuple((device(a), DeviceState.NOT_IN_USE) for a in names)
        self.feed(Resynced(at=self.now, waiting=(), devices=phones))
        for name in names:
            self.feed(LogIn(at=self.now, agent=AgentId(name), device=device(name), address="sim"))
        for campaign, (queue_id, mode) in CAMPAIGNS.items():
            pacing = PacingConfig(mode=mode, abandon_cap_pct=20.0)
            conf_c = CampaignConfig(id=campaign, queue=queue_id, pacing=pacing)
            self.feed(RunCampaign(at=self.now, config=conf_c, window=AbandonWindow(length=86400)))
            self.feed(
                FeedContacts(at=self.now, campaign=campaign, contacts=self._contacts(campaign))
            )
        for n in range(self.inbound):
            self.later(self.rng.uniform(0, 600), lambda n=n: self._inbound(n))
        self.later(self.rng.uniform(5, 30), self._block_some)

    def _block_some(self) -> None:
        """A few customers ask not to be called (both campaigns hold their numbers)."""
        numbers = frozenset(f"+1555{n:07d}" for n in self.rng.sample(range(self.contacts), 8))
        self.feed(BlockNumbers(at=self.now, numbers=numbers))

    def _contacts(self, campaign: CampaignId) -> tuple[Contact, ...]:
        return tuple(
            Contact(
                id=ContactId(f"{campaign}-{n}"),
                campaign=campaign,
                number=f"+1555{n:07d}",
                timezone="UTC",
                status=ContactStatus.DIALLING,
            )
            for n in range(self.contacts)
        )

    def _inbound(self, n: int) -> None:
        channel = ChannelId(f"in-{n}")
        entry = WaitingCall(
            call=CallId(channel),
            channel=channel,
            queue=QUEUES[n % 2],
            priority=0,
            caller=f"+1444{n:07d}",
            entered_at=self.now,
        )
        self.feed(CallerQueued(at=self.now, entry=entry))
        self.later(self.rng.uniform(20, 200), lambda: self._caller_leaves(channel))

    # Reactions (rule 3) ---------------------------------------------------------------

    def _react(self, effect: Effect) -> None:
        match effect:
            case OriginateCall():
                self._originated(effect)
            case ConnectCall():
                self._connect(effect)
            case ReturnToQueue(channel=channel):
                self._cancel_dial(channel)
            case SendCall(channel=channel, kind=kind):
                self._cancel_dial(channel)
                if kind is TargetKind.ABANDON:
                    self.later(3.0, lambda: self._gone(channel, 16))
            case HangUpChannel(channel=channel):
                self.later(0.01, lambda: self._gone(channel, 16))
            case _:
                pass

    def _originated(self, call: OriginateCall) -> None:
        channel, fate = call.channel, self.rng.random()
        ring = self.rng.uniform(1.0, 12.0)
        if fate < 0.6:
            self.later(ring, lambda: self._person_answers(call))
        elif fate < 0.7:
            self.later(ring, lambda: self._machine(channel))
        elif fate < 0.85:
            self.later(ring, lambda: self._unanswered(channel, 0, 17))
        else:
            self.later(call.ring_timeout, lambda: self._unanswered(channel, 3, 19))

    def _person_answers(self, call: OriginateCall) -> None:
        self.feed(OriginateEnded(at=self.now, channel=call.channel, answered=True, reason=4))
        entry = WaitingCall(
            call=CallId(call.channel),
            channel=call.channel,
            queue=call.queue,
            priority=call.priority,
            caller=call.number,
            entered_at=self.now,
        )
        self.feed(CallerQueued(at=self.now, entry=entry))
        self.later(self.rng.uniform(1.0, 60.0), lambda: self._caller_leaves(call.channel))

    def _machine(self, channel: ChannelId) -> None:
        self.feed(OriginateEnded(at=self.now, channel=channel, answered=True, reason=4))
        self.feed(MachineAnswered(at=self.now, channel=channel, cause="INITIALSILENCE"))
        self._gone(channel, 16)

    def _unanswered(self, channel: ChannelId, reason: int, cause: int) -> None:
        self.feed(OriginateEnded(at=self.now, channel=channel, answered=False, reason=reason))
        self._gone(channel, cause)

    def _connect(self, connect: ConnectCall) -> None:
        caller, serial = connect.channel, next(self._serials)
        leg = ChannelId(f"{connect.device}-{serial}")
        self._ringing[caller], self._legs[caller] = serial, leg
        self.feed(
            DialStarted(at=self.now, channel=caller, agent_channel=leg, device=connect.device)
        )
        self.feed(PhoneRinging(at=self.now, channel=caller, agent_channel=leg))
        self.later(self.rng.uniform(0.2, 4.0), lambda: self._agent_answers(connect, serial))

    def _agent_answers(self, connect: ConnectCall, serial: int) -> None:
        caller = connect.channel
        if self._ringing.get(caller) != serial:
            return  # withdrawn meanwhile, or the caller left
        del self._ringing[caller]
        leg = self._legs[caller]
        self._talks[caller] = connect
        answer = DialEnded(at=self.now, channel=caller, agent_channel=leg, status=DialStatus.ANSWER)
        self.feed(answer)
        self._phone(connect, DeviceState.IN_USE)
        self.later(self.rng.uniform(5.0, 90.0), lambda: self._agent_hangs_up(caller, leg))

    def _agent_hangs_up(self, caller: ChannelId, leg: ChannelId) -> None:
        if self._legs.get(caller) == leg:  # else the caller hung up first
            self.feed(HangupRequested(at=self.now, channel=leg))
            self._end_talk(caller)

    def _caller_leaves(self, caller: ChannelId) -> None:
        if caller in self.state.callers or caller in self._legs:
            self.feed(HangupRequested(at=self.now, channel=caller))
            self._cancel_dial(caller)
            self._end_talk(caller)

    def _end_talk(self, caller: ChannelId) -> None:
        leg, connect = self._legs.pop(caller, None), self._talks.pop(caller, None)
        self._gone(caller, 16)
        if leg is None or connect is None:
            return
        self.feed(ChannelHungUp(at=self.now, channel=leg, cause=16))
        self._phone(connect, DeviceState.NOT_IN_USE)
        self.later(self.rng.uniform(1.0, 30.0), lambda: self._wrap_up_done(connect.agent))

    def _phone(self, connect: ConnectCall, state: DeviceState) -> None:
        self.feed(DeviceStateChanged(at=self.now, device=connect.device, state=state))

    def _wrap_up_done(self, name: AgentId) -> None:
        found = self.state.agents.get(name)
        if found is not None and found.state is AgentState.WRAP_UP:
            self.feed(EndWrapUp(at=self.now, agent=name, by=f"agent:{name}"))

    def _cancel_dial(self, caller: ChannelId) -> None:
        if self._ringing.pop(caller, None) is None:
            return
        leg = self._legs.pop(caller)
        self.feed(
            DialEnded(at=self.now, channel=caller, agent_channel=leg, status=DialStatus.CANCEL)
        )
        self.feed(ChannelHungUp(at=self.now, channel=leg, cause=16))

    def _gone(self, channel: ChannelId, cause: int) -> None:
        if channel in self.state.callers or channel in self.state.dials:
            self.feed(ChannelHungUp(at=self.now, channel=channel, cause=cause))
