"""End to end, outbound campaigns (issue 4, C5): a real Asterisk (the lab), SIPp customers
behind the trunk (cti/lab/sipp.py Customers: the dialled number's last digit picks what
the customer does), SIPp agent phones, and `cti serve` driven through its API.

What is asserted is read back from the server's own store (the attempts and contacts it
recorded), from its API (campaign progress and status) and its WebSocket (call records).
"""

from __future__ import annotations

import asyncio
import time
from itertools import accumulate
from typing import Any

import pytest

from cti.domain.outbound.attempt import DialAttempt
from cti.domain.outbound.campaign import AttemptResult, CampaignId
from cti.domain.outbound.contact import ContactId, ContactStatus
from cti.domain.outbound.pacing import DialMode
from cti.lab.instance import LabInstance
from cti.lab.sipp import CustomerKind, Customers, Softphone, customer_number
from tests.lab.scenarios import (
    CAMPAIGN,
    admin_token,
    campaign,
    campaign_body,
    contact_of,
    dialer_rounds,
    finished,
    outbound_yaml,
    phones,
    set_up_campaign,
    store_of,
    upload,
)
from tests.lab.server import ServerProcess, eventually

pytestmark = pytest.mark.lab


async def test_a_progressive_campaign_reaches_every_contact_and_records_every_outcome(
    lab: LabInstance, server: ServerProcess
) -> None:
    """Two agents; customers who answer, are busy, never answer, fail (503). Every contact
    is dialled, retried per its rule, and closed at its attempt limit; every attempt is
    recorded with its outcome; the campaign finishes by itself."""
    await server.configure(outbound_yaml(["1001", "1002"]))
    admin = await admin_token(server)
    await server.start()
    kinds: list[tuple[CustomerKind, int]] = [
        ("answer_hangup_first", 1),
        ("answer_hangup_first", 2),
        ("answer_hangup_first", 3),
        ("busy", 4),
        ("no_answer", 5),
        ("unavailable", 6),
    ]
    numbers = {customer_number(kind, serial): kind for kind, serial in kinds}
    async with (
        Customers(lab),
        Softphone(lab, "1001"),
        Softphone(lab, "1002"),
    ):
        await server.log_in("1001")
        await server.log_in("1002")
        await set_up_campaign(server, admin, campaign_body("progressive"), list(numbers))

        await eventually(lambda: finished(server, admin), within=90, what="the campaign finished")
        summary = await campaign(server, admin)
        # Asterisk runs cti-outbound's `failed` extension for each failed dial: it hangs up
        # there, never a caller of a queue "failed" (dialplan contract v6).
        assert await server.waiting("failed") == []
    assert summary["progress"]["by_status"] == {
        "pending": 0,
        "dialling": 0,
        "done": 3,
        "closed": 3,
    }, summary
    expected = {
        "answer_hangup_first": ([AttemptResult.CONNECTED], ContactStatus.DONE),
        "busy": ([AttemptResult.BUSY] * 2, ContactStatus.CLOSED),
        "no_answer": ([AttemptResult.NO_ANSWER], ContactStatus.CLOSED),
        "unavailable": ([AttemptResult.CONGESTION] * 2, ContactStatus.CLOSED),
    }
    async with store_of(server) as store:
        for number, kind in numbers.items():
            attempts = await store.attempts_of(contact_of(number))
            results, status = expected[kind]
            assert [a.result for a in attempts] == results, (number, attempts)
            contact = await store.contact(contact_of(number))
            assert contact is not None and contact.status is status, (number, contact)
            assert contact.attempts == len(results), contact
            for attempt in attempts:
                assert attempt.agent in ("1001", "1002"), attempt  # progressive: reserved
                if kind == "no_answer":
                    assert 15.0 <= attempt.ring_seconds < 17.0, attempt
                if attempt.result is AttemptResult.CONNECTED:
                    assert attempt.person and attempt.connected_at is not None, attempt
                    assert attempt.connected_at - (attempt.answered_at or 0) < 2.0, attempt


async def test_an_answered_call_no_agent_takes_within_two_seconds_is_abandoned(
    lab: LabInstance, server: ServerProcess
) -> None:
    """The only agent's phone rings without answering: the customer, who answered, gets
    the message after 2 s and the attempt is abandoned; the number is not dialled again
    (the 72-hour quiet period of a predictive campaign), though its retry rule allows it."""
    await server.configure(outbound_yaml(["1001"]))
    admin = await admin_token(server)
    await server.start()
    number = customer_number("answer", 7)
    async with Customers(lab), Softphone(lab, "1001", "no_answer"):
        await server.log_in("1001")
        await set_up_campaign(server, admin, campaign_body("predictive"), [number])
        async with store_of(server) as store:

            async def abandoned() -> bool:
                return bool(await store.attempts_of(contact_of(number)))

            await eventually(abandoned, within=30, what="the attempt recorded")
            await dialer_rounds(server, 3)  # 2 s or more: its retry delay (1 s) is past
            attempts = await store.attempts_of(contact_of(number))
            contact = await store.contact(contact_of(number))
    assert [a.result for a in attempts] == [AttemptResult.ABANDONED], attempts
    attempt = attempts[0]
    assert attempt.person and attempt.connected_at is None, attempt
    assert contact is not None and contact.abandoned_at is not None, contact
    assert contact.status is ContactStatus.PENDING, contact
    assert contact.claim == 1, contact  # never taken again: the quiet period holds
    assert (await campaign(server, admin))["status"] == "running"
    assert CampaignId(CAMPAIGN) == attempt.campaign


async def test_preview_the_agent_sees_the_contact_then_skips_one_and_dials_the_next(
    lab: LabInstance, server: ServerProcess
) -> None:
    """Preview (P25): the agent takes a contact, sees its shown fields and the script,
    skips it (recorded, not counted as a dial), takes the next and dials it; the answered
    call comes to that agent."""
    await server.configure(outbound_yaml(["1001"]))
    admin = await admin_token(server)
    await server.start()
    first, second = (
        customer_number("answer_hangup_first", 8),
        customer_number("answer_hangup_first", 9),
    )
    body = campaign_body("preview", script="Offer the spring plan.", shown_fields=["name"])
    async with Customers(lab), Softphone(lab, "1001"):
        token = await server.log_in("1001")
        await set_up_campaign(server, admin, body, [first, second])

        async def previewed() -> dict[str, Any] | None:
            status, answer = await server.request(
                "POST", "/api/v1/agents/1001/preview", {"campaign": CAMPAIGN}, token=token
            )
            return answer["agent"]["outbound"] if status == 200 else None

        shown = await eventually(previewed, within=10, what="a contact to preview")
        assert shown["script"] == "Offer the spring plan." and shown["preview"] is True, shown
        skipped = shown["number"]
        await server.post("/api/v1/agents/1001/preview/skip", token=token)
        shown = await eventually(previewed, within=10, what="the next contact to preview")
        dialled = shown["number"]
        assert {skipped, dialled} == {first, second}, shown
        await server.post("/api/v1/agents/1001/preview/dial", token=token)
        async with store_of(server) as store:

            async def connected() -> bool:
                attempts = await store.attempts_of(contact_of(dialled))
                return [a.result for a in attempts] == [AttemptResult.CONNECTED]

            await eventually(connected, within=20, what="the dialled contact connected")
            skips = await store.attempts_of(contact_of(skipped))
            attempt = (await store.attempts_of(contact_of(dialled)))[0]
    assert [a.result for a in skips] == [AttemptResult.SKIPPED], skips
    assert attempt.agent == "1001" and attempt.person, attempt


async def test_the_calling_window_and_the_do_not_call_list_are_honoured(
    lab: LabInstance, server: ServerProcess
) -> None:
    """Nothing is dialled outside the calling window (in the contact's own time zone), and
    a number on the do-not-call list is never dialled: its contact is closed."""
    await server.configure(outbound_yaml(["1001"]))
    admin = await admin_token(server)
    await server.start()
    hour = time.gmtime().tm_hour
    closed_now = (
        {"start": "13:00", "end": "23:00"} if hour < 12 else {"start": "01:00", "end": "11:00"}
    )
    blocked, outside = customer_number("answer", 10), customer_number("answer", 11)
    status, answer = await server.request(
        "POST", "/api/v1/dnc", {"numbers": [blocked]}, token=admin
    )
    assert status == 200, answer
    async with Customers(lab), Softphone(lab, "1001"):
        await server.log_in("1001")
        await set_up_campaign(server, admin, campaign_body("progressive"), [blocked])
        async with store_of(server) as store:

            async def closed() -> bool:
                contact = await store.contact(contact_of(blocked))
                return contact is not None and contact.status is ContactStatus.CLOSED

            await eventually(closed, within=10, what="the blocked contact closed")
            assert await store.attempts_of(contact_of(blocked)) == []
            # Its only contact closed, the campaign finishes by itself.
            await eventually(
                lambda: finished(server, admin), within=5, what="the campaign finished"
            )
            body = campaign_body("progressive", window=closed_now)
            second = "lab-outbound-window"
            status, answer = await server.request(
                "PUT", f"/api/v1/campaigns/{second}", body, token=admin
            )
            assert status in (200, 201), answer
            await upload(server, admin, second, [outside])
            await server.post(f"/api/v1/campaigns/{second}/start", token=admin)
            await dialer_rounds(server, 3)  # each looked at the contact, due at once
            contact = await store.contact(ContactId(f"{second}:{outside}"))
            attempts = await store.attempts_of(ContactId(f"{second}:{outside}"))
    assert attempts == [], attempts
    assert contact is not None and contact.status is ContactStatus.PENDING, contact
    assert contact.claim == 0, contact  # never claimed for a dial
    assert contact.next_at > time.time(), contact  # put off to the window's next opening


# Predictive with several agents ---------------------------------------------------------

PREDICTIVE_AGENTS = ["1001", "1002", "1003", "1004", "1005"]
# The law's cap is 3 %: a young campaign then dials progressively until 34 people have
# answered (one more abandon must fit, pacing rule 2), more than a minute of lab time.
# At 20 % it earns that room after 5; full_room 1 lets it take its full risk at once.
PREDICTIVE_CAP_PCT = 20.0
# Six contacts, repeated: half answer (and hang up after 2 s), the rest busy, never
# answering or failing: a person answers about one dial in two, so dialling ahead pays.
PREDICTIVE_MIX: list[CustomerKind] = [
    "answer_hangup_first",
    "busy",
    "answer_hangup_first",
    "no_answer",
    "answer_hangup_first",
    "unavailable",
]
ANSWERED_RESULTS = (  # a person's contact: connected, or abandoned and dialled again
    [AttemptResult.CONNECTED],
    [AttemptResult.ABANDONED, AttemptResult.CONNECTED],
    [AttemptResult.ABANDONED, AttemptResult.ABANDONED],
)


def most_at_once(attempts: list[DialAttempt]) -> int:
    """The most attempts in progress at one instant, each from its dial to its end."""
    # (instant, -1) sorts before (instant, 1): an attempt ending as another starts is not
    # counted with it (a progressive agent's next dial may start as its last one ends).
    edges = sorted([(a.started_at, 1) for a in attempts] + [(a.ended_at, -1) for a in attempts])
    return max(accumulate(step for _, step in edges), default=0)


def running_abandon_rates(attempts: list[DialAttempt]) -> list[float]:
    """Abandoned / answered by a person after each such outcome, in the order they were
    known (connected: the agent's answer; abandoned: the hold's end, 2 s after the answer).
    """
    known = sorted(
        (a.connected_at or (a.answered_at or a.started_at) + 2.0, a.result)
        for a in attempts
        if a.person
    )
    abandoned = accumulate(int(result is AttemptResult.ABANDONED) for _, result in known)
    return [gone / n for n, gone in enumerate(abandoned, start=1)]


async def test_a_predictive_campaign_dials_ahead_of_five_agents_within_the_abandon_cap(
    lab: LabInstance, server: ServerProcess
) -> None:
    """Five answering agents and 36 contacts of mixed outcomes. The campaign dials ahead:
    at some instant more calls are in progress than there are agents (a progressive dial
    holds its reserved agent from the dial to the end, so it never can), and the pacer's
    level goes over 1. Every contact ends done or closed by its retry rule, every attempt
    is recorded with its result, and abandoned / answered by a person stays within the cap
    after every outcome. The pacer bounds the chance of going over (pacing rule 3: calls
    already ringing may all be answered), not the count, so a small run is checked against
    a cap that leaves room: at 20 % the rule holds here with a wide margin."""
    await server.configure(outbound_yaml(PREDICTIVE_AGENTS))
    admin = await admin_token(server)
    await server.start()
    kinds = [PREDICTIVE_MIX[n % len(PREDICTIVE_MIX)] for n in range(36)]
    numbers = {customer_number(kind, 100 + n): kind for n, kind in enumerate(kinds)}
    pacing = {"mode": "predictive", "abandon_cap_pct": PREDICTIVE_CAP_PCT, "full_room": 1}
    # A quiet period of 1 s lets an abandoned contact be dialled again within the test.
    body = campaign_body("predictive", pacing=pacing, abandon_quiet=1)
    levels: list[float] = []

    async def sample_pacing_level() -> None:
        while True:
            level = await server.metric("cti_campaign_pacing_level", campaign=CAMPAIGN)
            levels.append(level or 0.0)
            await asyncio.sleep(0.25)

    async with Customers(lab), phones(*(Softphone(lab, a) for a in PREDICTIVE_AGENTS)):
        for agent in PREDICTIVE_AGENTS:
            await server.log_in(agent)
        await set_up_campaign(server, admin, body, list(numbers))
        sampler = asyncio.create_task(sample_pacing_level())
        try:
            await eventually(
                lambda: finished(server, admin), within=60, what="the campaign finished"
            )
        finally:
            sampler.cancel()
        summary = await campaign(server, admin)
    assert summary["progress"]["by_status"]["pending"] == 0, summary
    assert summary["progress"]["by_status"]["dialling"] == 0, summary
    every: list[DialAttempt] = []
    async with store_of(server) as store:
        for number, kind in numbers.items():
            attempts = await store.attempts_of(contact_of(number))
            contact = await store.contact(contact_of(number))
            every += attempts
            results = [a.result for a in attempts]
            assert contact is not None and contact.attempts == len(results), (number, contact)
            if kind == "answer_hangup_first":
                assert results in ANSWERED_RESULTS, (number, attempts)
                done = results[-1] is AttemptResult.CONNECTED
                assert contact.status is (ContactStatus.DONE if done else ContactStatus.CLOSED)
            else:
                expected = {
                    "busy": [AttemptResult.BUSY] * 2,
                    "no_answer": [AttemptResult.NO_ANSWER],
                    "unavailable": [AttemptResult.CONGESTION] * 2,
                }[kind]
                assert results == expected, (number, attempts)
                assert contact.status is ContactStatus.CLOSED, (number, contact)
            for attempt in attempts:
                assert attempt.person == (kind == "answer_hangup_first"), attempt
                if attempt.result is AttemptResult.CONNECTED:
                    assert attempt.agent in PREDICTIVE_AGENTS, attempt
                    assert attempt.connected_at - (attempt.answered_at or 0) < 2.0, attempt
    assert most_at_once(every) > len(PREDICTIVE_AGENTS), "never dialled ahead of the agents"
    assert any(a.mode is DialMode.PREDICTIVE for a in every), [a.mode for a in every]
    assert max(levels, default=0.0) > 1.0, levels  # more calls out than agents available
    rates = running_abandon_rates(every)
    assert all(rate <= PREDICTIVE_CAP_PCT / 100 for rate in rates), rates
