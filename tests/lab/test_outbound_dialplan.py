"""Dialplan contract v5 for outbound campaigns (issue 4), against the lab's Asterisk 22.

What the server sends: an async Originate (cti/ami/actions.py `originate`) of
`PJSIP/<number>@trunk` into `cti-outbound,<queue>,1`, ChannelId = the attempt id, with the
channel variables CTI_CALL_ID, CTI_CAMPAIGN, CTI_CALLER (the customer's number),
CTI_PRIORITY, CTI_AMD and CTI_CALLER_ID; later, if no agent took the call within 2 s, a
Redirect to `cti-abandon,s,1`. The customers are tests/sipp/customers.xml (cti/lab/sipp.py
Customers), which answer but send no audio at all; where a test needs the customer to
be heard (AMD), it sends the customer's RTP itself (`speak`: G.711 u-law from a local UDP
socket to the channel's RTP address, read with Getvar `CHANNEL(rtp,src)`; Asterisk's
strict RTP learns that source).

Facts from Asterisk 22 (observed here, asserted below):

1. app_amd declines to load without amd.conf ("Configuration file amd.conf missing",
   then "app_amd declined to load"): asterisk-config/amd.conf is needed besides its
   `load` in modules.conf (seen in Asterisk's log; every AMD test here depends on it).
2. An answered Originate into cti-outbound with CTI_AMD=0 enters the queue within 3 ms of
   its answer, and the two are NOT ordered: in a probe of 30 attempts, 13 CtiQueueEnter
   arrived before their OriginateResponse (Timestamps 0.02-2.3 ms apart either way; the
   arrival order matched the Timestamps; asserted here: less than 0.1 s apart). The
   server must take a CtiQueueEnter for an attempt whose OriginateResponse has not come
   yet. CtiQueueEnter has Queue = the
   extension, CallId = Uniqueid = the ChannelId, CallerPriority = CTI_PRIORITY (1000) and
   CallerNum = the customer's number (CTI_CALLER), while the event's own CallerIDNum is
   the number we presented (5550100): without cti-queue keeping CTI_CALLER, CallerNum
   would have been ours.
3. An inbound caller still gets CallerNum from its caller id (and CTI_CALL_ID = its
   Uniqueid, CallerPriority from X-CTI-Priority).
4. A Redirect of the waiting call to cti-abandon,s,1 gives CtiAbandonMessage (CallId,
   Campaign) in the same millisecond as the Redirect's answer; the channel's Hangup
   (Cause 16, Normal Clearing: the dialplan's Hangup()) comes when the message has been
   played: 10.48 s in the lab (the stand-in prompt, im-sorry&all-circuits-busy-now&
   to-call-this-number, 4.40 s, then SayDigits of 5550100, 6.08 s; Asterisk's Timestamps
   and our clock agree within 10 ms).
5. AMD() with amd.conf's defaults, by what the customer sends after answering:
   - silence (RTP, u-law 0xFF): AMDSTATUS MACHINE, AMDCAUSE INITIALSILENCE-2500-2500,
     about 2.56 s after the answer; then CtiOutboundMachine (CallId, Campaign, Cause),
     Hangup Cause 16, no CtiQueueEnter;
   - "hello" (0.3 s silence, 0.6 s of tone, silence): HUMAN, HUMAN-800-800, about 1.68 s
     after the answer, then CtiQueueEnter;
   - nothing at all (no RTP, the lab's customers as they are): NOT a machine. AMD counts
     only voice and comfort-noise frames as silence, so it runs to total_analysis_time:
     NOTSURE, TOOLONG-4900 (the time it counted), 5.01 s after the answer, then
     CtiQueueEnter, as for a person;
   - the customer hangs up during AMD (BYE after 2 s): HANGUP; no UserEvent at all, and
     the channel's Hangup has the customer's Cause 0.
6. The customers' SIPp exits 0 after every test (each call ended cleanly).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from panoramisk import Manager

from cti.ami import actions
from cti.lab.instance import LabInstance
from cti.lab.sipp import CustomerKind, Customers, customer_number, place_call
from tests.lab.ami_tap import Tap

pytestmark = pytest.mark.lab

QUEUE = "sales"
CAMPAIGN = "7"
PRESENTED = "5550100"  # the number we present: the Originate's CallerID and CTI_CALLER_ID
PRIORITY = "1000"
RING_MS = 4000
_serials = itertools.count(500)

# u-law payloads of 20 ms (160 samples): digital silence, and a full-scale 400 Hz square
# wave that AMD hears as voice.
SILENCE = b"\xff" * 160
TONE = (b"\x80" * 10 + b"\x00" * 10) * 8
Plan = Sequence[tuple[bytes, int]]  # (payload, milliseconds) in order


@dataclass(frozen=True, slots=True)
class Outbound:
    attempt: str  # the ChannelId: CTI_CALL_ID and the channel's Uniqueid
    number: str  # the customer's
    answered: dict[str, Any]  # the OriginateResponse


async def call_out(manager: Manager, tap: Tap, kind: CustomerKind, *, amd: bool) -> Outbound:
    """The campaign's Originate into cti-outbound; returns once the customer answered."""
    attempt = f"ob-test-{secrets.token_hex(6)}"
    number = customer_number(kind, next(_serials))
    action = actions.originate(
        channel_id=attempt,
        dial=f"PJSIP/{number}@trunk",
        to=("cti-outbound", QUEUE, "1"),
        ring_ms=RING_MS,
        caller_id=f'"Campaign {CAMPAIGN}" <{PRESENTED}>',
        variables={
            "CTI_CALL_ID": attempt,
            "CTI_CAMPAIGN": CAMPAIGN,
            "CTI_CALLER": number,
            "CTI_PRIORITY": PRIORITY,
            "CTI_AMD": "1" if amd else "0",
            "CTI_CALLER_ID": PRESENTED,
        },
    )
    async with asyncio.timeout(5):
        # As cti/ami/link.py sends it (its rule 8): the acknowledgement is the answer.
        response = await manager.send_action(dict(action), as_list=False)
    assert response.get("Response") == "Success", response
    _, answered = await tap.first(
        lambda e: e.get("Event") == "OriginateResponse" and e.get("Uniqueid") == attempt,
        f"OriginateResponse of {attempt}",
    )
    assert answered["Response"] == "Success", answered
    return Outbound(attempt, number, answered)


def user_event(name: str, attempt: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e.get("UserEvent") == name and e.get("Uniqueid") == attempt


def hangup_of(attempt: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == attempt


def story(tap: Tap, attempt: str) -> list[str]:
    """The channel's UserEvents and Hangup, in order."""
    return [
        e.get("UserEvent") or e["Event"]
        for _, e in tap.events
        if e.get("Uniqueid") == attempt and e.get("Event") in ("UserEvent", "Hangup")
    ]


def amd_result(tap: Tap, attempt: str) -> tuple[str, str, float]:
    """AMDSTATUS, AMDCAUSE (VarSet, class dialplan) and when they were set (Timestamp)."""
    found = {
        e["Variable"]: e
        for _, e in tap.events
        if e.get("Event") == "VarSet" and e.get("Uniqueid") == attempt
    }
    status, cause = found["AMDSTATUS"], found["AMDCAUSE"]
    return status["Value"], cause.get("Value", ""), float(status["Timestamp"])


def since(event: dict[str, Any], start: dict[str, Any]) -> float:
    return float(event["Timestamp"]) - float(start["Timestamp"])


async def speak(manager: Manager, attempt: str, plan: Plan) -> None:
    """Be the customer's voice: send `plan` as RTP to the channel, in real time."""
    address = await manager.send_action(
        {"Action": "Getvar", "Channel": attempt, "Variable": "CHANNEL(rtp,src)"}
    )
    host, port = str(address["Value"]).rsplit(":", 1)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0), remote_addr=(host, int(port))
    )
    try:
        started, sent = time.monotonic(), 0
        for payload, ms in plan:
            for _ in range(ms // 20):
                # RTP: version 2, payload type 0 (PCMU), sequence, timestamp, SSRC.
                header = struct.pack("!BBHII", 0x80, 0, sent & 0xFFFF, sent * 160, 0xC71)
                transport.sendto(header + payload)
                sent += 1
                await asyncio.sleep(max(0.0, started + sent * 0.02 - time.monotonic()))
    finally:
        transport.close()


async def test_answered_outbound_call_enters_the_queue_as_the_customer(
    ami: tuple[Manager, Tap], customers: Customers
) -> None:
    manager, tap = ami

    call = await call_out(manager, tap, "answer", amd=False)
    _, entered = await tap.first(user_event("CtiQueueEnter", call.attempt), "CtiQueueEnter")

    assert {k: entered[k] for k in ("Queue", "CallId", "CallerNum", "CallerPriority")} == {
        "Queue": QUEUE,
        "CallId": call.attempt,
        "CallerNum": call.number,
        "CallerPriority": PRIORITY,
    }, entered
    assert (entered["Uniqueid"], entered["Context"]) == (call.attempt, "cti-queue"), entered
    assert entered["CallerIDNum"] == PRESENTED, entered  # what CallerNum would have been
    # No AMD: at once. Not ordered with the OriginateResponse: either may come first.
    assert abs(since(entered, call.answered)) < 0.1, entered
    await manager.send_action(dict(actions.hangup(call.attempt)))
    await tap.first(hangup_of(call.attempt), f"Hangup of {call.attempt}")
    assert story(tap, call.attempt) == ["CtiQueueEnter", "Hangup"]
    assert await customers.stop() == 0


async def test_inbound_caller_still_enters_with_its_caller_id(
    ami: tuple[Manager, Tap], lab: LabInstance
) -> None:
    _, tap = ami

    call = place_call(lab, QUEUE, "5551234", priority=3, hangup_after_ms=300, timeout_s=20)
    _, entered = await tap.first(
        lambda e: e.get("UserEvent") == "CtiQueueEnter" and e.get("CallerNum") == "5551234",
        "CtiQueueEnter of the inbound caller",
    )

    assert (entered["Queue"], entered["CallerPriority"]) == (QUEUE, "3"), entered
    assert entered["CallId"] == entered["Uniqueid"], entered
    assert await call.wait(10) == 0


async def test_abandon_message_names_the_call_then_hangs_up(
    ami: tuple[Manager, Tap], customers: Customers
) -> None:
    manager, tap = ami
    call = await call_out(manager, tap, "answer", amd=False)
    await tap.first(user_event("CtiQueueEnter", call.attempt), "CtiQueueEnter")

    redirected = time.monotonic()
    answer = await manager.send_action(dict(actions.redirect(call.attempt, "cti-abandon", "s", 1)))
    said, message = await tap.first(user_event("CtiAbandonMessage", call.attempt), "message")
    ended, hangup = await tap.first(hangup_of(call.attempt), "Hangup", within=20)

    assert answer.get("Response") == "Success", answer
    assert (message["CallId"], message["Campaign"]) == (call.attempt, CAMPAIGN), message
    assert said - redirected < 0.5
    # The stand-in prompt (4.40 s) and the seven digits of PRESENTED (6.08 s): fact 4.
    assert 10.0 <= since(hangup, message) < 11.0, (since(hangup, message), hangup)
    assert abs((ended - said) - since(hangup, message)) < 0.2
    assert (hangup["Cause"], hangup["Context"]) == ("16", "cti-abandon"), hangup
    assert story(tap, call.attempt) == ["CtiQueueEnter", "CtiAbandonMessage", "Hangup"]
    assert await customers.stop() == 0


@dataclass(frozen=True, slots=True)
class Heard:
    kind: CustomerKind
    plan: Plan  # what the customer says after answering
    status: str  # AMDSTATUS
    cause: str  # AMDCAUSE, or its prefix when it ends with a count of milliseconds
    after: tuple[float, float]  # seconds from the answer to AMD's verdict: [low, high)
    story: list[str]  # the channel's UserEvents and Hangup (after a CtiQueueEnter, ours)
    hangup_cause: str


AMD_CASES = {
    "silence": Heard(
        "answer",
        [(SILENCE, 5000)],
        "MACHINE",
        "INITIALSILENCE-2500-2500",
        (2.5, 3.2),
        ["CtiOutboundMachine", "Hangup"],
        "16",
    ),
    "hello": Heard(
        "answer",
        [(SILENCE, 300), (TONE, 600), (SILENCE, 2000)],
        "HUMAN",
        "HUMAN-800-800",
        (1.5, 2.3),
        ["CtiQueueEnter", "Hangup"],
        "16",
    ),
    "no_audio": Heard(
        "answer", [], "NOTSURE", "TOOLONG-", (5.0, 5.5), ["CtiQueueEnter", "Hangup"], "16"
    ),
    # The customer's BYE, without a Reason header, leaves the cause unknown.
    "hangs_up": Heard("answer_hangup_first", [], "HANGUP", "", (1.9, 2.5), ["Hangup"], "0"),
}


@pytest.mark.parametrize("case", list(AMD_CASES))
async def test_amd_tells_machines_from_people(
    ami: tuple[Manager, Tap], customers: Customers, case: str
) -> None:
    manager, tap = ami
    heard = AMD_CASES[case]

    call = await call_out(manager, tap, heard.kind, amd=True)
    voice = asyncio.create_task(speak(manager, call.attempt, heard.plan))
    try:
        if "CtiQueueEnter" in heard.story:  # a person: waits in the queue until we hang up
            await tap.first(user_event("CtiQueueEnter", call.attempt), "CtiQueueEnter")
            await manager.send_action(dict(actions.hangup(call.attempt)))
        _, hangup = await tap.first(hangup_of(call.attempt), f"Hangup of {call.attempt}")
    finally:
        voice.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await voice

    status, cause, decided = amd_result(tap, call.attempt)
    assert (status, cause[: len(heard.cause)]) == (heard.status, heard.cause), (status, cause)
    after = decided - float(call.answered["Timestamp"])
    assert heard.after[0] <= after < heard.after[1], (case, after)
    assert story(tap, call.attempt) == heard.story, story(tap, call.attempt)
    assert hangup["Cause"] == heard.hangup_cause, hangup
    machine = [e for _, e in tap.events if user_event("CtiOutboundMachine", call.attempt)(e)]
    assert [(e["CallId"], e["Campaign"], e["Cause"]) for e in machine] == (
        [(call.attempt, CAMPAIGN, cause)] if status == "MACHINE" else []
    ), machine
    assert await customers.stop() == 0
