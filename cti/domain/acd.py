"""The core: decide(state, input, now) -> Decision.

Rule 1: pure. Time arrives as `now` and on each input; nothing here reads a clock or logs.
One timeline: `now` is the engine's clock, and every input's `at` is on that same
timeline (cti/ami/timeline.py places Asterisk's times on it). An input is never later than
`now`: one stamped later is decided at `now`, so no deadline (a ring limit, a wrap-up
maximum) can be computed from an instant that has not come yet.
Rule 2: idempotent. A duplicated event changes nothing (it yields an Ignored note), so a
replayed or re-delivered AMI stream cannot corrupt the picture.
Rule 3: a channel that hung up is remembered for a while (`gone`), so a resync snapshot
taken before the hang-up but applied after it cannot bring the caller back.
Rule 4: after every input the core dispatches: waiting callers are offered to available
agents (cti/domain/dispatch.py); then running campaigns are paced and dialled
(cti/domain/outbound/). Commands are refused whole or applied whole.
Rule 5: an outbound call's channel is a dial until it is gone: its unanswered events are
the dialer's alone; once answered it is also a caller, handled like any other.
Rule 7: after dispatching and pacing, queues with nobody waiting keep offers armed in
Asterisk for their next callers (cti/domain/arming.py).
Rule 6: a resync re-adopts the calls Asterisk shows connected to agents that the core
does not know (cti/domain/adopt.py) before anything is dispatched.
"""

from __future__ import annotations

from dataclasses import replace
from typing import assert_never

from cti.domain import (
    adopt,
    arming,
    break_requests,
    callback,
    consult,
    desk,
    monitoring,
    nailed,
    outage,
    signin,
    telephony,
)
from cti.domain.commands import (
    BlockNumbers,
    CancelConsult,
    ClearNotice,
    CompleteTransfer,
    ConsultAgent,
    DecideBreak,
    EndMonitoring,
    EndWrapUp,
    FeedContacts,
    FlagOverdue,
    FlagSignIns,
    HaltCampaign,
    HangUp,
    LoadConfig,
    LogIn,
    LogOut,
    Monitor,
    PreviewDial,
    PreviewNext,
    PreviewSkip,
    QuietNumbers,
    RaiseFindings,
    RequestBreak,
    RestoreLogins,
    RestoreNotices,
    RunCampaign,
    SetNotice,
    SetNotReady,
    SetReady,
    TallyContacts,
    TransferToExtension,
    TransferToQueue,
    TransferToSurvey,
    UnblockNumbers,
)
from cti.domain.dispatch import dispatch
from cti.domain.effects import FindingRaised, Rejected
from cti.domain.ids import Instant
from cti.domain.inputs import (
    ArmAborted,
    ArmDisarmed,
    ArmTaken,
    ArmUnsure,
    CallbackDeclined,
    CallbackRequested,
    CallControlFailed,
    CallerQueued,
    ChannelHungUp,
    DeviceStateChanged,
    DialEnded,
    DialStarted,
    HangupRequested,
    Input,
    LineBridged,
    LineUp,
    MachineAnswered,
    NoticeHeard,
    OriginateEnded,
    PhoneRinging,
    Resynced,
    SpyStarted,
    SpyStopped,
    SurveyAnswered,
    TelephonyLost,
    Tick,
)
from cti.domain.outbound import dialing, measure, pacer, preview, running
from cti.domain.state import AcdState, Decision
from cti.domain.timers import on_tick
from cti.domain.work import GONE_MEMORY, Work

__all__ = ["GONE_MEMORY", "AcdState", "Decision", "decide"]


def decide(state: AcdState, event: Input, now: Instant) -> Decision:
    if event.at > now:  # rule 1: nothing is later than now
        event = replace(event, at=now)
    work = Work(state, event.at)
    try:
        _apply(work, event)
    except desk.CommandRefused as refused:
        note = Rejected(reason=refused.reason, code=refused.code)
        return Decision(state, refused.effects, (note,))
    nailed.keep_lines(work)
    dispatch(work)
    pacer.pace_all(work, tick=isinstance(event, Tick))
    if work.campaigns and pacer.pacing_inputs_changed(work):
        running.ask_for_contacts(work)
    arming.keep_arms(work)
    measure.observe(work)
    return work.decision()


def _apply(work: Work, event: Input) -> None:
    match event:
        case CallerQueued():
            telephony.on_caller_queued(work, event)
            dialing.on_queued(work, event.entry.channel, event.at)
        case ChannelHungUp() if monitoring.on_hung_up(work, event.channel):
            pass
        case ChannelHungUp() if nailed.on_hung_up(work, event.channel) and (
            event.channel not in work.legs
        ):
            pass  # a line carrying no talk; one that carries a talk ends it below
        case ChannelHungUp():
            if work.arms:
                arming.on_hung_up(work, event.channel)
            dial = dialing.is_dial(work, event.channel)
            caller = not dial or event.channel in work.callers
            if not consult.on_hung_up(work, event) and caller:
                telephony.on_hung_up(work, event)
            adopt.on_hung_up(work, event)
            dialing.on_hung_up(work, event)
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
                offer = work.offers.get(event.channel)
                telephony.on_dial_ended(work, event)
                dialing.on_answered_maybe(work, event.channel, offer)
        case LineUp():
            nailed.on_line_up(work, event)
        case LineBridged():
            offer = work.offers.get(event.channel)
            telephony.on_line_bridged(work, event)
            dialing.on_answered_maybe(work, event.channel, offer)
        case DeviceStateChanged():
            telephony.on_device_state(work, event)
        case SurveyAnswered():
            telephony.on_survey(work, event)
        case CallbackRequested():
            callback.on_requested(work, event)
        case CallbackDeclined():
            callback.on_declined(work, event)
        case CallControlFailed() if monitoring.on_control_failed(work, event):
            pass
        case CallControlFailed() if nailed.on_control_failed(work, event):
            pass
        case CallControlFailed():
            if dialing.on_control_failed(work, event.channel):
                return
            if not consult.on_control_failed(work, event):
                telephony.on_control_failed(work, event)
        case OriginateEnded() if monitoring.on_originate_ended(work, event):
            pass
        case OriginateEnded() if nailed.on_originate_ended(work, event):
            pass
        case OriginateEnded():
            dialing.on_originate_ended(work, event)
        case MachineAnswered():
            dialing.on_machine(work, event)
        case TelephonyLost():
            dialing.on_telephony_lost(work)
        case Resynced():
            arming.on_resynced(work, event)
            telephony.on_resynced(work, event, adopted=adopt.on_resynced(work, event))
            monitoring.on_resynced(work)
            outage.on_resynced(work)
            work.telephony_up = True
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
        case RunCampaign():
            running.on_run(work, event)
        case HaltCampaign():
            running.on_halt(work, event)
        case FeedContacts():
            running.on_feed(work, event)
        case BlockNumbers():
            running.on_block(work, event)
        case UnblockNumbers():
            running.on_unblock(work, event)
        case QuietNumbers():
            running.on_quiet(work, event)
        case TallyContacts():
            running.on_tally(work, event)
        case FlagOverdue():
            callback.on_flag_overdue(work, event)
        case FlagSignIns():
            signin.on_flag_signins(work, event)
        case RequestBreak():
            break_requests.on_request(work, event)
        case DecideBreak():
            break_requests.on_decide(work, event)
        case RaiseFindings():
            for finding in event.findings:
                work.emit(FindingRaised(finding=finding))
        case PreviewNext():
            preview.on_preview_next(work, event)
        case PreviewDial():
            preview.on_preview_dial(work, event)
        case PreviewSkip():
            preview.on_preview_skip(work, event)
        case Monitor():
            monitoring.on_monitor(work, event)
        case EndMonitoring():
            monitoring.on_end(work, event)
        case SpyStarted():
            monitoring.on_spy_started(work, event)
        case SpyStopped():
            monitoring.on_spy_stopped(work, event)
        case SetNotice():
            outage.on_set(work, event)
        case ClearNotice():
            outage.on_clear(work, event)
        case RestoreNotices():
            outage.on_restore(work, event)
        case NoticeHeard():
            outage.on_heard(work, event)
        case ArmTaken():
            arming.on_taken(work, event)
        case ArmAborted():
            arming.on_aborted(work, event)
        case ArmDisarmed():
            arming.on_disarmed(work, event)
        case ArmUnsure():
            arming.on_unsure(work, event)
        case _:
            assert_never(event)
