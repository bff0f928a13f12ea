"""End to end, calls connected to an agent when `cti serve` is SIGKILLed (C1): they stay up
in Asterisk, the restarted server takes them back at its first resync (the agent is on
call with the same call again), and when they end their records are right: the agent,
the talk seconds against what the agent's phone saw (its 200 OK to its BYE, on this
host's clock), and who released first (P2). An inbound call, then a progressive
campaign's call, whose attempt is recorded as connected with the agent and whose contact
is done (not dialled again an hour later).
"""

from __future__ import annotations

from typing import Any, Final, Literal

import pytest

from cti.domain.outbound.campaign import AttemptResult
from cti.domain.outbound.contact import ContactStatus
from cti.lab.instance import LabInstance
from cti.lab.sipp import Customers, Softphone, customer_number, place_call
from tests.lab.scenarios import (
    acd_yaml,
    admin_token,
    campaign,
    campaign_body,
    contact_of,
    history_written,
    outbound_yaml,
    set_up_campaign,
    store_of,
)
from tests.lab.server import EventTap, ServerProcess, eventually
from tests.lab.traces import first_message

pytestmark = pytest.mark.lab

TALK_ERROR: Final = 1.0  # seconds the recorded talk may differ from the phone's


async def on_call(server: ServerProcess, agent: str) -> str | None:
    """The call the agent is on, as the API shows it, or None."""
    _, body = await server.get(f"/api/v1/agents/{agent}")
    view = body["agent"]
    call = view.get("call")
    return str(call["call_id"]) if view["state"] == "on_call" and call else None


async def killed_and_back(server: ServerProcess, agent: str) -> str:
    """SIGKILL the server in the middle of the agent's call, start it again; the call the
    restarted server has the agent on (the same one)."""
    before = await eventually(lambda: on_call(server, agent), within=20, what="on call")
    await eventually(lambda: history_written(server), within=10, what="history written")
    await server.kill()
    await server.start()
    after = await eventually(lambda: on_call(server, agent), within=10, what="on call again")
    assert after == before
    return after


def released_first(findings: list[dict[str, Any]]) -> list[str]:
    """The agents found releasing first (P2); a 1 s wrap-up maximum is a finding too."""
    return [f["agent"] for f in findings if f["rule"] == "P2.agent_released_first"]


def recorded_talk(
    tap: EventTap, phone: Softphone, bye: Literal["sent", "received"], what: str
) -> tuple[dict[str, Any], str, float]:
    """The call's one record, its one talk's agent, and when the phone answered, once the
    talk's seconds are checked against the phone's: its 200 OK to the BYE."""
    assert phone.trace_dir is not None
    answered = first_message(phone.trace_dir, "sent", "SIP/2.0 200")
    released = first_message(phone.trace_dir, bye, "BYE ")
    [record] = tap.calls()
    [(agent, seconds)] = [
        (s["agent"], s["end"] - s["start"]) for s in record["segments"] if s["kind"] == "talk"
    ]
    print(f"{what}: talk {seconds:.3f} s recorded, {released - answered:.3f} s on the phone")
    assert seconds == pytest.approx(released - answered, abs=TALK_ERROR)
    return record, agent, answered


async def test_an_inbound_call_connected_through_a_restart_is_recorded_right(
    lab: LabInstance, server: ServerProcess
) -> None:
    await server.configure(acd_yaml({"1001": "support"}, max_wrap_up=1))
    await server.start()
    phone = Softphone(lab, "1001", "answer", trace=True)
    async with phone:
        await server.log_in("1001")
        await eventually(lambda: history_written(server), within=10, what="presence stored")
        # The caller hangs up 16 s after the queue answered it: well after the restart.
        call = place_call(lab, "support", "5552201", hangup_after_ms=16_000)
        call_id = await killed_and_back(server, "1001")
        tap = server.events()
        async with tap:
            await tap.wait(lambda t: t.calls(), within=30, what="the call's record")
        assert await call.wait(within_s=10) == 0
    record, agent, _ = recorded_talk(tap, phone, "received", "inbound")
    assert (record["call"], agent, record["released_by"]) == (call_id, "1001", "caller")
    assert record["answered"] is True and released_first(tap.findings()) == []


async def test_a_campaign_call_connected_through_a_restart_is_a_connected_attempt(
    lab: LabInstance, server: ServerProcess
) -> None:
    await server.configure(outbound_yaml(["1001"]))
    admin = await admin_token(server)
    await server.start()
    number = customer_number("answer", 31)  # answers at once, waits for Asterisk's BYE
    phone = Softphone(lab, "1001", "answer_hangup_first", talk_ms=16_000, trace=True)
    async with Customers(lab), phone:
        await server.log_in("1001")
        await eventually(lambda: history_written(server), within=10, what="presence stored")
        await set_up_campaign(server, admin, campaign_body("progressive"), [number])
        call_id = await killed_and_back(server, "1001")
        tap = server.events()
        async with tap:
            await tap.wait(lambda t: t.calls(), within=30, what="the call's record")
        async with store_of(server) as store:

            async def recorded() -> bool:
                return bool(await store.attempts_of(contact_of(number)))

            await eventually(recorded, within=10, what="the attempt recorded")
            [attempt] = await store.attempts_of(contact_of(number))
            contact = await store.contact(contact_of(number))
        summary = await campaign(server, admin)
    record, agent, answered = recorded_talk(tap, phone, "sent", "outbound")
    assert (record["call"], agent, record["released_by"]) == (call_id, "1001", "agent")
    assert released_first(tap.findings()) == ["1001"]
    assert (attempt.id, attempt.result, attempt.agent) == (call_id, AttemptResult.CONNECTED, "1001")
    assert attempt.person and attempt.connected_at is not None
    assert attempt.connected_at == pytest.approx(answered, abs=TALK_ERROR)
    assert contact is not None and (contact.status, contact.attempts) == (ContactStatus.DONE, 1)
    assert summary["progress"]["by_status"]["done"] == 1, summary
