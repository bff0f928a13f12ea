"""Call control against the lab's real Asterisk 22: each instruction of the core, performed
by AmiCallControl (cti/ami/control.py), and the AMI events it causes, read by the server's
own parsers (cti/ami/normalize.py) into the inputs the core expects.

C3 (offers, rings, withdrawal), P2 (who released first), P7 (survey), P8 (transfers),
P9 (callback), C2 (overflow: MoveCall), C1 (device states in a resync).
Every wait has a deadline; nothing sleeps to let something happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import pytest

from cti import settings
from cti.ami import actions
from cti.ami.control import AmiCallControl
from cti.ami.link import AmiLink, LinkCallbacks, LinkSettings, headers_of
from cti.ami.normalize import AmiReader, MalformedEvent, chan_vars, one
from cti.ami.resync import fetch_snapshot
from cti.domain.effects import (
    ConnectCall,
    HangUpChannel,
    Instruction,
    MoveCall,
    ReturnToQueue,
    SendCall,
    TargetKind,
)
from cti.domain.ids import AgentId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.inputs import (
    CallControlFailed,
    CallerQueued,
    ChannelHungUp,
    DeviceState,
    DeviceStateChanged,
    DialEnded,
    DialStarted,
    DialStatus,
    HangupRequested,
    Input,
    PhoneRinging,
    Resynced,
    SurveyAnswered,
)
from cti.domain.queue import WaitingCall
from cti.lab import sipp
from cti.lab.instance import LabInstance
from cti.lab.sipp import CallHandle, Softphone, place_call
from tests.waiting import eventually

pytestmark = pytest.mark.lab

T = TypeVar("T")
WITHIN = 12.0  # seconds any one expected event may take (the voicemail prompt is 5.7 s)
_callers = itertools.count(1)


def caller_number() -> str:
    return f"55577{next(_callers):02d}"


@dataclass
class Observed:
    """Every AMI event of one session, as raw headers and as core inputs, in arrival order,
    plus what call control submitted back (CallControlFailed)."""

    frames: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    reader: AmiReader = field(default_factory=AmiReader)  # its timeline places every time

    def on_frame(self, headers: Any) -> None:
        self.frames.append(dict(headers))
        try:
            read = self.reader.read(headers, Instant(time.time()))
        except MalformedEvent as exc:
            self.malformed.append(str(exc))
            read = None
        if read is not None:
            self.inputs.append(read)
        self.changed.set()

    def submit(self, item: Input) -> None:
        self.inputs.append(item)
        self.changed.set()

    async def first(
        self, kind: type[T], match: Callable[[T], bool], *, what: str, within: float = WITHIN
    ) -> T:
        """The first input of `kind` that matches, waiting for it up to `within` seconds."""
        return await self._wait(lambda: self.find(kind, match), what, within)

    def find(self, kind: type[T], match: Callable[[T], bool]) -> T | None:
        return next((i for i in self.inputs if isinstance(i, kind) and match(i)), None)

    def all(self, kind: type[T], match: Callable[[T], bool]) -> list[T]:
        return [i for i in self.inputs if isinstance(i, kind) and match(i)]

    async def frame(
        self, match: Callable[[dict[str, Any]], bool], *, what: str, after: int = 0
    ) -> tuple[int, dict[str, Any]]:
        """The first raw frame from index `after` on that matches, and its index."""

        def found() -> tuple[int, dict[str, Any]] | None:
            return next(
                ((i, f) for i, f in enumerate(self.frames) if i >= after and match(f)), None
            )

        return await self._wait(found, what, WITHIN)

    async def user_event(self, name: str, channel: ChannelId, **headers: str) -> dict[str, Any]:
        def match(f: dict[str, Any]) -> bool:
            return (
                f.get("UserEvent") == name
                and f.get("Uniqueid") == channel
                and all(f.get(k) == v for k, v in headers.items())
            )

        return (await self.frame(match, what=f"UserEvent {name} {headers} on {channel}"))[1]

    async def step(self, channel: ChannelId, context: str, app: str, after: int = 0) -> int:
        """Index of the Newexten in which `channel` ran `app` in `context`."""

        def match(f: dict[str, Any]) -> bool:
            ran = (f.get("Context"), f.get("Application")) == (context, app)
            return ran and f.get("Event") == "Newexten" and f.get("Uniqueid") == channel

        return (await self.frame(match, what=f"{channel} runs {app} in {context}", after=after))[0]

    async def _wait(self, probe: Callable[[], T | None], what: str, within: float) -> T:
        try:
            async with asyncio.timeout(within):
                while (found := probe()) is None:
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            raise AssertionError(f"not within {within} s: {what}") from None
        return found


@dataclass
class Ami:
    link: AmiLink
    observed: Observed
    calls: AmiCallControl

    def perform(self, instruction: Instruction) -> None:
        self.calls.perform(instruction)

    async def snapshot(self) -> Resynced:
        timeline = self.observed.reader.timeline
        return await fetch_snapshot(self.link, lambda: Instant(time.time()), lambda: None, timeline)

    async def where(self, channel: ChannelId) -> tuple[str, str, str] | None:
        """(context, application, CTI_QUEUE) of a live channel, from CoreShowChannels."""
        for entry in await self.link.send(actions.core_show_channels()):
            headers = headers_of(entry)
            if headers.get("Event") == "CoreShowChannel" and headers.get("Uniqueid") == channel:
                queue = chan_vars(headers).get("CTI_QUEUE", "")
                return one(headers, "Context"), one(headers, "Application"), queue
        return None

    async def eventually_at(
        self, channel: ChannelId, context: str, application: str, *, within: float = WITHIN
    ) -> tuple[str, str, str]:
        async def there() -> tuple[str, str, str] | None:
            found = await self.where(channel)  # CoreShowChannels: asked again and again
            return found if found is not None and found[:2] == (context, application) else None

        what = f"channel {channel} in {context}/{application}"
        return await eventually(there, within=within, what=what, every=0.1)


@pytest.fixture
async def control(lab: LabInstance) -> AsyncIterator[Ami]:
    observed, up = Observed(), asyncio.Event()
    link = AmiLink(
        # The dialplan class too: these tests watch where a channel runs (Newexten).
        replace(
            LinkSettings.of(settings.load(str(lab.server_config)).ami), events="call,user,dialplan"
        ),
        LinkCallbacks(
            on_frame=observed.on_frame,
            on_malformed=lambda frame, reason: observed.malformed.append(reason),
            on_up=up.set,
            on_down=lambda reason: None,
        ),
    )
    task = asyncio.create_task(link.run())
    async with asyncio.timeout(10):
        await up.wait()
    calls = AmiCallControl(link, observed.submit, lambda: Instant(time.time()), within=5.0)
    yield Ami(link, observed, calls)
    await calls.drain()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert observed.malformed == []


@contextlib.asynccontextmanager
async def caller(
    lab: LabInstance, control: Ami, **how: Any
) -> AsyncIterator[tuple[WaitingCall, CallHandle]]:
    """A SIPp caller in queue `support`, once it waits; hung up at the end whatever happened."""
    number = caller_number()
    call = place_call(lab, "support", number, timeout_s=60, **how)
    entry: WaitingCall | None = None
    try:
        queued = await control.observed.first(
            CallerQueued, lambda q: q.entry.caller == number, what=f"caller {number} queued"
        )
        entry = queued.entry
        yield entry, call
    finally:
        if entry is not None and not call.done():
            # Hang up from Asterisk, so the SIPp caller ends cleanly with the BYE.
            control.perform(HangUpChannel(channel=entry.channel))
            with contextlib.suppress(TimeoutError, sipp.SippError):
                await call.wait(WITHIN)
        await call.cancel_and_wait()


def offer(entry: WaitingCall, device: str, ring_guard: float = 30.0) -> ConnectCall:
    return ConnectCall(
        call=entry.call,
        channel=entry.channel,
        queue=entry.queue,
        agent=AgentId(f"agent-{device}"),
        device=DeviceId(f"PJSIP/{device}"),
        ring_guard=ring_guard,
    )


def on(channel: ChannelId) -> Callable[[Any], bool]:
    return lambda event: event.channel == channel


def first_release(observed: Observed, *channels: ChannelId) -> ChannelId | None:
    request = observed.find(HangupRequested, lambda r: r.channel in channels)
    return None if request is None else request.channel


async def started_and_ringing(control: Ami, entry: WaitingCall, device: str) -> DialStarted:
    started = await control.observed.first(
        DialStarted,
        lambda d: d.channel == entry.channel and d.device == f"PJSIP/{device}",
        what=f"DialStarted to {device}",
    )
    await control.observed.first(
        PhoneRinging,
        lambda r: r.agent_channel == started.agent_channel,
        what=f"PhoneRinging of {device}",
    )
    return started


async def dial_end(control: Ami, started: DialStarted) -> DialEnded:
    return await control.observed.first(
        DialEnded,
        lambda d: d.agent_channel == started.agent_channel,
        what=f"DialEnded of {started.device}",
    )


async def test_connect_call_dials_the_device_and_reports_ring_and_answer(
    lab: LabInstance, control: Ami
) -> None:
    async with Softphone(lab, "1015", "answer", ring_ms=1000), caller(lab, control) as (entry, _):
        control.perform(offer(entry, "1015"))

        started = await started_and_ringing(control, entry, "1015")
        ringing = control.observed.find(PhoneRinging, on(entry.channel))
        ended = await dial_end(control, started)

        assert ended.status is DialStatus.ANSWER
        assert ringing is not None and started.at <= ringing.at < ended.at
        assert ended.at - ringing.at >= 0.9  # the phone rang for 1 s before answering (C3)
        assert control.observed.all(CallControlFailed, on(entry.channel)) == []


async def test_return_to_queue_withdraws_a_ringing_offer_and_keeps_the_place(
    lab: LabInstance, control: Ami
) -> None:
    async with Softphone(lab, "1016", "no_answer"), caller(lab, control) as (entry, _):
        control.perform(offer(entry, "1016"))
        started = await started_and_ringing(control, entry, "1016")

        control.perform(ReturnToQueue(channel=entry.channel, queue=entry.queue))

        # Asterisk 22: a Redirect out of a ringing Dial ends it with DialEnd CANCEL and
        # hangs the agent's leg up; the caller gets no HangupRequest of its own.
        assert (await dial_end(control, started)).status is DialStatus.CANCEL
        await control.observed.first(
            ChannelHungUp, lambda h: h.channel == started.agent_channel, what="agent leg gone"
        )
        assert await control.eventually_at(entry.channel, "cti-queue", "MusicOnHold") == (
            "cti-queue",
            "MusicOnHold",
            "support",
        )
        waiting = [w for w in (await control.snapshot()).waiting if w.channel == entry.channel]
        # Same queue, same entry time: the place in line is kept. The entry is Asterisk's
        # CTI_ENTERED both times, placed by two estimates of the clock offset.
        assert [replace(w, entered_at=entry.entered_at) for w in waiting] == [entry]
        assert waiting[0].entered_at == pytest.approx(entry.entered_at, abs=0.01)
        assert (
            len(control.observed.all(CallerQueued, lambda q: q.entry.channel == entry.channel)) == 1
        )
        assert control.observed.all(HangupRequested, on(entry.channel)) == []


async def test_a_second_offer_replaces_a_ringing_one(lab: LabInstance, control: Ami) -> None:
    async with (
        Softphone(lab, "1016", "no_answer"),
        Softphone(lab, "1017", "answer", ring_ms=500),
        caller(lab, control) as (entry, _),
    ):
        control.perform(offer(entry, "1016"))
        first = await started_and_ringing(control, entry, "1016")

        control.perform(offer(entry, "1017"))

        assert (await dial_end(control, first)).status is DialStatus.CANCEL
        second = await started_and_ringing(control, entry, "1017")
        assert (await dial_end(control, second)).status is DialStatus.ANSWER


async def test_agent_hanging_up_first_is_named_and_the_caller_rates_the_call(
    lab: LabInstance, control: Ami
) -> None:
    async with (
        Softphone(lab, "1018", "answer_hangup_first", talk_ms=1000),
        caller(lab, control, survey_digit=4) as (entry, call),
    ):
        control.perform(offer(entry, "1018"))
        started = await started_and_ringing(control, entry, "1018")

        survey = await control.observed.first(SurveyAnswered, on(entry.channel), what="survey")

        assert (survey.call, survey.score) == (entry.call, 4)  # P7
        assert first_release(control.observed, entry.channel, started.agent_channel) == (
            started.agent_channel  # P2: the agent's phone sent BYE first
        )
        assert await call.wait(WITHIN) == 0  # the survey hung up after the score


async def test_caller_hanging_up_first_is_named_and_gets_no_survey(
    lab: LabInstance, control: Ami
) -> None:
    async with (
        Softphone(lab, "1015", "answer"),
        caller(lab, control, hangup_after_ms=4000) as (entry, call),
    ):
        control.perform(offer(entry, "1015"))
        started = await started_and_ringing(control, entry, "1015")
        assert (await dial_end(control, started)).status is DialStatus.ANSWER

        await control.observed.first(ChannelHungUp, on(entry.channel), what="caller hung up")

        assert (
            first_release(control.observed, entry.channel, started.agent_channel) == entry.channel
        )
        assert await call.wait(WITHIN) == 0
        assert control.observed.find(SurveyAnswered, on(entry.channel)) is None


async def test_send_call_to_a_queue_during_a_call_queues_it_again_with_its_call_id(
    lab: LabInstance, control: Ami
) -> None:
    async with Softphone(lab, "1015", "answer"), caller(lab, control) as (entry, _):
        control.perform(offer(entry, "1015"))
        started = await started_and_ringing(control, entry, "1015")
        assert (await dial_end(control, started)).status is DialStatus.ANSWER

        control.perform(SendCall(channel=entry.channel, kind=TargetKind.QUEUE, target="sales"))

        queued = await control.observed.first(
            CallerQueued,
            lambda q: q.entry.channel == entry.channel and q.entry.queue == "sales",
            what="caller queued in sales",
        )
        assert queued.entry.call == entry.call  # P8: one call across the transfer
        await control.observed.first(
            ChannelHungUp, lambda h: h.channel == started.agent_channel, what="agent leg gone"
        )
        # Neither phone asked to hang up: a transfer is not a release (P2).
        assert first_release(control.observed, entry.channel, started.agent_channel) is None


async def test_send_call_to_an_extension_dials_it(lab: LabInstance, control: Ami) -> None:
    async with Softphone(lab, "1017", "answer"), caller(lab, control) as (entry, _):
        control.perform(SendCall(channel=entry.channel, kind=TargetKind.EXTENSION, target="1017"))

        started = await started_and_ringing(control, entry, "1017")

        assert (await dial_end(control, started)).status is DialStatus.ANSWER
        assert (await control.where(entry.channel) or ("",))[0] == "cti-extension"


async def test_move_call_changes_the_queue_a_resync_reads(lab: LabInstance, control: Ami) -> None:
    async with caller(lab, control) as (entry, _):
        control.perform(MoveCall(channel=entry.channel, queue=QueueId("billing")))
        await control.calls.drain()

        snapshot = await control.snapshot()

        moved = [w for w in snapshot.waiting if w.channel == entry.channel]
        assert [(w.queue, w.call) for w in moved] == [("billing", entry.call)]
        # Both are Asterisk's CTI_ENTERED, placed by two estimates of the clock offset.
        assert moved[0].entered_at == pytest.approx(entry.entered_at, abs=0.01)
        assert (await control.where(entry.channel)) == ("cti-queue", "MusicOnHold", "billing")
        assert control.observed.all(CallControlFailed, on(entry.channel)) == []


async def test_a_busy_or_unregistered_device_returns_the_caller_to_hold(
    lab: LabInstance, control: Ami
) -> None:
    async with Softphone(lab, "1019", "busy"), caller(lab, control) as (entry, _):
        control.perform(offer(entry, "1019"))
        started = await control.observed.first(DialStarted, on(entry.channel), what="dial 1019")
        assert (await dial_end(control, started)).status is DialStatus.BUSY
        await control.eventually_at(entry.channel, "cti-queue", "MusicOnHold")

        control.perform(offer(entry, "1020"))  # never registered in this session

        # No DialBegin or DialEnd at all: only the dialplan's CtiDialResult tells.
        await control.observed.user_event("CtiDialResult", entry.channel, Status="CHANUNAVAIL")
        await control.eventually_at(entry.channel, "cti-queue", "MusicOnHold")
        assert control.observed.find(DialStarted, lambda d: d.device == "PJSIP/1020") is None


@pytest.mark.parametrize(("digit", "wanted"), [(1, True), (2, False)])
async def test_callback_offer_takes_digit_one_as_a_request(
    lab: LabInstance, control: Ami, digit: int, wanted: bool
) -> None:
    async with caller(lab, control, survey_digit=digit) as (entry, call):
        control.perform(SendCall(channel=entry.channel, kind=TargetKind.CALLBACK, target="support"))

        if wanted:
            request = await control.observed.user_event("CtiCallbackRequested", entry.channel)
            assert (request["CallerNum"], request["Queue"]) == (entry.caller, "support")  # P9
            assert await call.wait(WITHIN) == 0
        else:
            declined = await control.observed.user_event("CtiCallbackDeclined", entry.channel)
            assert (declined["CallId"], declined["Queue"]) == (entry.call, "support")
            back = await control.observed.step(entry.channel, "cti-max-wait", "Goto")
            await control.observed.step(entry.channel, "cti-queue", "MusicOnHold", after=back)
            assert (await control.where(entry.channel) or ("",))[0] == "cti-queue"


async def test_voicemail_records_until_the_caller_hangs_up(lab: LabInstance, control: Ami) -> None:
    async with caller(lab, control, hangup_after_ms=9000) as (entry, call):
        control.perform(
            SendCall(channel=entry.channel, kind=TargetKind.VOICEMAIL, target="support")
        )

        left = await control.observed.user_event("CtiVoicemail", entry.channel)

        assert (left["Queue"], left["CallId"], left["Status"]) == ("support", entry.call, "HANGUP")
        assert left["File"].endswith(".wav") and "/cti-voicemail/" in left["File"]
        assert await call.wait(WITHIN) == 0


async def test_device_state_follows_registration_and_is_in_a_resync(
    lab: LabInstance, control: Ami
) -> None:
    device = DeviceId("PJSIP/1019")

    def state_of(wanted: DeviceState) -> Callable[[DeviceStateChanged], bool]:
        return lambda change: change.device == device and change.state is wanted

    async with Softphone(lab, "1019", "answer"):
        await control.observed.first(
            DeviceStateChanged, state_of(DeviceState.NOT_IN_USE), what="up"
        )
        assert (device, DeviceState.NOT_IN_USE) in (await control.snapshot()).devices

    await control.observed.first(DeviceStateChanged, state_of(DeviceState.UNAVAILABLE), what="down")
    assert (device, DeviceState.UNAVAILABLE) in (await control.snapshot()).devices


async def test_instructions_for_a_channel_that_is_gone_come_back_as_failures(
    lab: LabInstance, control: Ami
) -> None:
    async with caller(lab, control, hangup_after_ms=1500) as (entry, call):
        assert await call.wait(WITHIN) == 0
        await control.observed.first(ChannelHungUp, on(entry.channel), what="caller gone")

    for instruction in gone_instructions(entry):
        control.perform(instruction)
    await control.calls.drain()

    # One failure per instruction; each names the first action Asterisk refused.
    failures = control.observed.all(CallControlFailed, on(entry.channel))
    assert sorted(f.reason for f in failures) == [
        "AMI Hangup failed: No such channel",
        f"AMI Redirect failed: Channel does not exist: {entry.channel}",
        "AMI Setvar failed: No such channel",  # ConnectCall: its first Setvar
        "AMI Setvar failed: No such channel",  # MoveCall
    ]


def gone_instructions(entry: WaitingCall) -> Iterator[Instruction]:
    yield ReturnToQueue(channel=entry.channel, queue=entry.queue)
    yield offer(entry, "1015")
    yield MoveCall(channel=entry.channel, queue=QueueId("billing"))
    yield HangUpChannel(channel=entry.channel)
