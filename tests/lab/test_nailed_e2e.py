"""End to end, agents on a nailed-up line and the quiet period per number (issue 18, C5):
a real Asterisk (the lab), SIPp customers and agent phones, `cti serve` through its API.

The connect time is measured from the customer's side: from the customer's 200 OK leaving
its SIPp (its message trace) to the first packet of the agent's voice reaching the
customer's media address (an RtpEar the customer's SDP offers; the agent's phone streams a
tone). It is also read on the customer's leg in Asterisk, from the AMI events about that
channel (Asterisk's clock): from its `Newstate` Up to its `BridgeEnter`.
"""

from __future__ import annotations

from typing import Any

import pytest
from panoramisk import Manager

from cti.domain.outbound.campaign import AttemptResult
from cti.domain.outbound.contact import ContactId
from cti.lab.instance import LabInstance
from cti.lab.rtp import RtpEar, listening
from cti.lab.sipp import CALLER_IP, Customers, Softphone, customer_number
from cti.lab.sound import tone
from tests.lab.ami_tap import Tap
from tests.lab.scenarios import (
    admin_token,
    campaign_body,
    dialer_rounds,
    store_of,
    upload,
)
from tests.lab.server import ServerProcess, eventually
from tests.lab.traces import answers

pytestmark = pytest.mark.lab

CONNECT_TARGET_S = 0.3  # issue 18: answer to media bridged, nailed-up agents


def lined_yaml(ringing: list[str], nailed: list[str]) -> str:
    """Queue `outbound` rings its agents; queue `lined` keeps them on a nailed-up line."""
    lines = [
        "queues:",
        "  - id: outbound",
        "    max_wrap_up: 1",
        "  - id: lined",
        "    max_wrap_up: 1",
        "    agent_line: nailed",
        "agents:",
    ]
    for agent in ringing:
        lines += [f'  - id: "{agent}"', '    pin: "1234"', "    queues: {outbound: 0}"]
    for agent in nailed:
        lines += [f'  - id: "{agent}"', '    pin: "1234"', "    queues: {lined: 0}"]
    return "\n".join(lines) + "\n"


async def start_campaign(
    server: ServerProcess, admin: str, name: str, body: dict[str, Any], numbers: list[str]
) -> None:
    status, answer = await server.request("PUT", f"/api/v1/campaigns/{name}", body, token=admin)
    assert status in (200, 201), answer
    await upload(server, admin, name, numbers)
    await server.post(f"/api/v1/campaigns/{name}/start", token=admin)


def stamp(event: dict[str, Any]) -> float:
    return float(event["Timestamp"])


def connect_seconds(tap: Tap, channel: str) -> float:
    """Newstate Up to BridgeEnter of the customer's channel, on Asterisk's clock."""
    events = tap.of_channel(channel)
    up = next(
        e for e in events if e.get("Event") == "Newstate" and e.get("ChannelStateDesc") == "Up"
    )
    bridged = next(e for e in events if e.get("Event") == "BridgeEnter")
    return stamp(bridged) - stamp(up)


def heard_seconds(customers: Customers, ear: RtpEar, numbers: list[str]) -> list[float]:
    """Customer's side: each number's 200 OK sent to the agent's voice first heard."""
    assert customers.trace_dir is not None
    answered = {a.number: a for a in answers(customers.trace_dir)}
    seconds = []
    for number in numbers:
        answer = answered[number]
        heard = ear.first_heard(answer.media_port, answer.answered_at)
        assert heard is not None, f"{number}: the customer never heard the agent"
        seconds.append(heard - answer.answered_at)
    return seconds


async def test_a_slow_agent_on_a_nailed_line_abandons_nobody_and_connects_at_once(
    lab: LabInstance, server: ServerProcess, ami: tuple[Manager, Tap]
) -> None:
    """The agent's phone takes 2.5 s to answer (longer than the 2 s hold): on a nailed-up
    line it answers once, for its line, and every customer who answers is bridged to it
    at once, within 300 ms of the answer, on the same line; nothing is abandoned."""
    _manager, tap = ami
    await server.configure(lined_yaml([], ["1001"]))
    admin = await admin_token(server)
    await server.start()
    numbers = [customer_number("answer_hangup_first", n) for n in (1, 2, 3)]
    phone = Softphone(lab, "1001", "answer_media", ring_ms=2500, sound=tone(), trace=True)
    async with (
        listening(CALLER_IP, tone()) as ear,
        Customers(lab, media_to=ear.port) as customers,
        phone,
    ):
        await server.log_in("1001")
        body = campaign_body("progressive") | {"queue": "lined"}
        await start_campaign(server, admin, "nailed", body, numbers)
        async with store_of(server) as store:

            async def all_ended() -> bool:
                for number in numbers:
                    if not await store.attempts_of(ContactId(f"nailed:{number}")):
                        return False
                return True

            await eventually(all_ended, within=90, what="every customer's attempt recorded")
            attempts = [
                a for n in numbers for a in await store.attempts_of(ContactId(f"nailed:{n}"))
            ]
    assert [a.result for a in attempts] == [AttemptResult.CONNECTED] * 3, attempts
    assert phone.trace_dir is not None
    invites = "".join(p.read_text() for p in phone.trace_dir.glob("*_messages.log"))
    assert "Call-Info: <sip:127.0.0.1>;answer-after=0" in invites  # the line asks to answer
    assert "info=alert-autoanswer" in invites
    lines = {e["Uniqueid"] for _, e in tap.events if str(e.get("Uniqueid", "")).startswith("line-")}
    assert len(lines) == 1, lines  # one line, kept across the three calls
    seconds = [connect_seconds(tap, str(a.id)) for a in attempts]
    heard = heard_seconds(customers, ear, numbers)
    print(f"connect seconds: customer's side {heard}, customer's leg in Asterisk {seconds}")
    assert max(heard) < CONNECT_TARGET_S, heard
    assert max(seconds) < CONNECT_TARGET_S, seconds
    for attempt in attempts:
        assert attempt.agent == "1001", attempt
        assert attempt.connected_at is not None and attempt.answered_at is not None
        assert attempt.connected_at - attempt.answered_at < CONNECT_TARGET_S, attempt


async def test_a_number_abandoned_by_one_campaign_waits_in_every_other_but_for_a_line(
    lab: LabInstance, server: ServerProcess
) -> None:
    """Campaign `spring` (agent 1001 rung, never answers) abandons the number; campaign
    `autumn` of the same rung queue does not dial it inside the quiet period; campaign
    `winter`, whose agent 1002 is on a nailed-up line, may and does: connected."""
    await server.configure(lined_yaml(["1001"], ["1002"]))
    admin = await admin_token(server)
    await server.start()
    number = customer_number("answer_hangup_first", 9)
    async with (
        Customers(lab),
        Softphone(lab, "1001", "no_answer"),
        Softphone(lab, "1002"),
    ):
        await server.log_in("1001")
        await start_campaign(server, admin, "spring", campaign_body("progressive"), [number])
        async with store_of(server) as store:

            async def abandoned() -> bool:
                return bool(await store.attempts_of(ContactId(f"spring:{number}")))

            await eventually(abandoned, within=30, what="spring's attempt recorded")
            [first] = await store.attempts_of(ContactId(f"spring:{number}"))
            assert first.result is AttemptResult.ABANDONED, first
            # issue 18 item 4: who missed the hold is off outbound; made ready again here,
            # the agent would be reserved, but a rung agent is no guarantee
            await server.post("/api/v1/agents/1001/ready")  # the supervisor
            await start_campaign(server, admin, "autumn", campaign_body("progressive"), [number])
            await dialer_rounds(server, 4)
            assert await store.attempts_of(ContactId(f"autumn:{number}")) == []

            await server.log_in("1002")
            body = campaign_body("progressive") | {"queue": "lined"}
            await start_campaign(server, admin, "winter", body, [number])

            async def connected() -> bool:
                return bool(await store.attempts_of(ContactId(f"winter:{number}")))

            await eventually(connected, within=40, what="winter's attempt recorded")
            [third] = await store.attempts_of(ContactId(f"winter:{number}"))
            assert await store.attempts_of(ContactId(f"autumn:{number}")) == []
    assert third.result is AttemptResult.CONNECTED, third
    assert third.agent == "1002", third


async def test_a_slow_rung_agent_abandons_one_person_at_most_then_is_off_outbound(
    lab: LabInstance, server: ServerProcess
) -> None:
    """The agent's phone is rung after the customer answers and takes 2.5 s: the first
    person is abandoned at the hold, the agent goes not ready ("no answer"), and nothing
    more is dialled for the campaign with no agent ready (issue 18 item 4)."""
    await server.configure(lined_yaml(["1001"], []))
    admin = await admin_token(server)
    await server.start()
    numbers = [customer_number("answer", n) for n in (21, 22, 23)]
    async with Customers(lab), Softphone(lab, "1001", ring_ms=2500):
        await server.log_in("1001")
        await start_campaign(server, admin, "slow", campaign_body("progressive"), numbers)
        async with store_of(server) as store:

            async def attempts() -> list[Any]:
                found = []
                for number in numbers:
                    found += await store.attempts_of(ContactId(f"slow:{number}"))
                return found

            await eventually(attempts, within=30, what="the first attempt recorded")
            _, answer = await server.get("/api/v1/agents/1001")
            await dialer_rounds(server, 4)
            ended = await attempts()
    assert [a.result for a in ended] == [AttemptResult.ABANDONED], ended
    assert (answer["agent"]["state"], answer["agent"]["reason"]) == ("not_ready", "no answer")
    assert await server.metric("cti_findings_total", rule="C5.hold_missed") == 1
