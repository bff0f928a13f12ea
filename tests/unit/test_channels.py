"""CoreShowChannels entries read at a resync (cti/ami/channels.py): waiting callers and
calls connected to agents (C1).

The connected pair is copied from a CoreShowChannels response of the lab's Asterisk 22
(an inbound caller connected by cti-connect to agent 1001), trimmed of headers no reader
reads. List entries carry the ActionID and no Timestamp.
"""

from __future__ import annotations

from typing import Any

import pytest

from cti.ami.channels import bridged_pairs, connected_call, waiting_channel
from cti.ami.normalize import MalformedEvent
from cti.domain.ids import CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.inputs import ConnectedCall
from cti.domain.outbound.campaign import CampaignId
from cti.domain.queue import WaitingCall

AT = Instant(1796220990.0)  # the snapshot's receipt, on the server's clock


def same_clock(stamp: float) -> Instant:
    return Instant(min(stamp, AT))


def two_seconds_behind(stamp: float) -> Instant:
    """Asterisk's clock 2 s behind the server's."""
    return Instant(min(stamp + 2.0, AT))


def test_core_show_channel_in_the_holding_loop_is_a_waiting_channel() -> None:
    headers = {
        "Event": "CoreShowChannel",
        "Context": "cti-queue",
        "Uniqueid": "9.1",
        "ChanVariable": [
            "CTI_CALL_ID=9.1",
            "CTI_QUEUE=sales",
            "CTI_PRIORITY=2",
            "CTI_ENTERED=100.5",
            "CTI_CALLER=555",
        ],
    }

    assert waiting_channel(headers, two_seconds_behind) == WaitingCall(
        call=CallId("9.1"),
        channel=ChannelId("9.1"),
        queue=QueueId("sales"),
        priority=2,
        caller="555",
        entered_at=Instant(102.5),
    )


def test_core_show_channel_elsewhere_is_not_waiting() -> None:
    headers = {
        "Event": "CoreShowChannel",
        "Context": "cti-connect",
        "Uniqueid": "9.1",
        "ChanVariable": ["CTI_QUEUE=sales"],
    }

    assert waiting_channel(headers, same_clock) is None


def test_core_show_channel_without_entry_time_has_not_entered_yet() -> None:
    """Contract v8: it hears the queue's outage notice; its CtiQueueEnter will come (P20)."""
    headers = {
        "Event": "CoreShowChannel",
        "Context": "cti-queue",
        "Uniqueid": "9.1",
        "ChanVariable": "CTI_QUEUE=sales",
    }

    assert waiting_channel(headers, same_clock) is None


def test_core_show_channel_with_a_bad_entry_time_is_malformed() -> None:
    headers = {
        "Event": "CoreShowChannel",
        "Context": "cti-queue",
        "Uniqueid": "9.1",
        "ChanVariable": ["CTI_QUEUE=sales", "CTI_ENTERED=soon"],
    }

    with pytest.raises(MalformedEvent, match=r"CoreShowChannel 9\.1"):
        waiting_channel(headers, same_clock)


CALLER: dict[str, Any] = {
    "Event": "CoreShowChannel",
    "ActionID": "c",
    "Channel": "PJSIP/trunk-00000000",
    "ChannelState": "6",
    "Context": "cti-connect",
    "Exten": "s",
    "Priority": "2",
    "Uniqueid": "1796220968.0",
    "Linkedid": "1796220968.0",
    "ChanVariable": [
        "CTI_CALL_ID=1796220968.0",
        "CTI_QUEUE=support",
        "CTI_PRIORITY=0",
        "CTI_ENTERED=1796220968.321280",
        "CTI_CALLER=5551234",
        "CTI_AGENT=1001",
        "CTI_ANSWERED=",
        "CTI_CAMPAIGN=",
    ],
    "Application": "Dial",
    "ApplicationData": "PJSIP/1001,33,gU(cti-answered^s^1)",
    "Duration": "00:00:02",
    "BridgeId": "26eda699-f859-44ec-baf6-af06a16be829",
}
LEG: dict[str, Any] = {
    "Event": "CoreShowChannel",
    "ActionID": "c",
    "Channel": "PJSIP/1001-00000001",
    "ChannelState": "6",
    "Context": "cti-agent",
    "Exten": "",
    "Priority": "1",
    "Uniqueid": "1796220968.1",
    "Linkedid": "1796220968.0",
    "ChanVariable": [
        "CTI_CALL_ID=1796220968.0",
        "CTI_QUEUE=support",
        "CTI_PRIORITY=0",
        "CTI_ENTERED=1796220968.321280",
        "CTI_CALLER=5551234",
        "CTI_AGENT=",
        "CTI_ANSWERED=1796220968.332955",
        "CTI_CAMPAIGN=",
    ],
    "Application": "AppDial",
    "ApplicationData": "(Outgoing Line)",
    "Duration": "00:00:02",
    "BridgeId": "26eda699-f859-44ec-baf6-af06a16be829",
}
WAITING: dict[str, Any] = {**CALLER, "Context": "cti-queue", "Uniqueid": "7.1", "BridgeId": ""}


def test_a_caller_in_cti_connect_bridged_with_one_leg_is_a_connected_pair() -> None:
    assert bridged_pairs([WAITING, LEG, CALLER]) == [(CALLER, LEG)]


@pytest.mark.parametrize(
    "entries",
    [
        [CALLER],  # alone in its bridge (the leg already gone)
        [CALLER, LEG, {**LEG, "Uniqueid": "9.9"}],  # three channels
        [{**CALLER, "Context": "cti-consult"}, LEG],  # two agent legs: a consultation
        [CALLER, {**LEG, "BridgeId": "another"}],
    ],
)
def test_other_bridges_are_no_connected_call(entries: list[dict[str, Any]]) -> None:
    assert bridged_pairs(entries) == []


def test_a_connected_call_starts_its_talk_when_the_agent_answered() -> None:
    assert connected_call(CALLER, LEG, AT, two_seconds_behind) == ConnectedCall(
        call=CallId("1796220968.0"),
        channel=ChannelId("1796220968.0"),
        agent_channel=ChannelId("1796220968.1"),
        device=DeviceId("PJSIP/1001"),
        queue=QueueId("support"),
        caller="5551234",
        entered_at=Instant(1796220970.321280),
        answered_at=Instant(1796220970.332955),
    )


def test_a_campaign_call_also_gives_its_dial_time_from_the_channels_age() -> None:
    outbound = {
        **CALLER,
        "Uniqueid": "out-1796220960000-3",
        "ChanVariable": [
            "CTI_CALL_ID=out-1796220960000-3",
            "CTI_QUEUE=outbound",
            "CTI_ENTERED=1796220968.3",
            "CTI_CALLER=5559001",
            "CTI_CAMPAIGN=spring",
        ],
        "Duration": "00:01:05",
    }

    call = connected_call(outbound, LEG, AT, same_clock)

    assert call.campaign == CampaignId("spring")
    assert call.dialled_at == pytest.approx(AT - 65.5)
    assert (call.caller, call.queue) == ("5559001", "outbound")


def test_without_cti_answered_the_talk_starts_at_the_legs_creation() -> None:
    older = {**LEG, "ChanVariable": [v for v in LEG["ChanVariable"] if "ANSWERED" not in v]}

    assert connected_call(CALLER, older, AT, same_clock).answered_at == AT - 2.5


def test_asterisk_instants_are_never_later_than_the_snapshot() -> None:
    ahead = {**LEG, "ChanVariable": ["CTI_ANSWERED=1796221990.0"]}

    assert connected_call(CALLER, ahead, AT, same_clock).answered_at == AT


def test_a_connected_call_without_its_queue_is_malformed() -> None:
    broken = {**CALLER, "ChanVariable": ["CTI_ENTERED=1.0"]}

    with pytest.raises(MalformedEvent, match=r"CoreShowChannel 1796220968\.0"):
        connected_call(broken, LEG, AT, same_clock)
