"""A campaign's life in the core (cti/domain/outbound/running.py rules 4-6; issue 12,
item 1): the core holds the do-not-call list, asks the shell for contacts, and finishes a
drained campaign itself."""

from __future__ import annotations

from cti.domain.commands import (
    BlockNumbers,
    FlagOverdue,
    LogOut,
    TallyContacts,
    UnblockNumbers,
)
from cti.domain.effects import (
    CampaignDrained,
    ContactsReturned,
    ContactsWanted,
    FindingRaised,
    Ignored,
    OriginateCall,
)
from cti.domain.ids import AgentId, Instant
from cti.domain.outbound.contact import ContactKind
from cti.domain.outbound.running import BUFFER_PER_AGENT, MIN_BUFFER
from tests.unit.acd_kit import Acd
from tests.unit.test_outbound import (
    NOON,
    SPRING,
    channel_of,
    contact,
    dialer,
    feed,
    hangs_up,
    originate_ended,
    originated,
)


def configured(*agents: str) -> Acd:
    """The campaign running with these agents configured, none of them logged in."""
    acd = dialer(*agents)
    for agent in agents:
        acd.feed(LogOut(at=acd.now, agent=AgentId(agent)))
    return acd


def test_a_number_the_core_was_told_is_blocked_is_never_dialled_when_fed_later() -> None:
    acd = configured("1001", "1002")  # nobody logged in yet: contacts wait in the buffer
    acd.feed(BlockNumbers(at=acd.now, numbers=frozenset({"5550001"})))
    feed(acd, contact(0), contact(1))

    acd.log_in("1001", "1002")

    assert [o.number for o in originated(acd)] == ["5550000"]
    assert acd.of(ContactsReturned)[-1] == ContactsReturned(
        campaign=SPRING, contacts=(contact(1),), why="do_not_call"
    )


def test_a_number_taken_off_the_list_may_be_dialled_again() -> None:
    acd = configured("1001")
    acd.feed(BlockNumbers(at=acd.now, numbers=frozenset({"5550001"})))
    acd.feed(UnblockNumbers(at=acd.now, numbers=frozenset({"5550001"})))
    feed(acd, contact(1))

    acd.log_in("1001")

    assert [o.number for o in originated(acd)] == ["5550001"]


def test_the_core_asks_for_contacts_as_members_log_in_and_the_buffer_fills() -> None:
    acd = configured("1001", "1002")

    acd.log_in("1001")
    first = acd.of(ContactsWanted)[-1]
    acd.log_in("1002")
    second = acd.of(ContactsWanted)[-1]
    feed(acd, contact(0), contact(1), contact(2))  # two dialled at once, one buffered
    third = acd.of(ContactsWanted)[-1]
    acd.feed(LogOut(at=acd.now, agent=AgentId("1002")))

    assert first == ContactsWanted(campaign=SPRING, count=MIN_BUFFER)
    assert second == ContactsWanted(campaign=SPRING, count=2 * BUFFER_PER_AGENT)
    assert third == ContactsWanted(campaign=SPRING, count=2 * BUFFER_PER_AGENT - 1)
    assert acd.state.campaigns[SPRING].wanted == acd.of(ContactsWanted)[-1].count


def test_a_campaign_with_nothing_left_anywhere_is_drained_once() -> None:
    acd = dialer("1001")
    feed(acd, contact(0))
    dial = channel_of(acd)

    acd.feed(TallyContacts(at=acd.now, campaign=SPRING, left=0))  # the dial is in flight
    kept = acd.of(CampaignDrained)
    originate_ended(acd, dial, answered=False)
    hangs_up(acd, dial, 17)
    acd.feed(TallyContacts(at=acd.now, campaign=SPRING, left=1))  # its retry is pending
    acd.feed(TallyContacts(at=acd.now, campaign=SPRING, left=0))
    again = acd.feed(TallyContacts(at=acd.now, campaign=SPRING, left=0))

    assert kept == []
    assert acd.of(CampaignDrained) == [CampaignDrained(campaign=SPRING, at=acd.now)]
    assert SPRING not in acd.state.campaigns
    assert any(isinstance(n, Ignored) for n in again.notes)


def test_a_standing_campaign_is_never_drained() -> None:
    acd = dialer("1001", standing=True)

    acd.feed(TallyContacts(at=acd.now, campaign=SPRING, left=0))

    assert acd.of(CampaignDrained) == []
    assert acd.state.campaigns[SPRING].running


def test_a_callback_being_dialled_since_before_its_due_is_not_overdue() -> None:
    acd = dialer("1001")
    callback = contact(0, kind=ContactKind.CALLBACK, due=Instant(NOON + 60))
    feed(acd, callback)
    assert originated(acd)[0].number == callback.number

    acd.now = Instant(NOON + 61)
    decision = acd.feed(FlagOverdue(at=acd.now, contacts=(callback,)))

    assert not any(isinstance(e, FindingRaised) for e in decision.effects)
    assert any("dialled by its due" in getattr(n, "reason", "") for n in decision.notes)
    assert isinstance(originated(acd)[0], OriginateCall)
