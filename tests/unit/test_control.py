"""Call control (cti/ami/control.py): instructions to AMI actions, and how failures return.

The builders are pure and tested by value. AmiCallControl is tested here against a small
stand-in for the AMI link (what it sends, in which order, and what it reports back); the
lab test tests/lab/test_call_control.py runs the same instructions on a real Asterisk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from typing import Any

import pytest

from cti.ami.control import (
    AmiCallControl,
    InvalidInstruction,
    arm_value,
    plan,
    read_intent,
    ring_seconds,
)
from cti.ami.link import AmiActionFailed, AmiUnavailable
from cti.domain.effects import (
    ArmHead,
    ArmOffer,
    BridgeCall,
    ClearArms,
    ConnectCall,
    Disarm,
    HangUpChannel,
    Instruction,
    MoveCall,
    OpenLine,
    OriginateCall,
    ReturnToQueue,
    SendCall,
    SpyOnCall,
    StartConsult,
    SwitchSpy,
    TargetKind,
)
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.inputs import ArmDisarmed, ArmUnsure, CallControlFailed, Input
from cti.domain.outbound.campaign import CampaignId
from cti.domain.records import SpyMode

CHANNEL = ChannelId("1795466392.23")
FILE = "cti/2026/12/04/1795466392.23-1795466392123.wav"  # a recording (contract v10)


def offer(**changes: object) -> ConnectCall:
    values: dict[str, object] = {
        "call": CallId("1795466392.23"),
        "channel": CHANNEL,
        "queue": QueueId("support"),
        "agent": AgentId("a-1004"),
        "device": DeviceId("PJSIP/1004"),
        "ring_guard": 30.0,
    }
    values.update(changes)
    return ConnectCall(**values)  # type: ignore[arg-type]


def test_a_call_to_an_agent_on_a_nailed_up_line_is_bridged_to_the_line() -> None:
    """Dialplan contract v9 (issue 18), v10: CTI_OFFER = <line>^<recording>^<agent>, then
    cti-line."""
    assert plan(offer(line=ChannelId("line-a-1004-1"))) == [
        setvar("CTI_OFFER", "line-a-1004-1^^a-1004"),
        redirect("cti-line", "s", "1"),
    ]
    recorded = offer(line=ChannelId("line-a-1004-1"), recording=FILE)
    assert plan(recorded)[0] == setvar("CTI_OFFER", f"line-a-1004-1^{FILE}^a-1004")
    assert plan(offer(auto_answer=True))[-1] == redirect("cti-connect-auto", "s", "1")


def test_open_line_originates_the_agents_phone_into_cti_nailed() -> None:
    line = OpenLine(
        channel=ChannelId("line-1001-1"),
        agent=AgentId("1001"),
        device=DeviceId("PJSIP/1001"),
        ring_timeout=30.0,
        auto_answer=True,
    )
    [action] = plan(line)
    assert {k: action[k] for k in ("ChannelId", "Channel", "Context", "Exten", "Timeout")} == {
        "ChannelId": "line-1001-1",
        "Channel": "PJSIP/1001",
        "Context": "cti-nailed",
        "Exten": "s",
        "Timeout": "30000",
    }
    assert action["Variable"] == (
        "CTI_LINE_AGENT=1001,"
        "PJSIP_HEADER(add,Alert-Info)=<http://127.0.0.1>;info=alert-autoanswer;delay=0,"
        "PJSIP_HEADER(add,Call-Info)=<sip:127.0.0.1>;answer-after=0"
    )
    [plain] = plan(replace(line, auto_answer=False))
    assert plain["Variable"] == "CTI_LINE_AGENT=1001"


def redirect(context: str, exten: str, priority: str) -> dict[str, str]:
    return {
        "Action": "Redirect",
        "Channel": CHANNEL,
        "Context": context,
        "Exten": exten,
        "Priority": priority,
    }


def setvar(name: str, value: str) -> dict[str, str]:
    return {"Action": "Setvar", "Channel": CHANNEL, "Variable": name, "Value": value}


def test_connect_call_sets_the_dial_variables_then_redirects_to_cti_connect() -> None:
    # Dialplan contract v4: one Setvar, CTI_OFFER = <ring seconds>^<dial string>^<agent>;
    # cti-connect dials the device for the ring seconds (C3). v10: the recording's file
    # before the agent, empty for none (issue 16).
    assert plan(offer(ring_guard=22.5)) == [
        setvar("CTI_OFFER", "22.5^PJSIP/1004^^a-1004"),
        redirect("cti-connect", "s", "1"),
    ]
    assert plan(offer(ring_guard=22.5, recording=FILE))[0] == setvar(
        "CTI_OFFER", f"22.5^PJSIP/1004^{FILE}^a-1004"
    )


def test_an_agent_id_that_is_not_a_plain_name_is_not_sent() -> None:
    # The configuration refuses such ids (cti/domain/ids.py rule 3); call control keeps
    # the same rule, so a separator can never shift the offer's fields.
    with pytest.raises(InvalidInstruction, match="not a plain name"):
        plan(offer(agent=AgentId("a^b")))


def test_ring_guard_is_written_in_seconds_without_trailing_zeros() -> None:
    assert [ring_seconds(s) for s in (30.0, 22.5, 0.25, 12.3456)] == [
        "30",
        "22.5",
        "0.25",
        "12.346",
    ]


def test_return_to_queue_redirects_to_the_hold_label_keeping_the_place() -> None:
    instruction = ReturnToQueue(channel=CHANNEL, queue=QueueId("support"))

    assert plan(instruction) == [redirect("cti-queue", "support", "hold")]


@pytest.mark.parametrize(
    ("kind", "target", "expected"),
    [
        (TargetKind.QUEUE, "sales", redirect("cti-queue", "sales", "1")),  # P8
        (TargetKind.EXTENSION, "1008", redirect("cti-extension", "1008", "1")),  # P8
        (TargetKind.SURVEY, "", redirect("cti-survey", "s", "1")),  # P7
        (TargetKind.VOICEMAIL, "support", redirect("cti-max-wait", "support", "voicemail")),
        (TargetKind.CALLBACK, "support", redirect("cti-max-wait", "support", "callback")),  # P9
    ],
)
def test_send_call_redirects_to_the_context_of_its_kind(
    kind: TargetKind, target: str, expected: Mapping[str, str]
) -> None:
    assert plan(SendCall(channel=CHANNEL, kind=kind, target=target)) == [expected]


def test_move_call_sets_the_inheritable_queue_without_redirecting() -> None:
    assert plan(MoveCall(channel=CHANNEL, queue=QueueId("billing"))) == [
        setvar("__CTI_QUEUE", "billing")
    ]


def test_hang_up_channel_is_an_ami_hangup_by_uniqueid() -> None:
    assert plan(HangUpChannel(channel=CHANNEL)) == [
        {"Action": "Hangup", "Channel": CHANNEL, "Cause": "16"}
    ]


LEG, OTHER = ChannelId("1795466392.24"), ChannelId("1795466392.31")


def test_start_consult_sets_the_consult_dial_on_the_agent_leg_then_redirects_both() -> None:
    # Contract v3 (P8): one Redirect moves both legs of the talk, so neither is hung up.
    consult = StartConsult(
        channel=CHANNEL,
        agent_channel=LEG,
        agent=AgentId("1002"),
        device=DeviceId("PJSIP/1002"),
        ring_guard=33.0,
    )
    assert plan(consult) == [
        {"Action": "Setvar", "Channel": LEG, "Variable": "CTI_CONSULT_DIAL", "Value": "PJSIP/1002"},
        {"Action": "Setvar", "Channel": LEG, "Variable": "CTI_CONSULT_AGENT", "Value": "1002"},
        {"Action": "Setvar", "Channel": LEG, "Variable": "CTI_RING_SECONDS", "Value": "33"},
        {"Action": "Setvar", "Channel": LEG, "Variable": "CTI_CONSULT_RECORDING", "Value": ""},
        {
            "Action": "Redirect",
            "Channel": CHANNEL,
            "Context": "cti-hold",
            "Exten": "s",
            "Priority": "1",
            "ExtraChannel": LEG,
            "ExtraContext": "cti-consult",
            "ExtraExten": "s",
            "ExtraPriority": "1",
        },
    ]


def test_bridge_call_marks_the_consultation_over_then_bridges_the_caller() -> None:
    # The consulting leg must know before the caller takes the other leg from it.
    assert plan(BridgeCall(channel=CHANNEL, to=OTHER, consulting=LEG)) == [
        {"Action": "Setvar", "Channel": LEG, "Variable": "CTI_CONSULT_OVER", "Value": "1"},
        setvar("CTI_BRIDGE_WITH", OTHER),
        {
            "Action": "Redirect",
            "Channel": CHANNEL,
            "Context": "cti-bridge",
            "Exten": "s",
            "Priority": "1",
        },
    ]


@pytest.mark.parametrize(
    ("mode", "options"),
    [(SpyMode.LISTEN, "uESqd"), (SpyMode.WHISPER, "uESqdw"), (SpyMode.BARGE, "uESqdB")],
)
def test_spy_on_call_originates_the_supervisors_device_into_cti_spy(
    mode: SpyMode, options: str
) -> None:
    spy = SpyOnCall(
        channel=ChannelId("spy-1-0"),
        device=DeviceId("PJSIP/2001"),
        target=LEG,
        mode=mode,
        agent=AgentId("1001"),
        ring_timeout=30.0,
    )
    [action] = plan(spy)
    assert action == {
        "Action": "Originate",
        "ActionID": "originate-spy-1-0",
        "ChannelId": "spy-1-0",
        "Channel": "PJSIP/2001",
        "Context": "cti-spy",
        "Exten": "s",
        "Priority": "1",
        "Timeout": "30000",
        "CallerID": f'"{mode.value} 1001" <1001>',
        "Variable": f"CTI_SPY_TARGET={LEG},CTI_SPY_OPTIONS={options},CTI_SPY_AGENT=1001",
        "Async": "true",
    }


@pytest.mark.parametrize(
    ("mode", "key"), [(SpyMode.LISTEN, "4"), (SpyMode.WHISPER, "5"), (SpyMode.BARGE, "6")]
)
def test_switch_spy_keys_chanspys_mode_key_as_received_on_the_supervisors_leg(
    mode: SpyMode, key: str
) -> None:
    switch = SwitchSpy(channel=CHANNEL, target=LEG, mode=mode)
    assert plan(switch) == [
        {"Action": "PlayDTMF", "Channel": CHANNEL, "Digit": key, "Receive": "true"}
    ]


@pytest.mark.parametrize(
    "instruction",
    [
        StartConsult(
            channel=CHANNEL,
            agent_channel=LEG,
            agent=AgentId("1002"),
            device=DeviceId("PJSIP/1002,,tT"),
            ring_guard=33.0,
        ),
        BridgeCall(channel=CHANNEL, to=ChannelId("x\nAction: Hangup"), consulting=LEG),
        offer(device=DeviceId("PJSIP/1004&PJSIP/1005")),  # a second destination
        offer(device=DeviceId("PJSIP/1004,1,tT")),  # Dial options smuggled in
        offer(device=DeviceId("1004")),  # not a dial string
        offer(ring_guard=0.0),  # Dial would ring for ever
        offer(agent=AgentId("a\r\nAction: Hangup")),  # a second AMI action
        offer(channel=ChannelId("")),
        offer(recording="cti/2026/12/04/a,b(c).wav"),  # MixMonitor's arguments
        offer(recording="/etc/passwd"),  # only files the core names
        ReturnToQueue(channel=CHANNEL, queue=QueueId("x")),  # cti-queue matches 2+ chars
        ReturnToQueue(channel=CHANNEL, queue=QueueId("sup port")),
        SendCall(channel=CHANNEL, kind=TargetKind.EXTENSION, target="1001&1002"),
        SendCall(channel=CHANNEL, kind=TargetKind.QUEUE, target="-sales"),
        SendCall(channel=CHANNEL, kind=TargetKind.CALLBACK, target=""),
        MoveCall(channel=CHANNEL, queue=QueueId("billing,1")),
        SpyOnCall(  # a comma would add ChanSpy options or Originate variables
            channel=CHANNEL,
            device=DeviceId("PJSIP/2001"),
            target=ChannelId("1.2,w"),
            mode=SpyMode.LISTEN,
            agent=AgentId("1001"),
            ring_timeout=30.0,
        ),
        SpyOnCall(
            channel=CHANNEL,
            device=DeviceId("PJSIP/2001&PJSIP/2002"),
            target=LEG,
            mode=SpyMode.LISTEN,
            agent=AgentId("1001"),
            ring_timeout=30.0,
        ),
    ],
)
def test_values_that_would_break_the_dialplan_are_refused(instruction: Instruction) -> None:
    with pytest.raises(InvalidInstruction):
        plan(instruction)


class FakeLink:
    """Writes each action at once (`sent`); answers after `release` is set: with
    `failures[action]`, `answers[action]` or success. `down` refuses to write, as a link
    that is down does."""

    def __init__(
        self,
        failures: Mapping[str, Exception] | None = None,
        down: bool = False,
        answers: Mapping[str, object] | None = None,
    ) -> None:
        self.sent: list[str] = []
        self.release = asyncio.Event()
        self.failures = dict(failures or {})
        self.answers = dict(answers or {})
        self.down = down

    def post(
        self, action: Mapping[str, str], *, within: float | None = None
    ) -> Coroutine[Any, Any, object]:
        if self.down:
            raise AmiUnavailable(f"{action['Action']} not sent: the AMI link is down")
        self.sent.append(action["Action"])
        return self._answer(action["Action"])

    async def _answer(self, name: str) -> object:
        await self.release.wait()
        failure = self.failures.get(name)
        if failure is not None:
            raise failure
        return self.answers.get(name, {"Response": "Success"})


def control(link: FakeLink, inputs: list[Input], within: float = 1.0) -> AmiCallControl:
    return AmiCallControl(link, inputs.append, lambda: Instant(42.0), within)


async def settle(calls: AmiCallControl) -> None:
    async with asyncio.timeout(5):
        await calls.drain()


async def test_the_actions_of_an_instruction_are_all_written_before_perform_returns() -> None:
    link, inputs = FakeLink(), []
    calls = control(link, inputs)

    calls.perform(offer())
    sent_before_answers = list(link.sent)  # no await in between: written synchronously
    link.release.set()
    await settle(calls)

    assert sent_before_answers == ["Setvar", "Redirect"]
    assert inputs == []


async def test_a_refused_action_comes_back_as_call_control_failed_with_the_first_reason() -> None:
    gone = AmiActionFailed("Setvar", "No such channel")
    link, inputs = FakeLink({"Setvar": gone, "Redirect": AmiActionFailed("Redirect", "x")}), []
    link.release.set()
    calls = control(link, inputs)

    calls.perform(offer())
    await settle(calls)

    assert inputs == [
        CallControlFailed(
            at=Instant(42.0), channel=CHANNEL, reason="AMI Setvar failed: No such channel"
        )
    ]


async def test_a_link_that_is_down_fails_the_instruction_at_once() -> None:
    link, inputs = FakeLink(down=True), []
    calls = control(link, inputs)

    calls.perform(ReturnToQueue(channel=CHANNEL, queue=QueueId("support")))

    assert link.sent == [] and calls.in_flight == 0
    assert [i.reason for i in inputs if isinstance(i, CallControlFailed)] == [
        "Redirect not sent: the AMI link is down"
    ]


async def test_an_unanswered_instruction_fails_after_within_seconds() -> None:
    link, inputs = FakeLink(), []  # never released: Asterisk never answers
    calls = control(link, inputs, within=0.05)

    calls.perform(HangUpChannel(channel=CHANNEL))
    await settle(calls)

    assert len(inputs) == 1
    failed = inputs[0]
    assert isinstance(failed, CallControlFailed)
    assert failed.channel == CHANNEL and "within 0.05 s" in failed.reason


async def test_an_invalid_instruction_is_reported_not_raised() -> None:
    link, inputs = FakeLink(), []
    calls = control(link, inputs)

    calls.perform(SendCall(channel=CHANNEL, kind=TargetKind.EXTENSION, target="1&2"))
    await settle(calls)

    assert link.sent == []
    assert isinstance(inputs[0], CallControlFailed) and "extension" in inputs[0].reason


async def test_aclose_cancels_what_is_in_flight() -> None:
    link, inputs = FakeLink(), []
    calls = control(link, inputs, within=60)
    calls.perform(HangUpChannel(channel=CHANNEL))
    await asyncio.sleep(0)

    await calls.aclose()

    assert calls.in_flight == 0 and inputs == []


def test_perform_outside_an_event_loop_does_not_raise() -> None:
    inputs: list[Input] = []

    control(FakeLink(), inputs).perform(HangUpChannel(channel=CHANNEL))

    assert inputs == []


def test_invalid_instruction_is_a_value_error() -> None:
    assert issubclass(InvalidInstruction, ValueError)


def originate(**changes: object) -> OriginateCall:
    values: dict[str, object] = {
        "channel": ChannelId("out-1795466392000-7"),
        "campaign": CampaignId("spring"),
        "queue": QueueId("outbound"),
        "number": "+445550107",
        "caller_id": "+44 555 0100",
        "ring_timeout": 25.0,
        "machine_detection": True,
        "priority": 1000,
    }
    values.update(changes)
    return OriginateCall(**values)  # type: ignore[arg-type]


def test_an_outbound_dial_is_one_async_originate_into_cti_outbound() -> None:
    """Contract v5: the channel id is ours (every event of the attempt names it), the
    answered call starts in cti-outbound,<queue>,1 and carries what cti-queue and
    cti-abandon need; the trunk's dial string comes from the settings."""
    assert plan(originate(), "PJSIP/{number}@carrier") == [
        {
            "Action": "Originate",
            "ActionID": "originate-out-1795466392000-7",
            "ChannelId": "out-1795466392000-7",
            "Channel": "PJSIP/+445550107@carrier",
            "Context": "cti-outbound",
            "Exten": "outbound",
            "Priority": "1",
            "Timeout": "25000",
            "CallerID": "+44 555 0100",
            "Variable": "CTI_CALL_ID=out-1795466392000-7,CTI_CAMPAIGN=spring,"
            "CTI_CALLER=+445550107,CTI_PRIORITY=1000,CTI_AMD=1,CTI_CALLER_ID=445550100",
            "Async": "true",
        }
    ]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"number": "555,0107"}, "not a phone number"),
        ({"campaign": CampaignId("a,b")}, "not a plain name"),
        ({"queue": QueueId("x")}, "not a dialplan extension"),
        ({"ring_timeout": 0.0}, "must be positive"),
    ],
)
def test_an_outbound_dial_that_cannot_be_sent_safely_is_refused(
    changes: dict[str, object], problem: str
) -> None:
    with pytest.raises(InvalidInstruction, match=problem):
        plan(originate(**changes))


def test_the_abandon_message_is_a_redirect_to_cti_abandon() -> None:
    send = SendCall(channel=CHANNEL, kind=TargetKind.ABANDON, target="spring")
    assert plan(send) == [redirect("cti-abandon", "s", "1")]


# Pre-armed routing (contract v11, issue 17): arms are globals, one per queue and slot.
ARM = ArmOffer(
    queue=QueueId("support"),
    slot=2,
    token="1795466392123-7",
    agent=AgentId("a-1004"),
    device=DeviceId("PJSIP/1004"),
    ring_guard=30.0,
    recording=FILE,
)


def test_an_arm_is_one_global_holding_the_token_the_context_and_its_offer() -> None:
    assert plan(ARM) == [
        {
            "Action": "Setvar",
            "Variable": "CTI_ARM_support_2",
            "Value": f"1795466392123-7^cti-connect^30^PJSIP/1004^{FILE}^a-1004",
        }
    ]
    plain = replace(ARM, auto_answer=True, recording=None, ring_guard=12.5)
    assert arm_value(plain) == "1795466392123-7^cti-connect-auto^12.5^PJSIP/1004^^a-1004"


def test_a_disarm_empties_the_slot_before_it_reads_the_intent() -> None:
    disarm = Disarm(queue=QueueId("support"), slot=2, token=ARM.token)
    assert plan(disarm) == [
        {"Action": "Setvar", "Variable": "CTI_ARM_support_2", "Value": ""},
        {"Action": "Getvar", "Variable": "CTI_TAKE_support_2"},
    ]


def test_clearing_arms_empties_every_slot_of_every_queue_and_puts_the_heads_on_slot_1() -> None:
    clear = ClearArms(queues=(QueueId("sales"), QueueId("support")), slots=2)
    assert [(a["Variable"], a["Value"]) for a in plan(clear)] == [
        ("CTI_ARM_sales_1", ""),
        ("CTI_ARM_sales_2", ""),
        ("CTI_ARM_support_1", ""),
        ("CTI_ARM_support_2", ""),
        ("CTI_ARM_HEAD_sales", "1"),
        ("CTI_ARM_HEAD_support", "1"),
    ]


def test_the_head_is_the_slot_callers_try_first() -> None:
    assert plan(ArmHead(queue=QueueId("support"), slot=3)) == [
        {"Action": "Setvar", "Variable": "CTI_ARM_HEAD_support", "Value": "3"}
    ]


@pytest.mark.parametrize(
    "arm",
    [
        replace(ARM, token="7^cti-outbound"),
        replace(ARM, queue=QueueId("sup port")),
        replace(ARM, device=DeviceId("PJSIP/1004^x")),
        replace(ARM, agent=AgentId("a^b")),
    ],
)
def test_an_arm_that_would_break_the_dialplan_is_refused(arm: ArmOffer) -> None:
    with pytest.raises(InvalidInstruction):
        plan(arm)


def test_the_intent_is_the_token_and_the_takers_channel() -> None:
    assert read_intent("1795466392123-7^1795466392.23") == ("1795466392123-7", CHANNEL)
    assert read_intent("") == ("", None)


async def test_a_disarms_answer_comes_back_with_the_intent_it_read() -> None:
    intent = {"Response": "Success", "Variable": "CTI_TAKE_support_2", "Value": "9-1^1.2"}
    link, inputs = FakeLink(answers={"Getvar": intent}), []
    link.release.set()
    calls = control(link, inputs)

    calls.perform(Disarm(queue=QueueId("support"), slot=2, token=ARM.token))
    await settle(calls)

    assert link.sent == ["Setvar", "Getvar"]
    assert inputs == [
        ArmDisarmed(
            at=Instant(42.0),
            queue=QueueId("support"),
            slot=2,
            token=ARM.token,
            intent="9-1",
            taker=ChannelId("1.2"),
        )
    ]


async def test_an_unconfirmed_arm_or_disarm_is_unsure_and_a_clear_is_only_logged() -> None:
    refused = AmiActionFailed("Setvar", "Permission denied")
    link, inputs = FakeLink({"Setvar": refused}), []
    link.release.set()
    calls = control(link, inputs)

    calls.perform(ARM)
    calls.perform(ClearArms(queues=(QueueId("support"),), slots=2))
    await settle(calls)

    assert inputs == [
        ArmUnsure(
            at=Instant(42.0),
            queue=QueueId("support"),
            slot=2,
            token=ARM.token,
            reason="AMI Setvar failed: Permission denied",
        )
    ]


class RecordingLink(FakeLink):
    """FakeLink keeping the actions themselves."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.actions: list[Mapping[str, str]] = []

    def post(
        self, action: Mapping[str, str], *, within: float | None = None
    ) -> Coroutine[Any, Any, object]:
        self.actions.append(action)
        return super().post(action, within=within)


async def test_a_stop_withdraws_the_arms_it_leaves_and_waits_for_asterisk() -> None:
    link, inputs = RecordingLink(), []
    link.release.set()
    calls = control(link, inputs)

    async with asyncio.timeout(5):
        await calls.withdraw([(QueueId("support"), 1), (QueueId("sales"), 2)])

    assert [(a["Variable"], a["Value"]) for a in link.actions] == [
        ("CTI_ARM_support_1", ""),
        ("CTI_ARM_sales_2", ""),
    ]
    assert inputs == []


async def test_a_withdrawal_on_a_link_that_is_down_is_only_logged() -> None:
    link, inputs = FakeLink(down=True), []
    calls = control(link, inputs)

    await calls.withdraw([(QueueId("support"), 1)])

    assert link.sent == [] and inputs == []
