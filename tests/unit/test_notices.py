"""Outage notices in the core and on the wire (P20; cti/domain/notice.py rules 1-3,
cti/ami/control.py ApplyNotice, the CtiNotice UserEvent, the resync's rule for callers
still hearing a notice)."""

from __future__ import annotations

import pytest

from cti.ami.channels import waiting_channel
from cti.ami.control import InvalidInstruction, plan
from cti.ami.normalize import MalformedEvent, normalize
from cti.domain.commands import ClearNotice, RestoreNotices, SetNotice
from cti.domain.effects import ApplyNotice, NoticeChanged, NoticePlayed
from cti.domain.ids import ChannelId, Instant, QueueId
from cti.domain.inputs import NoticeHeard, Resynced
from cti.domain.notice import Notice, prompt_problem
from tests.unit.acd_kit import Acd, agent, config, queue

SUPPORT = QueueId("support")


def _acd() -> Acd:
    acd = Acd()
    acd.load(config([queue()], [agent("1001")]))
    return acd


def test_setting_applies_it_in_asterisk_and_tells_supervisors() -> None:
    acd = _acd()
    acd.feed(SetNotice(at=acd.now, queue=SUPPORT, prompt="all-circuits-busy-now", text="Outage",
                       by="supervisor:ann"))  # fmt: skip
    assert acd.of(ApplyNotice) == [ApplyNotice(queue=SUPPORT, prompt="all-circuits-busy-now")]
    [changed] = acd.of(NoticeChanged)
    assert changed.notice is not None and (changed.notice.text, changed.by) == (
        "Outage",
        "supervisor:ann",
    )
    acd.feed(ClearNotice(at=acd.now, queue=SUPPORT, by="supervisor:ann"))
    assert acd.of(ApplyNotice)[-1] == ApplyNotice(queue=SUPPORT, prompt=None)
    assert acd.state.notices == {}
    acd.feed(ClearNotice(at=acd.now, queue=SUPPORT))
    assert acd.rejected().reason == "queue support has no outage notice"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("queue_id", "prompt", "code"),
    [("nosuch", "beep", "not_found"), ("support", "beep,1", "invalid"),
     ("support", "../../etc/passwd", "invalid"), ("support", "", "invalid")],
)  # fmt: skip
def test_refusals_change_nothing(queue_id: str, prompt: str, code: str) -> None:
    acd = _acd()
    before = acd.state
    acd.feed(SetNotice(at=acd.now, queue=QueueId(queue_id), prompt=prompt))
    assert acd.rejected() is not None and acd.rejected().code == code  # type: ignore[union-attr]
    assert acd.state == before and acd.of(ApplyNotice) == []


def test_every_resync_and_the_restore_at_start_apply_the_notices_again() -> None:
    acd = _acd()
    notice = Notice(queue=SUPPORT, prompt="beep", text="", by="supervisor:ann", since=acd.now)
    acd.feed(RestoreNotices(at=acd.now, notices=(notice,)))
    acd.feed(Resynced(at=acd.now, waiting=()))
    assert acd.of(ApplyNotice) == [ApplyNotice(queue=SUPPORT, prompt="beep")] * 2


def test_a_caller_hearing_it_is_counted() -> None:
    acd = _acd()
    acd.feed(NoticeHeard(at=acd.now, channel=ChannelId("c1"), queue=SUPPORT))
    assert acd.of(NoticePlayed) == [NoticePlayed(queue=SUPPORT, channel="c1", at=acd.now)]


def test_prompts_are_sound_file_names_joined_by_ampersands() -> None:
    assert prompt_problem("custom/outage&vm-goodbye") is None
    for bad in ("a,b", "${X}", "x&", "&x", "a b", "x" * 201, "custom/../secret"):
        assert prompt_problem(bad) is not None, bad


def test_apply_notice_sets_or_empties_the_queues_global_variable() -> None:
    assert plan(ApplyNotice(queue=SUPPORT, prompt="beep&beep")) == [
        {"Action": "Setvar", "Variable": "CTI_NOTICE_support", "Value": "beep&beep"}
    ]
    assert plan(ApplyNotice(queue=SUPPORT, prompt=None)) == [
        {"Action": "Setvar", "Variable": "CTI_NOTICE_support", "Value": ""}
    ]
    with pytest.raises(InvalidInstruction):
        plan(ApplyNotice(queue=SUPPORT, prompt="beep,20"))


def test_the_user_event_names_the_callers_channel_and_queue() -> None:
    frame = {"Event": "UserEvent", "UserEvent": "CtiNotice", "Uniqueid": "c1", "Queue": "support",
             "CallId": "c1"}  # fmt: skip
    assert normalize(frame, Instant(4.0)) == NoticeHeard(at=Instant(4.0), channel="c1",
                                                          queue=SUPPORT)  # fmt: skip
    with pytest.raises(MalformedEvent):
        normalize({**frame, "Queue": ""}, Instant(4.0))


def test_a_caller_still_hearing_the_notice_is_not_taken_for_a_waiting_one_at_a_resync() -> None:
    entry = {"Event": "CoreShowChannel", "Context": "cti-queue", "Uniqueid": "c1",
             "ChanVariable": ["CTI_QUEUE=support", "CTI_ENTERED=", "CTI_CALL_ID=c1"]}  # fmt: skip
    assert waiting_channel(entry, lambda t: Instant(t)) is None
    entered = {**entry, "ChanVariable": ["CTI_QUEUE=support", "CTI_ENTERED=100.5"]}
    found = waiting_channel(entered, lambda t: Instant(t))
    assert found is not None and found.entered_at == 100.5
