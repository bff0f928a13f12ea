"""Property tests: the core's invariants, and the event path never crashing on bad bytes."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cti.ami.link import LinkCallbacks, _Protocol
from cti.domain.acd import AcdState, decide
from cti.domain.effects import CallWaiting, QueueVisitEnded
from cti.domain.ids import CallId, ChannelId, Instant, QueueId
from cti.domain.inputs import CallerQueued, ChannelHungUp, Input, Resynced
from cti.domain.queue import WaitingCall

FIXTURE = Path(__file__).parent.parent / "replay" / "fixtures" / "three_callers_priority.jsonl"
CHANNELS = st.sampled_from([f"1700.{i}" for i in range(6)])
QUEUES = st.sampled_from(["support", "sales"])
TIMES = st.floats(min_value=0, max_value=1000, allow_nan=False)


def _waiting(channel: str, queue: str, at: float, priority: int = 0) -> WaitingCall:
    return WaitingCall(
        call=CallId(channel),
        channel=ChannelId(channel),
        queue=QueueId(queue),
        priority=priority,
        caller="5",
        entered_at=Instant(at),
    )


def _queued(channel: str, queue: str, at: float, priority: int) -> CallerQueued:
    return CallerQueued(at=Instant(at), entry=_waiting(channel, queue, at, priority))


INPUTS = st.one_of(
    st.builds(_queued, CHANNELS, QUEUES, TIMES, st.integers(0, 9)),
    st.builds(
        lambda c, t: ChannelHungUp(at=Instant(t), channel=ChannelId(c), cause=16), CHANNELS, TIMES
    ),
    st.builds(
        lambda ws, t: Resynced(at=Instant(t), waiting=tuple(ws)),
        st.lists(st.builds(_waiting, CHANNELS, QUEUES, TIMES), max_size=4),
        TIMES,
    ),
)


@given(st.lists(INPUTS, max_size=40))
def test_every_caller_that_starts_waiting_is_waiting_or_has_left_exactly_once(
    inputs: list[Input],
) -> None:
    state, started, ended = AcdState(), 0, 0
    for item in inputs:
        decision = decide(state, item, item.at)
        state = decision.state
        started += sum(isinstance(e, CallWaiting) for e in decision.effects)
        ended += sum(isinstance(e, QueueVisitEnded) for e in decision.effects)
        assert all(c.channel not in state.gone for c in state.waiting)
    assert started - ended == len(state.waiting)


@given(st.lists(INPUTS, max_size=30))
def test_replaying_any_input_twice_in_a_row_equals_once(inputs: list[Input]) -> None:
    once = twice = AcdState()
    for item in inputs:
        once = decide(once, item, item.at).state
        twice = decide(decide(twice, item, item.at).state, item, item.at).state
    assert once.waiting == twice.waiting


def _wire(headers: dict[str, object]) -> str:
    lines = []
    for name, value in headers.items():
        for v in value if isinstance(value, list) else [value]:
            lines.append(f"{name}: {v}")
    return "\r\n".join(lines) + "\r\n\r\n"


RECORDED = [_wire(json.loads(line)) for line in FIXTURE.read_text().splitlines()]


class Counting:
    def __init__(self) -> None:
        self.events = 0
        self.malformed = 0

    def protocol(self) -> _Protocol:
        protocol = _Protocol()
        protocol.connection_made(transport=None)
        protocol.callbacks = LinkCallbacks(
            on_frame=lambda _: self._event(),
            on_malformed=lambda f, r: self._bad(),
            on_up=lambda: None,
            on_down=lambda _: None,
        )
        return protocol

    def _event(self) -> None:
        self.events += 1

    def _bad(self) -> None:
        self.malformed += 1


def _corrupt(frame: str, cut: int) -> str:
    body = frame[: max(8, cut % len(frame))].rstrip("\r\n")
    return body + "\r\ngarbage without a colon\r\n\r\n"


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.integers(0, len(RECORDED) - 1), st.booleans(), st.integers(0, 10**6)),
        max_size=30,
    ),
    st.integers(1, 4096),
)
def test_recorded_and_truncated_frames_are_counted_never_crash(
    picks: list[tuple[int, bool, int]],
    chunk: int,
) -> None:
    counting = Counting()
    protocol = counting.protocol()
    stream = "".join(_corrupt(RECORDED[i], cut) if bad else RECORDED[i] for i, bad, cut in picks)
    data = stream.encode()

    for start in range(0, len(data), chunk):
        protocol.data_received(data[start : start + chunk])

    assert counting.events == sum(not bad for _, bad, _ in picks)
    assert counting.malformed == sum(bad for _, bad, _ in picks)


@given(st.binary(max_size=2000), st.integers(1, 64))
def test_random_bytes_never_crash_the_event_path(data: bytes, chunk: int) -> None:
    counting = Counting()
    protocol = counting.protocol()

    for start in range(0, len(data), chunk):
        protocol.data_received(data[start : start + chunk])
    protocol.data_received(b"\r\n\r\n")

    assert counting.events + counting.malformed <= data.count(b"\r\n\r\n") + 1
