"""Callbacks and follow-ups in the core (P9, P18): cti/domain/callback.py, dispatch rule 5,
outbound rule 6 and contact rule 5."""

from __future__ import annotations

from dataclasses import replace

from cti.domain.commands import EndWrapUp, FlagOverdue, SetNotReady, SetReady
from cti.domain.config import MaxWaitAction
from cti.domain.effects import (
    CallbackWanted,
    ConnectCall,
    FindingRaised,
    Ignored,
    QueueVisitEnded,
    SendCall,
    TargetKind,
)
from cti.domain.ids import CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import CallbackDeclined, CallbackRequested
from cti.domain.outbound.campaign import AttemptResult
from cti.domain.outbound.contact import ContactKind, ContactStatus, overdue
from cti.domain.outbound.pacing import DialMode
from cti.domain.records import Rule, VisitOutcome
from tests.unit.acd_kit import Acd, agent, config, queue
from tests.unit.test_outbound import (
    A1,
    A2,
    NOON,
    contact,
    dialer,
    feed,
    originated,
    state_of,
)

BREAK = "break"


def reserved_for(acd: Acd) -> list[tuple[str, str | None]]:
    """Each dial placed so far: the number and the agent reserved for it."""
    return [(o.number, acd.state.dials[o.channel].agent) for o in originated(acd)]


# Outbound rule 6: a callback promised by one agent ------------------------------------


def test_a_callback_promised_by_an_agent_is_dialled_with_that_agent_reserved() -> None:
    acd = dialer("1001", "1002")  # 1001 has been idle longer: it would be picked first

    feed(acd, contact(1, kind=ContactKind.CALLBACK, agent=A2))

    assert reserved_for(acd) == [("5550001", A2)]
    assert state_of(acd, "1002") == "reserved" and state_of(acd, "1001") == "available"


def test_it_waits_for_its_agent_while_the_contacts_behind_it_are_dialled() -> None:
    acd = dialer("1001", "1002")
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason=BREAK))

    feed(acd, contact(1, kind=ContactKind.CALLBACK, agent=A1), contact(2))

    assert reserved_for(acd) == [("5550002", A2)]
    assert [c.number for c in acd.state.campaigns["spring"].buffer] == ["5550001"]

    acd.advance(60)
    acd.feed(SetReady(at=acd.now, agent=A1))

    assert reserved_for(acd)[-1] == ("5550001", A1)
    assert acd.state.campaigns["spring"].buffer == ()


def test_a_predictive_campaign_reserves_the_agent_of_a_promised_callback() -> None:
    acd = dialer("1001", "1002", mode=DialMode.PREDICTIVE)

    feed(acd, contact(1, kind=ContactKind.CALLBACK, agent=A2))

    assert reserved_for(acd)[0] == ("5550001", A2)


# Callback rule 1: the max-wait offer, requested or declined --------------------------


def waiting_sales_caller(max_wait: float = 60.0) -> Acd:
    """1001 serves sales and is on a break; caller c1 waited past the max-wait rule."""
    acd = Acd()
    sales = queue("sales", max_wait=max_wait, max_wait_action=MaxWaitAction.CALLBACK)
    acd.load(config([sales], [agent("1001", {"sales": 0})]))
    acd.log_in("1001")
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason=BREAK))
    acd.caller("c1", "sales", priority=2)
    acd.tick_to(max_wait)
    return acd


def test_the_max_wait_callback_offer_keeps_the_caller_in_line_unoffered() -> None:
    acd = waiting_sales_caller()

    assert acd.of(SendCall) == [
        SendCall(channel=ChannelId("c1"), kind=TargetKind.CALLBACK, target="sales")
    ]
    waiting = acd.state.waiting.get(ChannelId("c1"))
    assert waiting is not None and waiting.away
    acd.feed(SetReady(at=acd.now, agent=A1))
    assert acd.of(ConnectCall) == []  # hearing the offer: not pulled out of it


def test_keying_one_asks_for_a_callback_that_keeps_the_callers_place() -> None:
    acd = waiting_sales_caller()

    acd.advance(7)
    acd.feed(CallbackRequested(at=acd.now, channel=ChannelId("c1"), number="+1555c1"))

    assert acd.state.waiting.get(ChannelId("c1")) is None
    visits = [(v.visit.channel, v.visit.outcome) for v in acd.of(QueueVisitEnded)]
    assert visits == [("c1", VisitOutcome.REDIRECTED)]
    assert acd.of(CallbackWanted) == [
        CallbackWanted(
            kind=ContactKind.CALLBACK,
            queue=QueueId("sales"),
            number="+1555c1",
            at=acd.now,
            call=CallId("c1"),
            place=acd.at(0),  # where the caller entered the line
            priority=2,
        )
    ]


def test_declining_puts_the_caller_back_in_line_where_it_was() -> None:
    acd = waiting_sales_caller()

    acd.feed(CallbackDeclined(at=acd.now, channel=ChannelId("c1")))
    acd.feed(SetReady(at=acd.now, agent=A1))

    assert [(c.channel, c.agent) for c in acd.of(ConnectCall)] == [("c1", "1001")]
    assert acd.of(CallbackWanted) == []


def test_a_request_from_a_caller_not_offered_a_callback_changes_nothing() -> None:
    acd = Acd()
    acd.load(config([queue("sales")], [agent("1001", {"sales": 0})]))
    acd.caller("c1", "sales")

    decision = acd.feed(CallbackRequested(at=acd.now, channel=ChannelId("c1"), number="1"))

    assert any(isinstance(n, Ignored) for n in decision.notes)
    assert acd.state.waiting.get(ChannelId("c1")) is not None
    assert acd.of(CallbackWanted) == []


# Dispatch rule 5: the kept place ------------------------------------------------------


def test_a_callback_keeps_its_place_ahead_of_callers_who_came_later() -> None:
    acd = dialer("1001")
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason=BREAK))
    acd.caller("c1", "sales")  # entered after the callback's caller did
    feed(acd, contact(1, kind=ContactKind.CALLBACK, place=Instant(NOON - 30)))

    acd.feed(SetReady(at=acd.now, agent=A1))

    assert acd.of(ConnectCall) == []
    assert reserved_for(acd) == [("5550001", A1)]


def test_callers_ahead_of_the_kept_place_are_served_first() -> None:
    acd = dialer("1001")
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason=BREAK))
    acd.caller("c1", "sales")
    feed(acd, contact(1, kind=ContactKind.CALLBACK, place=Instant(NOON + 30)))

    acd.feed(SetReady(at=acd.now, agent=A1))

    assert [(c.channel, c.agent) for c in acd.of(ConnectCall)] == [("c1", "1001")]
    assert originated(acd) == []


def test_a_higher_priority_caller_goes_before_a_kept_place() -> None:
    acd = dialer("1001")
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason=BREAK))
    acd.caller("c1", "sales", priority=5)  # urgent (P10), though later
    feed(acd, contact(1, kind=ContactKind.CALLBACK, place=Instant(NOON - 30), priority=0))

    acd.feed(SetReady(at=acd.now, agent=A1))

    assert [c.channel for c in acd.of(ConnectCall)] == ["c1"]


# Callback rule 2: a complaint opens a follow-up ---------------------------------------


def wrapping_up() -> Acd:
    """1001 talked with caller c1 of the support queue, who hung up: 1001 wraps up."""
    acd = Acd()
    acd.load(config([queue("support")], [agent("1001")]))
    acd.log_in("1001")
    acd.caller("c1")
    acd.answer("c1", "1001")
    acd.advance(60)
    acd.hang_up("c1")
    return acd


def test_a_complaint_disposition_opens_a_follow_up_of_the_callers_number() -> None:
    acd = wrapping_up()

    acd.feed(EndWrapUp(at=acd.now, agent=A1, disposition="complaint"))

    assert acd.of(CallbackWanted) == [
        CallbackWanted(
            kind=ContactKind.FOLLOW_UP,
            queue=QueueId("support"),
            number="+1555c1",
            at=acd.now,
            call=CallId("c1"),
            agent=A1,
        )
    ]


def test_other_dispositions_open_nothing() -> None:
    acd = wrapping_up()

    acd.feed(EndWrapUp(at=acd.now, agent=A1, disposition="solved"))

    assert acd.of(CallbackWanted) == []


# Callback rule 3 and contact rule 5: overdue findings --------------------------------


def test_an_overdue_callback_is_a_finding_of_the_agent_it_was_promised_by() -> None:
    acd = dialer("1001")
    late = contact(1, kind=ContactKind.CALLBACK, agent=A1, due=Instant(NOON - 90))
    late = replace(late, status=ContactStatus.PENDING)

    acd.feed(FlagOverdue(at=acd.now, contacts=(late,)))

    [raised] = [f.finding for f in acd.of(FindingRaised)]
    assert (raised.rule, raised.agent, raised.at) == (Rule.CALLBACK_OVERDUE, A1, NOON - 90)
    assert raised.measured == 90 and "k1" in raised.detail


def test_a_follow_up_finding_is_the_queues_and_a_contact_not_overdue_is_ignored() -> None:
    acd = dialer("1001")
    follow = contact(1, kind=ContactKind.FOLLOW_UP, due=Instant(NOON - 5))
    on_time = contact(2, kind=ContactKind.CALLBACK, due=Instant(NOON + 5))

    decision = acd.feed(FlagOverdue(at=acd.now, contacts=(follow, on_time)))

    assert [(f.finding.rule, f.finding.agent) for f in acd.of(FindingRaised)] == [
        (Rule.FOLLOW_UP_OVERDUE, "")
    ]
    assert any(isinstance(n, Ignored) for n in decision.notes)


def test_a_callback_dialled_once_is_kept_a_follow_up_must_be_done() -> None:
    due = Instant(NOON)
    callback = contact(1, kind=ContactKind.CALLBACK, due=due, status=ContactStatus.PENDING)
    follow = contact(2, kind=ContactKind.FOLLOW_UP, due=due, status=ContactStatus.PENDING)
    later = Instant(NOON + 1)

    assert overdue(callback, later) and overdue(follow, later)
    assert not overdue(replace(callback, attempts=1), later)  # dialled: the promise kept
    assert overdue(replace(follow, attempts=1, last_result=AttemptResult.BUSY), later)
    assert not overdue(replace(follow, status=ContactStatus.CLOSED), later)
    assert not overdue(callback, due)
