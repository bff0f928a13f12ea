"""One test per parser (cti/ami/normalize.py): AMI headers in, domain inputs out."""

from __future__ import annotations

import pytest

from cti.ami.normalize import AmiReader, MalformedEvent, normalize, waiting_channel
from cti.domain.ids import CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import CallerQueued, ChannelHungUp
from cti.domain.queue import WaitingCall

ENTER = {
    "Event": "UserEvent",
    "UserEvent": "CtiQueueEnter",
    "Timestamp": "1700000010.500000",
    "Uniqueid": "1700000009.7",
    "Queue": "support",
    "CallId": "1700000009.7",
    "CallerPriority": "5",
    "CallerNum": "5551234",
    "Entered": "1700000010.250000",
}


def test_queue_enter_becomes_caller_queued_at_asterisk_time() -> None:
    event = normalize(ENTER, received_at=Instant(1.0))

    assert event == CallerQueued(
        at=Instant(1700000010.5),
        entry=WaitingCall(
            call=CallId("1700000009.7"),
            channel=ChannelId("1700000009.7"),
            queue=QueueId("support"),
            priority=5,
            caller="5551234",
            entered_at=Instant(1700000010.25),
        ),
    )


def test_receive_time_is_used_when_asterisk_sends_no_timestamp() -> None:
    headers = {k: v for k, v in ENTER.items() if k not in ("Timestamp", "Entered")}

    event = normalize(headers, received_at=Instant(42.0))

    assert isinstance(event, CallerQueued)
    assert event.at == event.entry.entered_at == 42.0


def test_hangup_becomes_channel_hung_up() -> None:
    headers = {"Event": "Hangup", "Uniqueid": "1.2", "Cause": "16", "Timestamp": "5.0"}

    assert normalize(headers, Instant(0)) == ChannelHungUp(
        at=Instant(5.0), channel=ChannelId("1.2"), cause=16
    )


def test_events_without_a_parser_are_none() -> None:
    assert normalize({"Event": "Newexten", "Uniqueid": "1.2"}, Instant(0)) is None
    assert normalize({"Event": "UserEvent", "UserEvent": "Other"}, Instant(0)) is None


@pytest.mark.parametrize(
    "broken",
    [
        {k: v for k, v in ENTER.items() if k != "Queue"},
        {**ENTER, "CallerPriority": "high"},
        {**ENTER, "Queue": ""},
        {"Event": "Hangup", "Uniqueid": "1.2"},
        {"Event": "Hangup", "Uniqueid": "1.2", "Cause": "16", "Timestamp": "yesterday"},
    ],
)
def test_known_events_with_bad_headers_raise_malformed_event_naming_it(broken: dict) -> None:
    with pytest.raises(MalformedEvent, match=r"^(UserEvent/CtiQueueEnter|Hangup):"):
        normalize(broken, Instant(0))


def test_reader_names_user_events_by_their_user_event_name() -> None:
    assert AmiReader().name(ENTER) == "UserEvent/CtiQueueEnter"
    with pytest.raises(MalformedEvent):
        AmiReader().name({"Uniqueid": "1"})


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

    assert waiting_channel(headers) == WaitingCall(
        call=CallId("9.1"),
        channel=ChannelId("9.1"),
        queue=QueueId("sales"),
        priority=2,
        caller="555",
        entered_at=Instant(100.5),
    )


def test_core_show_channel_elsewhere_is_not_waiting() -> None:
    headers = {
        "Event": "CoreShowChannel",
        "Context": "cti-connect",
        "Uniqueid": "9.1",
        "ChanVariable": ["CTI_QUEUE=sales"],
    }

    assert waiting_channel(headers) is None


def test_core_show_channel_without_entry_time_is_malformed() -> None:
    headers = {
        "Event": "CoreShowChannel",
        "Context": "cti-queue",
        "Uniqueid": "9.1",
        "ChanVariable": "CTI_QUEUE=sales",
    }

    with pytest.raises(MalformedEvent, match=r"CoreShowChannel 9\.1"):
        waiting_channel(headers)
