"""One test per parser (cti/ami/normalize.py): AMI headers in, domain inputs out.

Headers of the call-control events are copied out of events recorded from the lab's
Asterisk 22 (trimmed of headers no parser reads).
"""

from __future__ import annotations

from typing import Any

import pytest

from cti.ami.normalize import AmiReader, MalformedEvent, device_of, normalize
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.inputs import (
    ArmAborted,
    ArmTaken,
    CallbackDeclined,
    CallbackRequested,
    CallerQueued,
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    DialEnded,
    DialStarted,
    DialStatus,
    HangupRequested,
    LineBridged,
    LineUp,
    MachineAnswered,
    OriginateEnded,
    PhoneRinging,
    SpyStarted,
    SpyStopped,
    SurveyAnswered,
    TelephonyEvent,
)
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


def arrived(headers: dict[str, Any]) -> TelephonyEvent | None:
    """Read as the engine reads a frame that arrived the instant Asterisk stamped it."""
    return AmiReader().read(headers, Instant(float(headers.get("Timestamp", 0.0))))


def test_queue_enter_keeps_the_entry_as_far_before_the_event_as_asterisk_had_it() -> None:
    event = normalize(ENTER, at=Instant(1.0))

    assert event == CallerQueued(
        at=Instant(1.0),
        entry=WaitingCall(
            call=CallId("1700000009.7"),
            channel=ChannelId("1700000009.7"),
            queue=QueueId("support"),
            priority=5,
            caller="5551234",
            entered_at=Instant(0.75),
        ),
    )


def test_an_event_without_timestamp_is_at_its_receipt() -> None:
    headers = {k: v for k, v in ENTER.items() if k not in ("Timestamp", "Entered")}

    event = AmiReader().read(headers, received_at=Instant(42.0))

    assert isinstance(event, CallerQueued)
    assert event.at == event.entry.entered_at == 42.0


def test_reader_places_asterisk_times_on_the_servers_timeline() -> None:
    # Asterisk's clock is 5 s ahead; the frames took 10 ms, then 3 ms, to arrive.
    reader = AmiReader()
    first = reader.read({**ENTER, "Timestamp": "105.0", "Entered": "104.5"}, Instant(100.010))
    second = reader.read(
        {"Event": "Hangup", "Uniqueid": "1.2", "Cause": "16", "Timestamp": "106.0"},
        Instant(101.003),
    )

    assert isinstance(first, CallerQueued) and isinstance(second, ChannelHungUp)
    assert first.at == pytest.approx(100.010) and first.entry.entered_at == pytest.approx(99.51)
    assert second.at == pytest.approx(101.003)  # the smaller delay sets the offset
    assert reader.timeline.offset == pytest.approx(-4.997)


def test_a_known_event_with_a_bad_timestamp_is_malformed_and_an_unknown_one_ignored() -> None:
    broken = {"Event": "Hangup", "Uniqueid": "1.2", "Cause": "16", "Timestamp": "yesterday"}

    with pytest.raises(MalformedEvent, match=r"^Hangup: Timestamp"):
        AmiReader().read(broken, Instant(0))
    assert AmiReader().read({**broken, "Event": "Newexten"}, Instant(0)) is None


def test_hangup_becomes_channel_hung_up() -> None:
    headers = {"Event": "Hangup", "Uniqueid": "1.2", "Cause": "16", "Timestamp": "5.0"}

    assert arrived(headers) == ChannelHungUp(at=Instant(5.0), channel=ChannelId("1.2"), cause=16)


def test_events_without_a_parser_are_none() -> None:
    assert arrived({"Event": "Newexten", "Uniqueid": "1.2"}) is None
    assert arrived({"Event": "UserEvent", "UserEvent": "Other"}) is None


@pytest.mark.parametrize(
    "broken",
    [
        {k: v for k, v in ENTER.items() if k != "Queue"},
        {**ENTER, "CallerPriority": "high"},
        {**ENTER, "Queue": ""},
        {"Event": "Hangup", "Uniqueid": "1.2"},
    ],
)
def test_known_events_with_bad_headers_raise_malformed_event_naming_it(broken: dict) -> None:
    with pytest.raises(MalformedEvent, match=r"^(UserEvent/CtiQueueEnter|Hangup):"):
        normalize(broken, Instant(0))


def test_reader_names_user_events_by_their_user_event_name() -> None:
    assert AmiReader().name(ENTER) == "UserEvent/CtiQueueEnter"
    with pytest.raises(MalformedEvent):
        AmiReader().name({"Uniqueid": "1"})


# Pre-armed routing (contract v11): cti-take's word, sent from the caller's channel.
TAKEN = {
    **ENTER,
    "UserEvent": "CtiArmTaken",
    "Slot": "2",
    "Token": "1700000009000-4",
}


def test_an_arm_taken_is_the_caller_entering_and_the_arm_it_took() -> None:
    event = normalize(TAKEN, at=Instant(1.0))

    assert isinstance(event, ArmTaken)
    assert (event.queue, event.slot, event.token) == (QueueId("support"), 2, "1700000009000-4")
    # The same entry CtiQueueEnter would have given: CtiArmTaken stands for it.
    queued = normalize(ENTER, at=Instant(1.0))
    assert isinstance(queued, CallerQueued) and event.entry == queued.entry


def test_an_aborted_take_names_the_arm_and_the_taker() -> None:
    headers = {
        "Event": "UserEvent",
        "UserEvent": "CtiArmAborted",
        "Uniqueid": "1700000009.7",
        "Queue": "sales",
        "Slot": "1",
        "Token": "1700000009000-5",
        "CallId": "1700000009.7",
    }

    assert normalize(headers, at=Instant(3.0)) == ArmAborted(
        at=Instant(3.0),
        queue=QueueId("sales"),
        slot=1,
        token="1700000009000-5",
        channel=ChannelId("1700000009.7"),
    )


@pytest.mark.parametrize(
    "broken",
    [
        {**TAKEN, "Slot": "0"},
        {**TAKEN, "Slot": "one"},
        {**TAKEN, "Token": ""},
        {k: v for k, v in TAKEN.items() if k != "Token"},
        {**TAKEN, "Queue": ""},
        {**TAKEN, "UserEvent": "CtiArmAborted", "Slot": "-1"},
    ],
)
def test_arm_words_with_bad_headers_are_malformed(broken: dict[str, str]) -> None:
    with pytest.raises(MalformedEvent, match=r"^UserEvent/CtiArm(Taken|Aborted):"):
        normalize(broken, Instant(0))


# A caller (PJSIP/trunk-00000017) offered to device 1004 by cti-connect, recorded in the lab.
CALLER = {
    "Privilege": "call,all",
    "Channel": "PJSIP/trunk-00000017",
    "ChannelState": "6",
    "Context": "cti-connect",
    "Exten": "s",
    "Priority": "1",
    "Uniqueid": "1795466392.23",
    "Linkedid": "1795466392.23",
    "ChanVariable": ["CTI_CALL_ID=1795466392.23", "CTI_QUEUE=support", "CTI_AGENT=a-1004"],
}
DEST = {
    "DestChannel": "PJSIP/1004-00000018",
    "DestChannelState": "0",
    "DestContext": "cti-agent",
    "DestUniqueid": "1795466392.24",
    "DestLinkedid": "1795466392.23",
}
DIAL_BEGIN = {
    "Event": "DialBegin",
    "Timestamp": "1795466392.175451",
    **CALLER,
    **DEST,
    "DialString": "1004",
}
DIAL_STATE = {"Event": "DialState", "Timestamp": "1795466392.177028", **CALLER, **DEST}
DIAL_END = {"Event": "DialEnd", "Timestamp": "1795466392.178332", **CALLER, **DEST}
AT = Instant(1795466392.175451)


def test_dial_begin_becomes_dial_started_on_the_device_without_its_serial() -> None:
    assert arrived(DIAL_BEGIN) == DialStarted(
        at=AT,
        channel=ChannelId("1795466392.23"),
        agent_channel=ChannelId("1795466392.24"),
        device=DeviceId("PJSIP/1004"),
    )


def test_device_of_a_channel_name_drops_only_the_last_serial() -> None:
    assert device_of("PJSIP/1004-00000018") == "PJSIP/1004"
    assert device_of("PJSIP/agent-7-0000002a") == "PJSIP/agent-7"
    with pytest.raises(ValueError, match="serial"):
        device_of("PJSIP/1004")


def test_dial_events_of_an_originate_have_no_caller_and_are_none() -> None:
    # Recorded: Originate to PJSIP/1006 gives DialBegin/DialState with Dest* headers only.
    originated = {"Timestamp": "1795466337.5", **DEST}

    assert arrived({"Event": "DialBegin", **originated}) is None
    assert arrived({"Event": "DialState", **originated, "DialStatus": "RINGING"}) is None
    assert arrived({"Event": "DialEnd", **originated, "DialStatus": "ANSWER"}) is None


def test_dial_state_ringing_is_the_first_ring_of_the_offer() -> None:
    ringing = {**DIAL_STATE, "DestChannelState": "5", "DialStatus": "RINGING"}

    assert arrived(ringing) == PhoneRinging(
        at=Instant(1795466392.177028),
        channel=ChannelId("1795466392.23"),
        agent_channel=ChannelId("1795466392.24"),
    )


@pytest.mark.parametrize("status", ["PROCEEDING", "PROGRESS", "ANSWER", ""])
def test_dial_states_other_than_ringing_are_none(status: str) -> None:
    assert arrived({**DIAL_STATE, "DialStatus": status}) is None


@pytest.mark.parametrize(
    ("asterisk", "status"),
    [
        ("ANSWER", DialStatus.ANSWER),
        ("NOANSWER", DialStatus.NO_ANSWER),
        ("BUSY", DialStatus.BUSY),
        ("CHANUNAVAIL", DialStatus.UNAVAILABLE),
        ("CONGESTION", DialStatus.UNAVAILABLE),
        ("CANCEL", DialStatus.CANCEL),
        ("DONTCALL", DialStatus.OTHER),
        ("", DialStatus.OTHER),
    ],
)
def test_dial_end_maps_dial_status(asterisk: str, status: DialStatus) -> None:
    assert arrived({**DIAL_END, "DialStatus": asterisk}) == DialEnded(
        at=Instant(1795466392.178332),
        channel=ChannelId("1795466392.23"),
        agent_channel=ChannelId("1795466392.24"),
        status=status,
    )


def test_hangup_request_names_the_side_that_asked_to_hang_up() -> None:
    # Recorded: the agent's phone sent BYE first (P2).
    headers = {
        "Event": "HangupRequest",
        "Privilege": "call,all",
        "Timestamp": "1795466393.185391",
        "Channel": "PJSIP/1004-00000018",
        "Context": "cti-agent",
        "Uniqueid": "1795466392.24",
        "Linkedid": "1795466392.23",
        "Cause": "16",
    }

    assert arrived(headers) == HangupRequested(
        at=Instant(1795466393.185391), channel=ChannelId("1795466392.24")
    )


def test_hangup_request_without_a_cause_is_still_a_request() -> None:
    # Recorded: a caller hanging up during Record gives a HangupRequest with no Cause.
    headers = {"Event": "HangupRequest", "Timestamp": "5.0", "Uniqueid": "1.2"}

    assert arrived(headers) == HangupRequested(at=Instant(5.0), channel=ChannelId("1.2"))


def test_soft_hangup_request_is_not_a_release() -> None:
    # AMI Hangup and the dialplan's Hangup() give SoftHangupRequest: nobody's phone released.
    headers = {"Event": "SoftHangupRequest", "Uniqueid": "1.2", "Cause": "16"}

    assert arrived(headers) is None


@pytest.mark.parametrize(
    ("asterisk", "state"),
    [
        ("NOT_INUSE", DeviceState.NOT_IN_USE),
        ("INUSE", DeviceState.IN_USE),
        ("BUSY", DeviceState.BUSY),
        ("RINGING", DeviceState.RINGING),
        ("RINGINUSE", DeviceState.RING_IN_USE),
        ("ONHOLD", DeviceState.ON_HOLD),
        ("UNAVAILABLE", DeviceState.UNAVAILABLE),
        ("INVALID", DeviceState.INVALID),
        ("UNKNOWN", DeviceState.UNKNOWN),
    ],
)
def test_device_state_change_maps_every_asterisk_state(asterisk: str, state: DeviceState) -> None:
    headers = {
        "Event": "DeviceStateChange",
        "Privilege": "call,all",
        "Timestamp": "1795466392.042287",
        "Device": "PJSIP/1004",
        "State": asterisk,
    }

    assert arrived(headers) == DeviceStateChanged(
        at=Instant(1795466392.042287), device=DeviceId("PJSIP/1004"), state=state
    )


SURVEY = {
    "Event": "UserEvent",
    "Privilege": "user,all",
    "Timestamp": "1795466393.249998",
    "Channel": "PJSIP/trunk-00000017",
    "Context": "cti-survey",
    "Exten": "s",
    "Priority": "4",
    "Uniqueid": "1795466392.23",
    "Linkedid": "1795466392.23",
    "UserEvent": "CtiSurvey",
    "CallId": "1795466392.23",
    "Score": "4",
}


def test_survey_user_event_becomes_survey_answered() -> None:
    assert arrived(SURVEY) == SurveyAnswered(
        at=Instant(1795466393.249998),
        call=CallId("1795466392.23"),
        channel=ChannelId("1795466392.23"),
        score=4,
    )


CALLBACK = {
    **SURVEY,
    "Context": "cti-max-wait",
    "Exten": "support",
    "UserEvent": "CtiCallbackRequested",
    "CallerNum": "+15550101",
    "Queue": "support",
}


def test_callback_user_events_become_requests_and_declines() -> None:
    """P9, dialplan contract v6: the channel's Uniqueid finds the waiting caller."""
    at, channel = Instant(1795466393.249998), ChannelId("1795466392.23")
    assert arrived(CALLBACK) == CallbackRequested(at=at, channel=channel, number="+15550101")
    declined = {**CALLBACK, "UserEvent": "CtiCallbackDeclined"}
    del declined["CallerNum"]
    assert arrived(declined) == CallbackDeclined(at=at, channel=channel)


def test_a_nailed_up_line_that_waits_and_a_caller_bridged_to_it() -> None:
    """Issue 18, dialplan contract v9: CtiLineUp on the line, CtiLineConnect on the caller."""
    at = Instant(1795466393.249998)
    up = {**SURVEY, "Context": "cti-nailed", "Uniqueid": "line-1001-1", "UserEvent": "CtiLineUp"}
    del up["Score"], up["CallId"]
    up["Agent"] = "1001"
    assert arrived(up) == LineUp(at=at, channel=ChannelId("line-1001-1"), agent=AgentId("1001"))
    connect = {
        **SURVEY,
        "Context": "cti-line",
        "UserEvent": "CtiLineConnect",
        "Agent": "1001",
        "Line": "line-1001-1",
    }
    del connect["Score"]
    assert arrived(connect) == LineBridged(
        at=at,
        channel=ChannelId("1795466392.23"),
        line=ChannelId("line-1001-1"),
        agent=AgentId("1001"),
    )
    with pytest.raises(MalformedEvent, match=r"^UserEvent/CtiLineConnect:"):
        arrived({**connect, "Line": ""})


DIAL_RESULT = {
    **SURVEY,
    "Context": "cti-connect",
    "UserEvent": "CtiDialResult",
    "Agent": "1004",
    "Status": "CHANUNAVAIL",
}


def test_dial_result_names_the_agent_and_no_leg() -> None:
    result = {k: v for k, v in DIAL_RESULT.items() if k != "Score"}
    assert arrived(result) == DialEnded(
        at=Instant(1795466393.249998),
        channel=ChannelId("1795466392.23"),
        agent_channel=None,
        status=DialStatus.UNAVAILABLE,
        agent=AgentId("1004"),
    )


@pytest.mark.parametrize(
    "broken",
    [
        {**DIAL_BEGIN, "DestChannel": "PJSIP/1004"},
        {k: v for k, v in DIAL_BEGIN.items() if k != "DestUniqueid"},
        {k: v for k, v in DIAL_END.items() if k != "DialStatus"},
        {"Event": "HangupRequest", "Channel": "PJSIP/1004-00000018"},
        {"Event": "DeviceStateChange", "Device": "PJSIP/1004", "State": "SLEEPING"},
        {"Event": "DeviceStateChange", "Device": "", "State": "INUSE"},
        {"Event": "DeviceStateChange", "State": "INUSE"},
        {**SURVEY, "Score": "0"},
        {**SURVEY, "Score": "6"},
        {**SURVEY, "Score": "#"},
        {k: v for k, v in SURVEY.items() if k != "Score"},
    ],
)
def test_call_control_events_with_bad_headers_are_malformed(broken: dict) -> None:
    with pytest.raises(
        MalformedEvent, match=r"^(Dial\w+|HangupRequest|DeviceStateChange|UserEvent/CtiSurvey):"
    ):
        normalize(broken, Instant(0))


@pytest.mark.parametrize(
    ("response", "reason", "answered"),
    [("Success", "4", True), ("Failure", "3", False), ("Failure", "0", False)],
)
def test_originate_response_is_the_outcome_of_a_campaign_dial(
    response: str, reason: str, answered: bool
) -> None:
    """tests/lab/test_originate.py facts 2 and 3: Uniqueid is the ChannelId we gave."""
    frame = {
        "Event": "OriginateResponse",
        "Timestamp": "1700000000.5",
        "ActionID": "originate-out-1-1",
        "Response": response,
        "Channel": "PJSIP/5559000@trunk",
        "Reason": reason,
        "Uniqueid": "out-1-1",
    }
    assert arrived(frame) == OriginateEnded(
        at=Instant(1700000000.5),
        channel=ChannelId("out-1-1"),
        answered=answered,
        reason=int(reason),
    )


def test_originate_response_with_an_unknown_response_is_malformed() -> None:
    frame = {"Event": "OriginateResponse", "Response": "Maybe", "Reason": "0", "Uniqueid": "x"}
    with pytest.raises(MalformedEvent, match="OriginateResponse"):
        normalize(frame, Instant(0.0))


def test_outbound_machine_user_event_becomes_machine_answered() -> None:
    frame = {
        "Event": "UserEvent",
        "UserEvent": "CtiOutboundMachine",
        "Uniqueid": "out-1-1",
        "CallId": "out-1-1",
        "Campaign": "spring",
        "Cause": "INITIALSILENCE-2500-2500",
    }
    assert normalize(frame, Instant(3.0)) == MachineAnswered(
        at=Instant(3.0), channel=ChannelId("out-1-1"), cause="INITIALSILENCE-2500-2500"
    )


def test_chanspy_start_and_stop_name_the_supervisors_leg_and_the_spied_leg() -> None:
    start = {
        "Event": "ChanSpyStart",
        "SpyerChannel": "PJSIP/2001-00000007",
        "SpyerUniqueid": "spy-1-0",
        "SpyeeChannel": "PJSIP/1001-00000003",
        "SpyeeUniqueid": "1700000000.12",
    }
    assert normalize(start, Instant(5.0)) == SpyStarted(
        at=Instant(5.0), channel=ChannelId("spy-1-0"), target=ChannelId("1700000000.12")
    )
    stop = {
        "Event": "ChanSpyStop",
        "SpyerChannel": "PJSIP/2001-00000007",
        "SpyerUniqueid": "spy-1-0",
    }
    assert normalize(stop, Instant(6.0)) == SpyStopped(
        at=Instant(6.0), channel=ChannelId("spy-1-0")
    )


def test_chanspy_start_without_the_spied_leg_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="ChanSpyStart"):
        normalize({"Event": "ChanSpyStart", "SpyerUniqueid": "spy-1-0"}, Instant(0.0))
