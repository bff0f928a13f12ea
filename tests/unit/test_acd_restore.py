"""Taking logged-in agents back after a server restart (C1): what the core records of a
login and its status (Presence), and what it does with it at start (RestoreLogins)."""

from __future__ import annotations

from cti.domain.commands import LogOut, RestoreLogins, SetNotReady
from cti.domain.effects import AgentChanged, Ignored, PresenceChanged
from cti.domain.ids import AgentId, Instant
from cti.domain.inputs import DeviceState, Resynced
from cti.domain.records import AgentState, Presence
from tests.unit.acd_kit import Acd, agent, config, device, queue

A1, A2, A3 = AgentId("1001"), AgentId("1002"), AgentId("1003")
EARLIER = Instant(1_699_999_000.0)


def configured() -> Acd:
    acd = Acd()
    acd.load(config([queue()], [agent("1001"), agent("1002"), agent("1003")]))
    return acd


def presence(agent_id: AgentId, **kw: object) -> Presence:
    fields: dict[str, object] = {
        "device": device(agent_id),
        "address": "10.0.0.7",
        "logged_in_at": EARLIER,
        "reason_by": "agent:" + agent_id,
    }
    return Presence(agent=agent_id, at=EARLIER, **(fields | kw))  # type: ignore[arg-type]


def test_logins_and_status_changes_are_recorded_as_presence() -> None:
    acd = configured()
    acd.log_in("1001")
    acd.caller("c1")
    acd.answer("c1", "1001")
    before = len(acd.of(AgentChanged))
    acd.feed(SetNotReady(at=acd.now, agent=A1, reason="lunch", by="agent:1001"))
    acd.feed(LogOut(at=acd.now, agent=A2, by="agent:1002"))  # refused: not logged in

    kept = [p.presence for p in acd.of(PresenceChanged)]
    assert len(acd.of(AgentChanged)) == before  # on call still: no new state
    assert [(p.device, p.ready, p.reason) for p in kept] == [
        (device("1001"), True, None),  # the login
        (device("1001"), False, "lunch"),  # the status, chosen while on call
    ]
    assert kept[0].logged_in_at == kept[1].logged_in_at == acd.at(0)
    assert kept[0].address == "10.0.0.9"


def test_a_logout_clears_the_presence() -> None:
    acd = configured()
    acd.log_in("1002")
    acd.advance(5)
    acd.feed(LogOut(at=acd.now, agent=A2, by="agent:1002"))

    last = acd.of(PresenceChanged)[-1].presence
    assert (last.agent, last.logged_in, last.at) == (A2, False, acd.now)


def test_restored_agents_come_back_with_their_login_and_status() -> None:
    acd = configured()
    logins = (
        presence(A1),
        presence(A2, ready=False, reason="lunch"),
        presence(AgentId("9999")),  # no longer configured
        Presence(agent=A3, at=EARLIER),  # a logout
    )
    acd.feed(RestoreLogins(at=acd.now, logins=logins))

    one, two = acd.state.agents[A1], acd.state.agents[A2]
    assert (one.state, one.logged_in_at, one.since, one.device) == (
        AgentState.AVAILABLE,
        EARLIER,
        acd.now,
        device("1001"),
    )
    assert (two.state, two.reason, two.reason_by) == (AgentState.NOT_READY, "lunch", "agent:1002")
    assert A3 not in acd.state.agents
    assert acd.last is not None
    ignored = sorted(n.reason for n in acd.last.notes if isinstance(n, Ignored))
    assert ignored == [
        "login of 1003 not restored: it is a logout",
        "login of 9999 not restored: unknown agent",
    ]
    acd.caller("c1")
    assert acd.state.agents[A1].state is AgentState.OFFERED  # routed to as before


def test_a_login_is_not_restored_over_a_live_one() -> None:
    acd = configured()
    acd.log_in("1001")
    acd.feed(RestoreLogins(at=acd.now, logins=(presence(A1), presence(A2, device=device("1001")))))

    assert acd.state.agents[A1].logged_in_at == acd.at(0)
    assert A2 not in acd.state.agents


def test_a_restored_agent_whose_phone_is_not_registered_is_not_ready() -> None:
    acd = configured()
    acd.feed(RestoreLogins(at=acd.now, logins=(presence(A1), presence(A2))))
    devices = ((device("1001"), DeviceState.UNAVAILABLE), (device("1002"), DeviceState.NOT_IN_USE))
    acd.feed(Resynced(at=acd.now, waiting=(), devices=devices))

    one, two = acd.state.agents[A1], acd.state.agents[A2]
    assert (one.state, one.reason) == (AgentState.NOT_READY, "unavailable")
    assert two.state is AgentState.AVAILABLE
