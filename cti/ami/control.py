"""Call control: the core's instructions performed on Asterisk over AMI (the CallControl port).

Rule 1: `plan` is pure: one instruction becomes the AMI actions that perform it under the
dialplan contract (dialplan/README.md, version 11). Values that reach the dialplan are
checked first: a comma or `&` in a dial string would add Dial options or destinations, and
an extension the contexts' patterns do not match would hang the caller up, so such an
instruction raises InvalidInstruction instead of being sent.
Rule 2: `AmiCallControl.perform` never blocks and never raises. It writes the actions to
the link at once (the engine does not yield between deciding and sending) and starts a
task (kept referenced until it ends) that awaits Asterisk's answers; every failure (the
link is down, Asterisk refused an action, no answer within `within` seconds, an invalid
instruction) comes back to the engine as a CallControlFailed input through `submit`.
Nothing is retried: a late Redirect is worse than none, and the core decides what to do
instead. The arm instructions (pre-armed routing, cti/domain/arming.py) have no channel:
a Disarm's answer (the intent it read) comes back as ArmDisarmed, and a failed ArmOffer or
Disarm as ArmUnsure; a failed ClearArms is only logged (the next resync clears again).
Rule 3: the actions of one instruction are pipelined: all are written at once, in order,
and Asterisk runs one session's actions one after another in that order (manager.c reads
and executes a session's actions on one thread), so the Setvars of a ConnectCall are in
place before its Redirect, and the whole instruction costs one round trip. If an early
action fails (the channel is gone), the later ones fail the same way; the reason reported
is the first failure in action order. Instructions reach Asterisk in the order perform()
was called (perform() writes them before it returns), so a ReturnToQueue followed by a
ConnectCall for the same caller run in that order.

Facts from Asterisk 22 this relies on (manager.c, app_dial.c; checked in the lab):
- Redirect, Setvar and Hangup find a channel by name or by Uniqueid; the core's ChannelId
  is the Uniqueid.
- Redirect takes a label as its Priority (resolved with ast_findlabel_extension).
- Redirecting a caller out of a ringing Dial ends that Dial (DialEnd status CANCEL) and
  hangs up the agent's leg; the Redirect is how an offer is withdrawn.
- Dial's timeout accepts fractional seconds.
- Setvar of `__NAME` makes NAME inheritable and replaces an existing NAME.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from typing import Any, Final, Protocol, assert_never

from cti.ami import actions
from cti.ami.actions import Action
from cti.ami.link import AmiActionFailed, AmiUnavailable, first_of
from cti.domain.arm import ArmKey
from cti.domain.effects import (
    ApplyNotice,
    ArmHead,
    ArmOffer,
    BridgeCall,
    ChannelInstruction,
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
from cti.domain.ids import PLAIN_RULE, QUEUE_RULE, ChannelId, Instant
from cti.domain.inputs import ArmDisarmed, ArmUnsure, CallControlFailed, Input
from cti.domain.notice import prompt_problem
from cti.domain.recording import NAMED
from cti.domain.records import SpyMode

logger = logging.getLogger(__name__)

# Contexts, extensions and labels of the dialplan contract, version 11.
QUEUE_CONTEXT: Final = "cti-queue"
HOLD_LABEL: Final = "hold"
CONNECT_CONTEXT: Final = "cti-connect"
# One Setvar carries the whole offer: each Setvar costs Asterisk's manager a few tenths of
# a millisecond on every call's way to an agent (bench/route_latency.py; three Setvars
# measured 0.5-0.9 ms slower at p50 than one).
OFFER_VARIABLE: Final = "CTI_OFFER"
OFFER_SEPARATOR: Final = "^"
SURVEY_CONTEXT: Final = "cti-survey"
EXTENSION_CONTEXT: Final = "cti-extension"
MAX_WAIT_CONTEXT: Final = "cti-max-wait"
HOLD_CONTEXT: Final = "cti-hold"
CONSULT_CONTEXT: Final = "cti-consult"
BRIDGE_CONTEXT: Final = "cti-bridge"
OUTBOUND_CONTEXT: Final = "cti-outbound"  # an answered outbound call starts here (v5)
ABANDON_CONTEXT: Final = "cti-abandon"  # the law's message to an answered call no agent took
NOTICE_VARIABLE: Final = "CTI_NOTICE_"  # + the queue: its outage notice's prompt (P20, v8)
SPY_CONTEXT: Final = "cti-spy"  # a supervisor's leg runs ChanSpy on an agent's leg (v8)
LINE_CONTEXT: Final = "cti-nailed"  # an agent's nailed-up line waits here once answered (v9)
BRIDGE_LINE_CONTEXT: Final = "cti-line"  # a caller is bridged to a nailed-up line (v9)
CONNECT_AUTO_CONTEXT: Final = "cti-connect-auto"  # cti-connect with auto-answer headers (v9)
# The headers phones honour to answer by themselves: Alert-Info (Polycom, Yealink, Grandstream
# and others), Call-Info answer-after (Snom, Yealink, Cisco SPA, many softphones).
AUTO_ANSWER_HEADERS: Final = {
    "PJSIP_HEADER(add,Alert-Info)": "<http://127.0.0.1>;info=alert-autoanswer;delay=0",
    "PJSIP_HEADER(add,Call-Info)": "<sip:127.0.0.1>;answer-after=0",
}
ENTRY: Final = "s"
# ChanSpy's options per mode (app_chanspy.c): u the target is a Uniqueid, so nothing else
# matches; E end when that leg does; S stop at once if it is gone already; q no beep, no
# channel name spoken; d the keys 4, 5 and 6 switch to listen, whisper and barge; then
# w whisper to the spied-on leg (the agent) only, or B barge: talk to both parties.
SPY_OPTIONS: Final = {
    SpyMode.LISTEN: "uESqd",
    SpyMode.WHISPER: "uESqdw",
    SpyMode.BARGE: "uESqdB",
}
# A switch of mode is ChanSpy's own key (option d), received on the supervisor's leg: a
# Redirect does not take a channel out of ChanSpy (Asterisk 22, seen in the lab).
SPY_KEYS: Final = {SpyMode.LISTEN: "4", SpyMode.WHISPER: "5", SpyMode.BARGE: "6"}
DEFAULT_OUTBOUND_DIAL: Final = "PJSIP/{number}@trunk"  # settings: ami.outbound_dial
# Pre-armed routing (contract v11): slot k of queue q is the global CTI_ARM_<q>_<k>, the
# intent of a caller taking it CTI_TAKE_<q>_<k> (`<token>^<caller's Uniqueid>`); the
# dialplan's own slot count is the global CTI_ARM_SLOTS, and callers try the slots in
# ring order from the head CTI_ARM_HEAD_<q> (cti/domain/arm_ring.py).
ARM_VARIABLE: Final = "CTI_ARM_{queue}_{slot}"
HEAD_VARIABLE: Final = "CTI_ARM_HEAD_{queue}"
INTENT_VARIABLE: Final = "CTI_TAKE_{queue}_{slot}"
SLOTS_VARIABLE: Final = "CTI_ARM_SLOTS"

# The contexts match queues and extensions with `_[a-zA-Z0-9].`: two characters or more,
# the first a letter or digit. A Redirect to an extension that does not match is accepted
# by Asterisk and then hangs the caller up, so such names are refused here, by the rule
# the configuration checks queue ids with (cti/domain/ids.py rule 3).
EXTEN_RULE: Final = QUEUE_RULE
# An agent or campaign id written into a variable: the configuration's rule for them.
NAME_RULE: Final = PLAIN_RULE
# A dial string such as PJSIP/1001: no argument separators, option or variable syntax.
DEVICE_RULE: Final = re.compile(r"[A-Za-z0-9_-]+/[A-Za-z0-9_.@:/+=-]+")
# A campaign's number as dialled (cti/domain/outbound/contact.py normalize_number).
NUMBER_RULE: Final = re.compile(r"\+?[0-9]{3,15}")
# Any value written into an AMI header: printable ASCII on one line.
VALUE_RULE: Final = re.compile(r"[\x20-\x7e]*")
# A recording's file (cti/domain/recording.py rule 2): it goes into Dial's U() and
# MixMonitor's arguments, where `^`, `,` and `(` would mean something.
RECORDING_RULE: Final = NAMED
# An arm's token (cti/domain/arm.py arm_token).
TOKEN_RULE: Final = re.compile(r"[0-9]+-[0-9]+")


class InvalidInstruction(ValueError):
    """An instruction whose values cannot be sent safely to the dialplan."""


class ActionSender(Protocol):
    """What call control needs of the AMI link (cti/ami/link.py's AmiLink): `post` writes
    the action before it returns and raises AmiUnavailable when the link is down."""

    def post(
        self, action: Action, *, within: float | None = None
    ) -> Coroutine[Any, Any, object]: ...


def plan(instruction: Instruction, outbound_dial: str = DEFAULT_OUTBOUND_DIAL) -> list[Action]:
    """The AMI actions that perform `instruction`, in the order they must run (pure).
    `outbound_dial` is the dial string of a campaign's number, `{number}` standing for it."""
    match instruction:
        case ConnectCall():
            return _connect(instruction)
        case ReturnToQueue():
            queue = _exten(instruction.queue, "queue")
            return [actions.redirect(_channel(instruction), QUEUE_CONTEXT, queue, HOLD_LABEL)]
        case SendCall():
            return [_send_call(instruction)]
        case MoveCall():
            # Inheritable, like the dialplan's own Set(__CTI_QUEUE=...); no Redirect: the
            # caller keeps its music, and a resync (CoreShowChannels) reads the new queue.
            queue = _exten(instruction.queue, "queue")
            return [actions.setvar(_channel(instruction), "__CTI_QUEUE", queue)]
        case HangUpChannel():
            return [actions.hangup(_channel(instruction))]
        case StartConsult():
            return _start_consult(instruction)
        case BridgeCall():
            return _bridge(instruction)
        case OriginateCall():
            return [_originate(instruction, outbound_dial)]
        case OpenLine():
            return [_open_line(instruction)]
        case SpyOnCall():
            return [_spy(instruction)]
        case SwitchSpy():
            return [actions.play_dtmf(_channel(instruction), SPY_KEYS[instruction.mode])]
        case ApplyNotice():
            # A global variable per queue (no Channel: global), read by cti-queue as a
            # caller enters (contract v8); empty when cleared.
            queue = _exten(instruction.queue, "queue")
            prompt = "" if instruction.prompt is None else _prompt(instruction.prompt)
            return [actions.set_global(NOTICE_VARIABLE + queue, prompt)]
        case ArmOffer():
            return [actions.set_global(_slot(ARM_VARIABLE, instruction), arm_value(instruction))]
        case Disarm():
            # Dekker's order (cti-take): the slot emptied first, then the intent read.
            return [
                actions.set_global(_slot(ARM_VARIABLE, instruction), ""),
                actions.get_global(_slot(INTENT_VARIABLE, instruction)),
            ]
        case ArmHead():
            queue = _exten(instruction.queue, "queue")
            return [actions.set_global(HEAD_VARIABLE.format(queue=queue), str(instruction.slot))]
        case ClearArms():
            emptied = [
                actions.set_global(ARM_VARIABLE.format(queue=_exten(q, "queue"), slot=k), "")
                for q in instruction.queues
                for k in range(1, instruction.slots + 1)
            ]
            heads = [
                actions.set_global(HEAD_VARIABLE.format(queue=_exten(q, "queue")), "1")
                for q in instruction.queues
            ]
            return emptied + heads
        case _:
            assert_never(instruction)


def _slot(pattern: str, arm: ArmOffer | Disarm) -> str:
    return pattern.format(queue=_exten(arm.queue, "queue"), slot=arm.slot)


def arm_value(arm: ArmOffer) -> str:
    """CTI_ARM_<q>_<k>: `<token>^<context>^<CTI_OFFER for that context>` (contract v11);
    cti-take checks the phone (the offer's dial string) is idle before it takes it."""
    context = CONNECT_AUTO_CONTEXT if arm.auto_answer else CONNECT_CONTEXT
    guard = ring_seconds(_guard(arm.ring_guard))
    fields = (guard, _device(arm.device), _recording(arm.recording), _name(arm.agent, "agent"))
    return OFFER_SEPARATOR.join((_token(arm.token), context, *fields))


def read_intent(value: str) -> tuple[str, ChannelId | None]:
    """CTI_TAKE_<q>_<k> as a Disarm read it: the token and the taker's channel (empty when
    no caller ever committed to this slot)."""
    token, _, channel = value.partition(OFFER_SEPARATOR)
    return token, ChannelId(channel) if channel else None


def _token(token: str) -> str:
    if not TOKEN_RULE.fullmatch(token):
        raise InvalidInstruction(f"arm token {token!r} is not the core's")
    return token


def _originate(dial: OriginateCall, outbound_dial: str) -> Action:
    """Async Originate into cti-outbound,<queue>,1 (contract v5). The variables name the
    attempt (also the call id), the campaign, the customer's number as the caller, the
    answered call's place before inbound callers, detection, and the number presented
    (the abandon message says it)."""
    number = _number(dial.number)
    variables = {
        "CTI_CALL_ID": _value(dial.channel, "channel"),
        "CTI_CAMPAIGN": _name(dial.campaign, "campaign"),
        "CTI_CALLER": number,
        "CTI_PRIORITY": str(dial.priority),
        "CTI_AMD": "1" if dial.machine_detection else "0",
        "CTI_CALLER_ID": "".join(ch for ch in dial.caller_id if ch.isdigit()),
    }
    try:
        return actions.originate(
            channel_id=variables["CTI_CALL_ID"],
            dial=_device(outbound_dial.replace("{number}", number)),
            to=(OUTBOUND_CONTEXT, _exten(dial.queue, "queue"), "1"),
            ring_ms=round(_guard(dial.ring_timeout) * 1000),
            caller_id=_value(dial.caller_id, "caller id") if dial.caller_id else "",
            variables=variables,
        )
    except ValueError as exc:  # a comma in a value would split the Variable header
        raise InvalidInstruction(str(exc)) from None


def _open_line(line: OpenLine) -> Action:
    """Async Originate of the agent's phone into cti-nailed,s,1 (contract v9): its line,
    held open while the agent is ready; with `auto_answer`, the INVITE carries the headers
    that make a phone answer by itself (PJSIP_HEADER written through Originate's
    variables, which Asterisk sets on the new channel before it sends the INVITE)."""
    agent = _name(line.agent, "agent")
    variables = {"CTI_LINE_AGENT": agent}
    if line.auto_answer:
        variables |= AUTO_ANSWER_HEADERS
    shown = f'"Outbound line {agent}" <{agent}>'
    return _call_device(line, line.device, LINE_CONTEXT, line.ring_timeout, shown, variables)


def _call_device(
    instruction: OpenLine | SpyOnCall,
    device: str,
    context: str,
    ring_timeout: float,
    caller_id: str,
    variables: dict[str, str],
) -> Action:
    """Async Originate of one of our own devices into `context`,s,1."""
    try:
        return actions.originate(
            channel_id=_channel(instruction),
            dial=_device(device),
            to=(context, ENTRY, "1"),
            ring_ms=round(_guard(ring_timeout) * 1000),
            caller_id=caller_id,
            variables=variables,
        )
    except ValueError as exc:  # a comma in a value would split the Variable header
        raise InvalidInstruction(str(exc)) from None


def _spy(spy: SpyOnCall) -> Action:
    """Async Originate of the supervisor's device into cti-spy,s,1 (contract v8), with the
    agent's leg and ChanSpy's options in channel variables; the phone shows the agent."""
    agent = _name(spy.agent, "agent")
    variables = {
        "CTI_SPY_TARGET": _value(spy.target, "agent channel"),
        "CTI_SPY_OPTIONS": SPY_OPTIONS[spy.mode],
        "CTI_SPY_AGENT": agent,
    }
    shown = f'"{spy.mode.value} {agent}" <{agent}>'
    return _call_device(spy, spy.device, SPY_CONTEXT, spy.ring_timeout, shown, variables)


def _prompt(prompt: str) -> str:
    problem = prompt_problem(prompt)
    if problem is not None:
        raise InvalidInstruction(f"prompt {prompt!r}: {problem}")
    return prompt


def _number(number: str) -> str:
    if not NUMBER_RULE.fullmatch(number):
        raise InvalidInstruction(f"number {number!r} is not a phone number")
    return number


def _start_consult(consult: StartConsult) -> list[Action]:
    caller, leg = _channel(consult), _value(consult.agent_channel, "agent channel")
    return [
        actions.setvar(leg, "CTI_CONSULT_DIAL", _device(consult.device)),
        actions.setvar(leg, "CTI_CONSULT_AGENT", _name(consult.agent, "agent")),
        actions.setvar(leg, "CTI_RING_SECONDS", ring_seconds(_guard(consult.ring_guard))),
        actions.setvar(leg, "CTI_CONSULT_RECORDING", _recording(consult.recording)),
        actions.redirect_both(
            caller, (HOLD_CONTEXT, ENTRY, "1"), leg, (CONSULT_CONTEXT, ENTRY, "1")
        ),
    ]


def _bridge(bridge: BridgeCall) -> list[Action]:
    caller = _channel(bridge)
    return [
        actions.setvar(_value(bridge.consulting, "agent channel"), "CTI_CONSULT_OVER", "1"),
        actions.setvar(caller, "CTI_BRIDGE_WITH", _value(bridge.to, "agent channel")),
        actions.redirect(caller, BRIDGE_CONTEXT, ENTRY, 1),
    ]


def _connect(offer: ConnectCall) -> list[Action]:
    channel = _channel(offer)
    if offer.line is not None:  # contract v9: bridged to the agent's nailed-up line
        return [
            actions.setvar(channel, OFFER_VARIABLE, line_offer_value(offer, offer.line)),
            actions.redirect(channel, BRIDGE_LINE_CONTEXT, ENTRY, 1),
        ]
    context = CONNECT_AUTO_CONTEXT if offer.auto_answer else CONNECT_CONTEXT
    return [
        actions.setvar(channel, OFFER_VARIABLE, offer_value(offer)),
        actions.redirect(channel, context, ENTRY, 1),
    ]


def line_offer_value(offer: ConnectCall, line: str) -> str:
    """CTI_OFFER for cti-line: `<line's Uniqueid>^<recording>^<agent>` (contract v10; the
    recording's file, or empty for none)."""
    fields = (_value(line, "line"), _recording(offer.recording), _name(offer.agent, "agent"))
    return OFFER_SEPARATOR.join(fields)


def offer_value(offer: ConnectCall) -> str:
    """CTI_OFFER: `<ring seconds>^<dial string>^<recording>^<agent>` (contract v10; the
    recording's file, or empty for none). No field holds a `^`."""
    guard = ring_seconds(_guard(offer.ring_guard))
    device, agent = _device(offer.device), _name(offer.agent, "agent")
    return OFFER_SEPARATOR.join((guard, device, _recording(offer.recording), agent))


def _send_call(send: SendCall) -> Action:
    channel = _channel(send)
    match send.kind:
        case TargetKind.QUEUE:
            return actions.redirect(channel, QUEUE_CONTEXT, _exten(send.target, "queue"), 1)
        case TargetKind.EXTENSION:
            extension = _exten(send.target, "extension")
            return actions.redirect(channel, EXTENSION_CONTEXT, extension, 1)
        case TargetKind.SURVEY:
            return actions.redirect(channel, SURVEY_CONTEXT, ENTRY, 1)
        case TargetKind.ABANDON:
            return actions.redirect(channel, ABANDON_CONTEXT, ENTRY, 1)
        case TargetKind.VOICEMAIL | TargetKind.CALLBACK:
            # cti-max-wait,<queue>,<remedy>: the label names the remedy (voicemail|callback).
            queue = _exten(send.target, "queue")
            return actions.redirect(channel, MAX_WAIT_CONTEXT, queue, send.kind.value)
        case _:
            assert_never(send.kind)


def _device(device: str) -> str:
    if not DEVICE_RULE.fullmatch(device):
        raise InvalidInstruction(f"device {device!r} is not a plain dial string")
    return device


def _guard(ring_guard: float) -> float:
    if not ring_guard > 0:
        raise InvalidInstruction(f"ring guard {ring_guard!r} must be positive seconds")
    return ring_guard


def ring_seconds(guard: float) -> str:
    """Dial's timeout argument: seconds, up to milliseconds, without trailing zeros."""
    return f"{guard:.3f}".rstrip("0").rstrip(".")


def _channel(instruction: ChannelInstruction) -> str:
    return _value(instruction.channel, "channel")


def _exten(name: str, what: str) -> str:
    if not EXTEN_RULE.fullmatch(name):
        raise InvalidInstruction(f"{what} {name!r} is not a dialplan extension name")
    return name


def _recording(recording: str | None) -> str:
    if recording is None:
        return ""
    if not RECORDING_RULE.fullmatch(recording):
        raise InvalidInstruction(f"recording {recording!r} is not a file the core names")
    return recording


def _name(name: str, what: str) -> str:
    if not NAME_RULE.fullmatch(name):
        raise InvalidInstruction(f"{what} {name!r} is not a plain name")
    return name


def _value(value: str, what: str) -> str:
    if not value or not VALUE_RULE.fullmatch(value):
        raise InvalidInstruction(f"{what} {value!r} is empty or not printable ASCII")
    return value


class AmiCallControl:
    """The engine's CallControl port on one AMI link (rules 2 and 3 above)."""

    def __init__(
        self,
        link: ActionSender,
        submit: Callable[[Input], None],
        now: Callable[[], Instant],
        within: float,
        outbound_dial: str = DEFAULT_OUTBOUND_DIAL,
    ) -> None:
        self._link = link
        self._outbound_dial = outbound_dial
        self._submit = submit
        self._now = now
        self._within = within
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        """Instructions started and not yet finished."""
        return len(self._tasks)

    def perform(self, instruction: Instruction) -> None:
        """Write the instruction's actions now; never blocks, never raises (rules 2, 3)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no running loop: nothing can be sent, and submit may not be safe
            logger.exception("call control outside the event loop: %r", instruction)
            return
        try:
            steps = plan(instruction, self._outbound_dial)
            replies = self._post_all(steps)
        except (InvalidInstruction, AmiUnavailable) as exc:
            self._failed(instruction, str(exc))
            return
        except Exception as exc:  # rule 2: whatever happened, the core must hear of it
            logger.exception("call control %r failed unexpectedly", instruction)
            self._failed(instruction, f"unexpected error: {exc!r}")
            return
        task = loop.create_task(
            self._answers(instruction, steps, replies),
            name=f"call-control-{type(instruction).__name__}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def withdraw(self, arms: Iterable[ArmKey]) -> None:
        """Empty these arms' slots and wait for Asterisk's answers (at a stop: arms left
        behind stay valid, rule 6 of cti/domain/arming.py, but a stopped server should not
        leave callers taking offers nobody follows). Failures are only logged."""
        steps = [
            actions.set_global(ARM_VARIABLE.format(queue=_exten(q, "queue"), slot=k), "")
            for q, k in arms
        ]
        try:
            results = await asyncio.gather(*self._post_all(steps), return_exceptions=True)
        except (AmiUnavailable, InvalidInstruction) as exc:
            logger.warning("arms not withdrawn at the stop: %s", exc)
            return
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            logger.warning(
                "%d of %d arms not withdrawn at the stop: %r", len(failed), len(steps), failed[0]
            )
        elif steps:
            logger.info("%d arms withdrawn at the stop", len(steps))

    async def drain(self) -> None:
        """Wait until every instruction started so far has finished (or failed)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel what is still in flight (at shutdown) and wait for it to stop."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _post_all(self, steps: Sequence[Action]) -> list[Coroutine[Any, Any, object]]:
        """Write every action (rule 3); if one cannot be written, none is awaited."""
        replies: list[Coroutine[Any, Any, object]] = []
        try:
            for step in steps:
                replies.append(self._link.post(step, within=self._within))
        except BaseException:
            for reply in replies:
                reply.close()
            raise
        return replies

    async def _answers(
        self,
        instruction: Instruction,
        steps: Sequence[Action],
        replies: Sequence[Coroutine[Any, Any, object]],
    ) -> None:
        results: list[object] = []
        try:
            failure = await self._first_failure(steps, replies, results)
        except Exception as exc:  # rule 2
            logger.exception("call control %r failed unexpectedly", instruction)
            failure = f"unexpected error: {exc!r}"
        if failure is not None:
            self._failed(instruction, failure)
        elif isinstance(instruction, Disarm):
            self._disarmed(instruction, results[-1])
        else:
            logger.debug("performed %r", instruction)

    async def _first_failure(
        self,
        steps: Sequence[Action],
        replies: Sequence[Coroutine[Any, Any, object]],
        results: list[object],
    ) -> str | None:
        """The first failure in action order (rule 3), or None; `results` gets the answers."""
        try:
            async with asyncio.timeout(self._within):
                results += await asyncio.gather(*replies, return_exceptions=True)
        except TimeoutError:
            return f"no answer from Asterisk within {self._within:g} s"
        for step, result in zip(steps, results, strict=True):
            if isinstance(result, TimeoutError):
                return f"{step['Action']}: no answer from Asterisk within {self._within:g} s"
            if isinstance(result, AmiActionFailed | AmiUnavailable):
                return str(result)
            if isinstance(result, BaseException):
                raise result
        return None

    def _disarmed(self, disarm: Disarm, answer: object) -> None:
        first = first_of(answer)
        value = first.get("Value") if isinstance(first, Mapping) else None
        token, taker = read_intent(str(value or ""))
        heard = ArmDisarmed(
            at=self._now(),
            queue=disarm.queue,
            slot=disarm.slot,
            token=disarm.token,
            intent=token,
            taker=taker,
        )
        self._tell(heard, f"the disarm of {disarm.token}")

    def _failed(self, instruction: Instruction, reason: str) -> None:
        match instruction:
            case ApplyNotice():  # no channel: the next resync applies it again
                logger.warning("outage notice of %s not applied: %s", instruction.queue, reason)
            case ClearArms():  # the next resync clears them again
                logger.warning("arms not cleared: %s", reason)
            case ArmHead():  # callers meet the arms in another order until the next head
                logger.warning("head of %s's arms not moved: %s", instruction.queue, reason)
            case ArmOffer() | Disarm():
                logger.warning("arm %s of %s: %s", instruction.token, instruction.queue, reason)
                unsure = ArmUnsure(
                    at=self._now(),
                    queue=instruction.queue,
                    slot=instruction.slot,
                    token=instruction.token,
                    reason=reason,
                )
                self._tell(unsure, f"the failure of arm {instruction.token}")
            case _:
                logger.warning("call control on channel %s failed: %s", instruction.channel, reason)
                self._fail(instruction.channel, reason)

    def _tell(self, heard: Input, what: str) -> None:
        try:
            self._submit(heard)
        except Exception:
            logger.exception("could not report %s", what)

    def _fail(self, channel: ChannelId, reason: str) -> None:
        failed = CallControlFailed(at=self._now(), channel=channel, reason=reason)
        self._tell(failed, f"a call control failure on {channel}")
