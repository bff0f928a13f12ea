"""The core: decide(state, input, now) -> Decision.

Rule 1: pure. Time arrives as `now` and on each input; nothing here reads a clock or logs.
Rule 2: idempotent. A duplicated event changes nothing (it yields an Ignored note), so a
replayed or re-delivered AMI stream cannot corrupt the picture.
Rule 3: a channel that hung up is remembered for a while (`gone`), so a resync snapshot
taken before the hang-up but applied after it cannot bring the caller back.
Rule 4: after every input the core dispatches: waiting callers are offered to available
agents (cti/domain/dispatch.py). Commands are refused whole or applied whole.
"""

from __future__ import annotations

from typing import assert_never

from cti.domain import consult, desk, telephony
from cti.domain.commands import (
    CancelConsult,
    CompleteTransfer,
    ConsultAgent,
    EndWrapUp,
    HangUp,
    LoadConfig,
    LogIn,
    LogOut,
    RestoreLogins,
    SetNotReady,
    SetReady,
    TransferToExtension,
    TransferToQueue,
    TransferToSurvey,
)
from cti.domain.dispatch import dispatch
from cti.domain.effects import Rejected
from cti.domain.ids import Instant
from cti.domain.inputs import (
    CallControlFailed,
    CallerQueued,
    ChannelHungUp,
    DeviceStateChanged,
    DialEnded,
    DialStarted,
    HangupRequested,
    Input,
    PhoneRinging,
    Resynced,
    SurveyAnswered,
    Tick,
)
from cti.domain.state import AcdState, Decision
from cti.domain.timers import on_tick
from cti.domain.work import GONE_MEMORY, Work

__all__ = ["GONE_MEMORY", "AcdState", "Decision", "decide"]


def decide(state: AcdState, event: Input, now: Instant) -> Decision:
    work = Work(state, event.at)
    try:
        _apply(work, event)
    except desk.CommandRefused as refused:
        note = Rejected(reason=refused.reason, code=refused.code)
        return Decision(state, refused.effects, (note,))
    dispatch(work)
    return work.decision()


def _apply(work: Work, event: Input) -> None:
    match event:
        case CallerQueued():
            telephony.on_caller_queued(work, event)
        case ChannelHungUp():
            if not consult.on_hung_up(work, event):
                telephony.on_hung_up(work, event)
        case HangupRequested():
            if not consult.hangup_requested(work, event.channel):
                telephony.on_hangup_requested(work, event)
        case DialStarted():
            if not consult.on_dial_started(work, event):
                telephony.on_dial_started(work, event)
        case PhoneRinging():
            if not consult.on_phone_ringing(work, event):
                telephony.on_phone_ringing(work, event)
        case DialEnded():
            if not consult.on_dial_ended(work, event):
                telephony.on_dial_ended(work, event)
        case DeviceStateChanged():
            telephony.on_device_state(work, event)
        case SurveyAnswered():
            telephony.on_survey(work, event)
        case CallControlFailed():
            if not consult.on_control_failed(work, event):
                telephony.on_control_failed(work, event)
        case Resynced():
            telephony.on_resynced(work, event)
        case Tick():
            on_tick(work)
        case LoadConfig():
            desk.on_load_config(work, event)
        case RestoreLogins():
            desk.on_restore_logins(work, event)
        case LogIn():
            desk.on_log_in(work, event)
        case LogOut():
            desk.on_log_out(work, event)
        case SetReady():
            desk.on_set_ready(work, event)
        case SetNotReady():
            desk.on_set_not_ready(work, event)
        case EndWrapUp():
            desk.on_end_wrap_up(work, event)
        case TransferToQueue():
            desk.on_transfer_to_queue(work, event)
        case TransferToExtension():
            desk.on_transfer_to_extension(work, event)
        case TransferToSurvey():
            desk.on_transfer_to_survey(work, event)
        case ConsultAgent():
            consult.on_consult(work, event)
        case CompleteTransfer():
            consult.on_complete(work, event)
        case CancelConsult():
            consult.on_cancel(work, event)
        case HangUp():
            desk.on_hang_up(work, event)
        case _:
            assert_never(event)
