"""Originate to customers behind the trunk, against the lab's Asterisk 22 (issue 4).

The customers are one SIPp (cti/lab/sipp.py Customers, tests/sipp/customers.xml) that
answers, is busy, never answers or fails as the dialled number's last digit says. Every
Originate here is what a campaign will send: `Async: true`, `Channel: PJSIP/<number>@trunk`,
Context/Exten/Priority into the lab-only [lab-outbound-probe] (asterisk-config/extensions.conf),
`Timeout` in ms, `CallerID`, `Variable`, `ActionID` and `ChannelId` (the new channel's
Uniqueid, chosen by us, so every event of the attempt can be found before any arrives).

Facts from Asterisk 22 (observed here, asserted below):

1. The action's own response is always `Response: Success`, `Message: Originate
   successfully queued`, even for a channel that cannot be created (unknown endpoint
   `PJSIP/5559000@nosuchendpoint`, unknown technology `NoSuchTech/5559000`). Every outcome
   comes later in one `OriginateResponse` event carrying the Originate's `ActionID`.
2. OriginateResponse `Response`/`Reason` by outcome (Timeout 4000 ms):
   answered (at once or after ringing): `Success`/`4`; no answer: `Failure`/`3`;
   486 busy: `Failure`/`0`; 503: `Failure`/`0`; channel not created: `Failure`/`0`.
   So Reason does NOT tell busy (5) or congestion (8) apart from failure: read the
   DialEnd `DialStatus` or the Hangup `Cause` (item 5) for that.
3. OriginateResponse `Uniqueid` is the Originate's `ChannelId` in every case, even when no
   channel was created. `Channel` is the real channel name (`PJSIP/trunk-0000000a`) when
   answered, and the `Channel` header as sent (`PJSIP/55590022@trunk`) otherwise.
   `CallerIDNum`/`CallerIDName` are the CallerID given. When answered it carries the
   channelvars under the header name `ChanVariable(PJSIP/trunk-0000000a)` (channel name in
   the header's name: `chan_vars` does not see them); on failure there are none.
4. The outbound channel is named after the endpoint (`PJSIP/trunk-<8 hex>`, not the
   number), and until answered it sits in the endpoint's context: its Newchannel,
   Newstate, DialBegin (`DestContext`) and, for failures, Hangup say `Context: cti-inbound`,
   `Exten: s`. Only once answered does it run the Originate's Context (here
   lab-outbound-probe). Its events, call and user classes: Newchannel, NewCallerid,
   NewConnectedLine, DialBegin (no caller side: no `Channel`/`Uniqueid`, only `Dest*`;
   `DialString: 55590000@trunk`), DialState `RINGING` when the customer sent 180,
   then DialEnd, then Hangup. DialBegin is not ordered with the channel's own events: under
   load a busy channel's HangupRequest arrived before its DialBegin (DialBegin still came
   before DialEnd in every run).
5. Per outcome (DialEnd `DialStatus`; Hangup `Cause`, `Cause-txt`, `TechCause`):
   answered, Asterisk hangs up: `ANSWER`; `16`, `Normal Clearing`, none;
   answered, the customer sends BYE first: `ANSWER`; `0`, `Unknown`, none;
   busy (486): `BUSY`; `17`, `User busy`, `486`;
   503: `CONGESTION`; `34`, `Circuit/channel congestion`, `503`;
   no answer: NO DialEnd at all; Hangup `19`, `User alerting, no answer`, `480`.
   A channel that cannot be created gives no channel event at all (no Newchannel, no
   Hangup): the OriginateResponse is the only news.
6. No answer ends at the Timeout: the OriginateResponse came 4.01 s after sending an
   Originate with `Timeout: 4000` (asserted: within [4.0, 4.5) s; the ring started within
   10 ms), the Hangup in the same millisecond. Asterisk counts the Timeout from the dial,
   so with the product's >= 15 s expect Timeout + ~10 ms.
7. `Variable` reaches the channel in both forms: one header `A=1,B=2` (comma-separated)
   or the header repeated (`Variable: A=1`, `Variable: B=2,C=3`); the probe's UserEvent
   sees every value (VarSet, class dialplan, shows them set before the dial, in reverse
   order; not asserted). A channelvar set this way (CTI_CALL_ID, in manager.conf) is on
   every event of the channel from NewCallerid on (DialBegin/DialState/DialEnd as
   `DestChanVariable`), but not on Newchannel.
8. panoramisk: for `Async: true` its `send_action` future resolves only when the
   OriginateResponse arrives (a list: the response, then the event), i.e. up to Timeout
   later; the event comes with the action's answer, not to event handlers (asserted: the
   test tap's fallback to the event stream is never needed). So cti/ami/link.py (its
   rule 8) sends an Originate with `as_list=False`, which makes the acknowledgement its
   answer, and always hands OriginateResponse to the event path
   (tests/unit/test_link_outcomes.py).
9. The customers SIPp exits 0 (every call passed) after each test, also after 10
   concurrent Originates of mixed outcomes.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from panoramisk import Manager

from cti.ami import actions
from cti.ami.normalize import chan_vars
from cti.lab.sipp import CustomerKind, Customers, customer_number
from tests.lab.ami_tap import WITHIN, Tap

pytestmark = pytest.mark.lab

TIMEOUT_MS = 4000  # short for the tests; campaigns ring at least 15 s
PROBE = "lab-outbound-probe"
_serials = itertools.count(1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """One Originate and what came of it."""

    channel_id: str
    response: dict[str, Any]  # the action's own response
    originate_response: dict[str, Any] | None  # the OriginateResponse event
    with_action: bool  # panoramisk gave the OriginateResponse as part of the action's answer
    took: float  # seconds from sending the action to the OriginateResponse


def originate_action(
    number: str,
    channel_id: str,
    *,
    endpoint: str = "trunk",
    variables: Mapping[str, str] | list[str],
    timeout_ms: int = TIMEOUT_MS,
) -> dict[str, Any]:
    """The product's Originate (cti/ami/actions.py) into the probe; a list of variables
    replaces its one comma-separated header with repeated ones (fact 7's other form)."""
    action: dict[str, Any] = dict(
        actions.originate(
            channel_id=channel_id,
            dial=f"PJSIP/{number}@{endpoint}",
            to=(PROBE, "s", "1"),
            ring_ms=timeout_ms,
            caller_id='"Campaign 7" <5550100>',
            variables=variables if isinstance(variables, Mapping) else {},
        )
    )
    if isinstance(variables, list):
        action["Variable"] = variables
    return action


async def originate(manager: Manager, tap: Tap, action: dict[str, Any]) -> Attempt:
    """Send an Originate; return once its response and its OriginateResponse arrived."""
    started = time.monotonic()
    async with asyncio.timeout(TIMEOUT_MS / 1000 + WITHIN):
        answer = await manager.send_action(action)
    took = time.monotonic() - started
    messages = [dict(m) for m in (answer if isinstance(answer, list) else [answer])]
    response = next(m for m in messages if "Event" not in m)
    found = next((m for m in messages if m.get("Event") == "OriginateResponse"), None)
    with_action = found is not None
    if found is None and response.get("Response") == "Success":
        # Not delivered with the action's answer: look for it among the events.
        arrived, found = await tap.first(
            lambda e: (
                e.get("Event") == "OriginateResponse" and e.get("ActionID") == action["ActionID"]
            ),
            f"OriginateResponse to {action['ActionID']}",
        )
        took = arrived - started
    return Attempt(
        channel_id=action["ChannelId"],
        response=response,
        originate_response=found,
        with_action=with_action,
        took=took,
    )


def new_channel_id() -> str:
    return f"orig-test-{secrets.token_hex(6)}"


def variables_of(channel_id: str, probe_wait: int) -> dict[str, str]:
    return {"CTI_CALL_ID": channel_id, "CTI_CAMPAIGN": "7", "PROBE_WAIT": str(probe_wait)}


def call_ids(event: dict[str, Any]) -> str | None:
    """CTI_CALL_ID from an event's channel variables (Dial* name them DestChanVariable)."""
    raw = event.get("ChanVariable", event.get("DestChanVariable", []))
    return chan_vars({"ChanVariable": raw}).get("CTI_CALL_ID")


def summary(attempt: Attempt, tap: Tap) -> dict[str, Any]:
    """What arrived for an attempt, in the few headers the server's parsers will read."""
    events = tap.of_channel(attempt.channel_id)
    got = attempt.originate_response or {}
    keep = ("Response", "Reason", "Channel", "Uniqueid", "Context", "Exten", "CallerIDNum")
    hangups = [e for e in events if e.get("Event") == "Hangup"]
    probes = [e for e in events if e.get("UserEvent") == "LabOutboundProbe"]
    return {
        "response": {k: attempt.response.get(k) for k in ("Response", "Message")},
        "originate_response": {k: got.get(k) for k in keep},
        "originate_response_vars": sorted(k for k in got if k.startswith("ChanVariable")),
        "events": [e.get("UserEvent") or e.get("Event") for e in events],
        "dial_end": [e["DialStatus"] for e in events if e.get("Event") == "DialEnd"],
        "hangup": [(e.get("Cause"), e.get("Cause-txt"), e.get("TechCause")) for e in hangups],
        "probe": [{k: e.get(k) for k in ("CallId", "Campaign", "CallerNum")} for e in probes],
        # manager.conf's channelvars include CTI_CALL_ID: the events that carry our value.
        "without_call_id": [
            e.get("UserEvent") or e.get("Event")
            for e in events
            if call_ids(e) != attempt.channel_id
        ],
        "took": round(attempt.took, 2),
    }


async def hung_up(tap: Tap, channel_id: str) -> dict[str, Any]:
    return (
        await tap.first(
            lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == channel_id,
            f"Hangup of {channel_id}",
        )
    )[1]


@dataclass(frozen=True, slots=True)
class Expected:
    response: str  # the OriginateResponse's Response
    reason: str  # and its Reason
    dial_end: list[str]  # DialStatus of the DialEnd events
    hangup: tuple[str, str, str | None]  # Cause, Cause-txt, TechCause of the Hangup


EXPECTED: dict[CustomerKind, Expected] = {
    "answer": Expected("Success", "4", ["ANSWER"], ("16", "Normal Clearing", None)),
    "answer_after_ring": Expected("Success", "4", ["ANSWER"], ("16", "Normal Clearing", None)),
    # The customer's BYE (no Reason header) leaves the cause unknown.
    "answer_hangup_first": Expected("Success", "4", ["ANSWER"], ("0", "Unknown", None)),
    "busy": Expected("Failure", "0", ["BUSY"], ("17", "User busy", "486")),
    "no_answer": Expected("Failure", "3", [], ("19", "User alerting, no answer", "480")),
    "unavailable": Expected(
        "Failure", "0", ["CONGESTION"], ("34", "Circuit/channel congestion", "503")
    ),
}


def check(attempt: Attempt, tap: Tap, kind: CustomerKind) -> dict[str, Any]:
    """Assert what Asterisk 22 reports for an attempt on a customer of `kind`."""
    expected, seen = EXPECTED[kind], summary(attempt, tap)
    answered = expected.response == "Success"
    got = seen["originate_response"]
    assert attempt.with_action, seen
    assert (got["Response"], got["Reason"], got["Uniqueid"]) == (
        expected.response,
        expected.reason,
        attempt.channel_id,
    ), (kind, seen)
    # The channel's name when answered; otherwise the Channel header as given.
    assert got["Channel"].startswith("PJSIP/trunk-" if answered else "PJSIP/5559"), (kind, seen)
    assert seen["originate_response_vars"] == (
        [f"ChanVariable({got['Channel']})"] if answered else []
    ), (kind, seen)
    events = seen["events"]
    assert events[:3] == ["Newchannel", "NewCallerid", "NewConnectedLine"], (kind, seen)
    # DialBegin is not ordered with the channel's own events (a busy's HangupRequest came
    # first under load), but it comes before the DialEnd.
    assert events.count("DialBegin") == 1, (kind, seen)
    rings = kind in ("no_answer", "answer_after_ring")
    assert events.count("DialState") == (1 if rings else 0), (kind, seen)
    if "DialEnd" in events:
        assert events.index("DialBegin") < events.index("DialEnd"), (kind, seen)
    assert events[-1] == "Hangup", (kind, seen)
    assert seen["dial_end"] == expected.dial_end, (kind, seen)
    assert seen["hangup"] == [expected.hangup], (kind, seen)
    assert seen["without_call_id"] == ["Newchannel"], (kind, seen)
    probe = [{"CallId": attempt.channel_id, "Campaign": "7", "CallerNum": "5550100"}]
    assert seen["probe"] == (probe if answered else []), (kind, seen)
    return seen


@pytest.mark.parametrize("kind", list(EXPECTED))
async def test_originate_to_a_customer_reports_the_outcome(
    ami: tuple[Manager, Tap], customers: Customers, kind: CustomerKind
) -> None:
    manager, tap = ami
    channel_id = new_channel_id()
    # The probe keeps the call up 1 s; 5 s when the customer is to hang up first (after 2 s).
    probe_wait = 5 if kind == "answer_hangup_first" else 1
    number = customer_number(kind, next(_serials))
    variables = variables_of(channel_id, probe_wait)
    action = originate_action(number, channel_id, variables=variables)

    attempt = await originate(manager, tap, action)
    await hung_up(tap, channel_id)

    seen = check(attempt, tap, kind)
    assert seen["response"] == {"Response": "Success", "Message": "Originate successfully queued"}
    if kind == "no_answer":  # the OriginateResponse comes when Timeout has run out
        assert TIMEOUT_MS / 1000 <= attempt.took < TIMEOUT_MS / 1000 + 0.5, seen
    assert await customers.stop() == 0  # SIPp: every call of the scenario passed


@pytest.mark.parametrize("channel", ["PJSIP/5559000@nosuchendpoint", "NoSuchTech/5559000"])
async def test_originate_to_a_channel_that_cannot_be_created(
    ami: tuple[Manager, Tap], channel: str
) -> None:
    manager, tap = ami
    channel_id = new_channel_id()
    action = originate_action("x", channel_id, variables=variables_of(channel_id, 1))
    action["Channel"] = channel

    attempt = await originate(manager, tap, action)
    # Asterisk publishes a channel's events and the OriginateResponse on its one manager
    # topic, in order: an event of the channel, were there one, came before the response.
    # And Asterisk, asked, has no such channel.
    listed = await manager.send_action(actions.core_show_channels())
    entries = listed if isinstance(listed, list) else [listed]
    assert all(e.get("Uniqueid") != channel_id for e in entries), entries

    seen = summary(attempt, tap)
    assert seen["response"] == {"Response": "Success", "Message": "Originate successfully queued"}
    assert attempt.with_action, seen
    got = seen["originate_response"]
    assert (got["Response"], got["Reason"]) == ("Failure", "0"), seen
    assert (got["Channel"], got["Uniqueid"]) == (channel, channel_id), seen
    assert seen["events"] == [], seen


async def test_customers_take_ten_concurrent_originates(
    ami: tuple[Manager, Tap], customers: Customers
) -> None:
    manager, tap = ami
    kinds = [list(EXPECTED)[n % len(EXPECTED)] for n in range(10)]
    originates = []
    for kind in kinds:
        channel_id = new_channel_id()
        # Variables as repeated headers this time (panoramisk writes a list as one header
        # per item); each header may hold one or several NAME=value pairs.
        variables = [f"CTI_CALL_ID={channel_id}", "CTI_CAMPAIGN=7,PROBE_WAIT=1"]
        if kind == "answer_hangup_first":
            variables[1] = "CTI_CAMPAIGN=7,PROBE_WAIT=5"
        number = customer_number(kind, next(_serials))
        originates.append(originate_action(number, channel_id, variables=variables))

    attempts = await asyncio.gather(*(originate(manager, tap, a) for a in originates))
    await asyncio.gather(*(hung_up(tap, a.channel_id) for a in attempts))

    for attempt, kind in zip(attempts, kinds, strict=True):
        check(attempt, tap, kind)
    assert await customers.stop() == 0
