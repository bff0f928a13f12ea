"""End to end, callbacks (P9; issue 4, item 5): a real Asterisk (the lab), SIPp customers
behind the trunk, SIPp callers and agent phones, and `cti serve` driven through its API.

1. A callback an agent promised for a time is dialled at that time, with that agent
   reserved; one promised to an agent who is not there is an overdue finding.
2. A caller who waited too long and keyed 1 at the callback offer is called back before
   a caller who came after them and declined the offer (the place in line is kept).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from cti.domain.outbound.campaign import AttemptResult
from cti.domain.outbound.contact import ContactId, ContactStatus
from cti.lab.instance import LabInstance
from cti.lab.sipp import Customers, Softphone, customer_number, place_call
from tests.lab.scenarios import admin_token, store_of
from tests.lab.server import ServerProcess, eventually

pytestmark = pytest.mark.lab

QUEUE = "sales"
CALLBACKS = f"callbacks-{QUEUE}"


def sales_yaml(agents: list[str], **queue: object) -> str:
    """Queue `sales` (wrap-up ends by itself after 1 s, plus `queue`'s settings) served
    by `agents`, and a break reason."""
    settings = "".join(f", {key}: {value}" for key, value in queue.items())
    lines = [
        "queues:",
        f"  - {{id: {QUEUE}, max_wrap_up: 1{settings}}}",
        "reasons:",
        "  - {code: break, max_seconds: 900}",
        "agents:",
    ]
    lines += [f'  - {{id: "{a}", pin: "1234", queues: {{{QUEUE}: 0}}}}' for a in agents]
    return "\n".join(lines) + "\n"


async def callbacks_all_day(server: ServerProcess, admin: str, **extra: object) -> None:
    """The queue's callbacks campaign made ahead, so it may dial at any hour (UTC)."""
    body = {"queue": QUEUE, "window": {"start": "00:00", "end": "23:59:59"}, **extra}
    status, answer = await server.request(
        "PUT", f"/api/v1/campaigns/{CALLBACKS}", body, token=admin
    )
    assert status == 200 and answer["campaign"]["config"]["standing"], answer


def contact_of(number: str) -> ContactId:
    return ContactId(f"{CALLBACKS}:{number}")


async def promise(
    server: ServerProcess, agent: str, token: str, number: str, at: float, **body: Any
) -> dict[str, Any]:
    status, answer = await server.request(
        "POST",
        f"/api/v1/agents/{agent}/callbacks",
        {"number": number, "at": at, **body},
        token=token,
    )
    assert status == 201, answer
    return dict(answer["callback"])


async def test_a_promised_callback_is_dialled_at_its_time_and_an_unkept_one_is_a_finding(
    lab: LabInstance, server: ServerProcess
) -> None:
    await server.configure(sales_yaml(["1001", "1002"]))
    admin = await admin_token(server)
    await server.start()
    await callbacks_all_day(server, admin, callback_grace=1)
    kept, unkept = customer_number("answer_hangup_first", 21), customer_number("answer", 22)
    async with Customers(lab), Softphone(lab, "1001"), server.events() as tap:
        token = await server.log_in("1001")
        at = time.time() + 6.0
        await promise(server, "1001", token, kept, at, note="the refund")
        # 1002 never logs in: its callback cannot be kept.
        assert server.token is not None
        await promise(server, "1002", server.token, unkept, time.time() + 1.0)
        async with store_of(server) as store:

            async def dialled() -> list[Any]:
                found = await store.attempts_of(contact_of(kept))
                return found if found and found[-1].result is AttemptResult.CONNECTED else []

            attempts = await eventually(dialled, within=30, what="the callback connected")
            contact = await store.contact(contact_of(kept))
            await tap.wait(
                lambda t: any(f["rule"] == "P9.callback_overdue" for f in t.findings()),
                within=15,
                what="the overdue finding",
            )
    [attempt] = attempts
    assert at - 0.05 <= attempt.started_at <= at + 2.5, (at, attempt)  # on time (P9)
    assert attempt.agent == "1001" and attempt.person, attempt
    assert contact is not None and contact.status is ContactStatus.DONE, contact
    [finding] = [f for f in tap.findings() if f["rule"] == "P9.callback_overdue"]
    assert finding["agent"] == "1002" and unkept in finding["detail"], finding


async def test_a_caller_who_asked_for_a_callback_is_called_back_in_their_place_in_line(
    lab: LabInstance, server: ServerProcess
) -> None:
    """The only agent is on a break. Caller A waits, is offered a callback after 3 s and
    keys 1 (and hangs up); caller B came a second later, keys 2 and keeps waiting. When
    the agent is ready, A is called back first; B is served after that call."""
    await server.configure(sales_yaml(["1001"], max_wait=3, max_wait_action="callback"))
    admin = await admin_token(server)
    await server.start()
    await callbacks_all_day(server, admin)
    a_number, b_number = customer_number("answer_hangup_first", 31), "5553002"
    async with (
        Customers(lab),
        Softphone(lab, "1001", "answer_hangup_first", talk_ms=3000),
        server.events() as tap,
    ):
        token = await server.log_in("1001")
        await server.post("/api/v1/agents/1001/not-ready", {"reason": "break"}, token=token)
        a = place_call(lab, QUEUE, a_number, survey_digit=1)
        await asyncio.sleep(1.0)
        b = place_call(lab, QUEUE, b_number, survey_digit=2)
        async with store_of(server) as store:

            async def stored() -> bool:
                return await store.contact(contact_of(a_number)) is not None

            await eventually(stored, within=20, what="A's callback stored")
            assert await a.wait(15) == 0  # A hung up after asking
            declined = "UserEvent/CtiCallbackDeclined"

            async def b_declined() -> bool:
                return bool(await server.metric("cti_ami_events_total", event=declined))

            await eventually(b_declined, within=15, what="B offered a callback, declining")
            assert b_number in await server.waiting(QUEUE), "B still waits"
            await server.post("/api/v1/agents/1001/ready", token=token)

            async def served_b() -> list[dict[str, Any]]:
                return [
                    o
                    for o in tap.offers()
                    if o["outcome"] == "answered" and tap.caller_of(o["call"]) == b_number
                ]

            [b_offer] = await eventually(served_b, within=40, what="B answered by 1001")
            attempts = await store.attempts_of(contact_of(a_number))
            contact = await store.contact(contact_of(a_number))
        assert await b.wait(20) == 0
    [attempt] = attempts
    assert attempt.result is AttemptResult.CONNECTED and attempt.agent == "1001", attempt
    assert attempt.ended_at <= b_offer["offered_at"], (attempt, b_offer)  # A first
    assert contact is not None and contact.place is not None, contact
    assert contact.place < b_offer["offered_at"], contact
