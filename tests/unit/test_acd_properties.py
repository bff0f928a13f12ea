"""Properties of the inbound core under arbitrary event orders (hypothesis).

An agent is never offered two calls at once; a call is never with two agents; every offer
ends (consultations' rings included); an agent's state intervals never overlap (C2, C3,
C4, P8).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cti.domain.commands import (
    CancelConsult,
    CompleteTransfer,
    ConsultAgent,
    EndWrapUp,
    LogIn,
    LogOut,
    SetNotReady,
    SetReady,
    TransferToQueue,
    TransferToSurvey,
)
from cti.domain.config import NotReadyReason
from cti.domain.effects import OfferEnded, OfferMade, StateIntervalEnded
from cti.domain.ids import AgentId, ChannelId, QueueId
from cti.domain.inputs import (
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    DialEnded,
    DialStarted,
    DialStatus,
    HangupRequested,
    PhoneRinging,
)
from cti.domain.records import AgentState
from tests.unit.acd_kit import Acd, agent, config, device, leg, queue

AGENTS = ("1001", "1002", "1003")
CHANNELS = ("c1", "c2", "c3", "c4", "c5")
QUEUES = ("support", "sales")

agent_ids = st.sampled_from(AGENTS)
channels = st.sampled_from(CHANNELS)
ops = st.one_of(
    st.tuples(st.just("login"), agent_ids, st.booleans()),
    st.tuples(st.just("logout"), agent_ids),
    st.tuples(st.just("ready"), agent_ids),
    st.tuples(st.just("not_ready"), agent_ids),
    st.tuples(st.just("end_wrap"), agent_ids),
    st.tuples(st.just("transfer"), agent_ids, st.sampled_from(QUEUES)),
    st.tuples(st.just("survey"), agent_ids),
    st.tuples(st.just("caller"), channels, st.sampled_from(QUEUES), st.integers(0, 2)),
    st.tuples(st.just("dial"), channels),
    st.tuples(st.just("ring"), channels),
    st.tuples(st.just("dial_end"), channels, st.sampled_from(list(DialStatus))),
    st.tuples(st.just("request"), channels, st.booleans()),
    st.tuples(st.just("hangup"), channels, st.booleans()),
    st.tuples(st.just("device"), agent_ids, st.sampled_from(list(DeviceState))),
    st.tuples(st.just("wait"), st.floats(0.0, 40.0)),
    st.tuples(st.just("consult"), agent_ids, agent_ids),
    st.tuples(st.just("complete"), agent_ids),
    st.tuples(st.just("cancel"), agent_ids),
    # The consultation's dial: from the consulting leg (leg(c)) to leg(leg(c)).
    st.tuples(st.just("cdial"), channels),
    st.tuples(st.just("cring"), channels),
    st.tuples(st.just("cdial_end"), channels, st.sampled_from(list(DialStatus))),
    st.tuples(st.just("changup"), channels),
)


def _new_acd() -> Acd:
    acd = Acd()
    queues = [
        queue("support", ring_limit=2, ring_cadence=3.0, max_wrap_up=10, max_wait=120),
        queue("sales", ring_limit=1, ring_cadence=4.0, max_wrap_up=5),
    ]
    agents = [agent(a, {"support": 0, "sales": int(a[-1])}) for a in AGENTS]
    acd.load(config(queues, agents, [NotReadyReason(code="break", max_seconds=30)]))
    return acd


def _run(acd: Acd, op: tuple[object, ...]) -> None:
    kind, *args = op
    now = acd.now
    if kind == "login":
        name, takeover = str(args[0]), bool(args[1])
        acd.feed(DeviceStateChanged(at=now, device=device(name), state=DeviceState.NOT_IN_USE))
        acd.feed(
            LogIn(at=now, agent=AgentId(name), device=device(name), address="a", takeover=takeover)
        )
    elif kind == "logout":
        acd.feed(LogOut(at=now, agent=AgentId(str(args[0])), by="agent:x"))
    elif kind == "ready":
        acd.feed(SetReady(at=now, agent=AgentId(str(args[0]))))
    elif kind == "not_ready":
        acd.feed(SetNotReady(at=now, agent=AgentId(str(args[0])), reason="break"))
    elif kind == "end_wrap":
        acd.feed(EndWrapUp(at=now, agent=AgentId(str(args[0]))))
    elif kind == "transfer":
        acd.feed(TransferToQueue(at=now, agent=AgentId(str(args[0])), queue=QueueId(str(args[1]))))
    elif kind == "survey":
        acd.feed(TransferToSurvey(at=now, agent=AgentId(str(args[0]))))
    elif kind == "caller":
        acd.caller(str(args[0]), str(args[1]), int(args[2]))  # type: ignore[call-overload]
    elif kind == "dial":
        channel = ChannelId(str(args[0]))
        offer = acd.state.offers.get(channel)
        target = offer.device if offer else device("1001")
        acd.feed(DialStarted(at=now, channel=channel, agent_channel=leg(channel), device=target))
    elif kind == "ring":
        acd.feed(
            PhoneRinging(at=now, channel=ChannelId(str(args[0])), agent_channel=leg(str(args[0])))
        )
    elif kind == "dial_end":
        channel = ChannelId(str(args[0]))
        acd.feed(DialEnded(at=now, channel=channel, agent_channel=leg(channel), status=args[1]))  # type: ignore[arg-type]
    elif kind in ("request", "hangup"):
        channel = ChannelId(str(args[0]))
        target = leg(channel) if args[1] else channel
        event = (
            HangupRequested(at=now, channel=target)
            if kind == "request"
            else ChannelHungUp(at=now, channel=target, cause=16)
        )
        acd.feed(event)
    elif kind == "device":
        acd.feed(DeviceStateChanged(at=now, device=device(str(args[0])), state=args[1]))  # type: ignore[arg-type]
    elif kind == "wait":
        acd.tick_to(acd.now - acd.at(0) + float(args[0]))  # type: ignore[arg-type]
    else:
        _run_consult(acd, kind, args)


def _run_consult(acd: Acd, kind: object, args: list[object]) -> None:
    now = acd.now
    if kind == "consult":
        acd.feed(ConsultAgent(at=now, agent=AgentId(str(args[0])), target=AgentId(str(args[1]))))
    elif kind == "complete":
        acd.feed(CompleteTransfer(at=now, agent=AgentId(str(args[0]))))
    elif kind == "cancel":
        acd.feed(CancelConsult(at=now, agent=AgentId(str(args[0]))))
    else:
        caller = ChannelId(str(args[0]))
        consulting = leg(caller)
        consult = acd.state.consults.get(caller)
        target = consult.offer.device if consult else device("1002")
        if kind == "cdial":
            acd.feed(
                DialStarted(
                    at=now, channel=consulting, agent_channel=leg(consulting), device=target
                )
            )
        elif kind == "cring":
            acd.feed(PhoneRinging(at=now, channel=consulting, agent_channel=leg(consulting)))
        elif kind == "cdial_end":
            status = args[1]
            assert isinstance(status, DialStatus)
            acd.feed(
                DialEnded(at=now, channel=consulting, agent_channel=leg(consulting), status=status)
            )
        elif kind == "changup":
            acd.feed(ChannelHungUp(at=now, channel=leg(consulting), cause=16))


def _check_live(acd: Acd) -> None:
    state = acd.state
    offered = Counter(o.agent for o in state.offers.values())
    offered.update(c.offer.agent for c in state.consults.values() if not c.answered)
    assert all(n == 1 for n in offered.values()), "an agent was offered two calls"
    for agent_id, live in state.agents.items():
        has_offer = offered[agent_id] == 1
        assert (live.state is AgentState.OFFERED) == has_offer, (agent_id, live.state)
    assert not set(state.offers) & set(state.talks), "a call both offered and connected"
    talkers = [t.agent for t in state.talks.values() if t.agent is not None]
    assert len(talkers) == len(set(talkers)), "an agent in two talks"
    for talk in state.talks.values():
        if talk.agent is not None and talk.agent in state.agents:
            assert state.agents[talk.agent].state is AgentState.ON_CALL
    consulted = [c.offer.agent for c in state.consults.values() if c.answered]
    assert not set(consulted) & set(talkers), "a consulted agent also in a talk"
    on_call = {a for a, v in state.agents.items() if v.state is AgentState.ON_CALL}
    assert on_call == set(talkers) | set(consulted), "on call without a call"
    for caller, consult in state.consults.items():
        assert state.talks[caller].on_hold and state.talks[caller].agent == consult.agent
    for channel in state.offers:
        assert state.waiting.get(channel) is not None, "an offered call left the line"
    assert set(state.available) == {
        a for a, v in state.agents.items() if v.state is AgentState.AVAILABLE
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, max_size=60))
def test_the_core_keeps_its_invariants_and_every_offer_ends(
    program: list[tuple[object, ...]],
) -> None:
    acd = _new_acd()
    for op in program:
        _run(acd, op)
        _check_live(acd)

    for channel in CHANNELS:  # everybody hangs up; time runs out every timer
        acd.feed(ChannelHungUp(at=acd.now, channel=leg(leg(channel)), cause=16))
        acd.feed(ChannelHungUp(at=acd.now, channel=leg(channel), cause=16))
        acd.feed(ChannelHungUp(at=acd.now, channel=ChannelId(channel), cause=16))
    acd.tick_to(acd.now - acd.at(0) + 10_000)

    assert acd.state.offers == {}
    assert acd.state.consults == {}
    made = Counter((m.agent, m.call.call) for m in acd.of(OfferMade))
    ended = Counter((e.offer.agent, e.offer.call) for e in acd.of(OfferEnded))
    assert made == ended
    intervals = defaultdict(list)
    for item in acd.of(StateIntervalEnded):
        intervals[item.interval.agent].append(item.interval)
    for spans in intervals.values():
        for span in spans:
            assert span.end >= span.start
        for before, after in itertools.pairwise(spans):
            assert after.start >= before.end, "intervals overlap"
