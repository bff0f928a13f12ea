"""Resync: ask Asterisk who is waiting and who is talking, after every (re)login (C1).

Rule 1: the snapshot is taken from CoreShowChannels with the CTI_* channel variables
(manager.conf channelvars): callers waiting in the holding loop, with their place in line
from CTI_ENTERED, and the calls connected to agents (cti/ami/channels.py), with the talk's
start from CTI_ANSWERED.
Rule 2: the snapshot's time is its receipt (the list's entries carry no Timestamp), so the
core keeps callers that entered after it (see cti/domain/acd.py, rule 4). Asterisk's
instants in it are placed on the server's timeline (cti/ami/timeline.py) with the offset
as it stands once a Ping, sent just before the list, has been sampled: right after a
login the window holds nothing else.
Rule 3: a list entry that does not fit the contract is counted as malformed and left out;
it never aborts the resync.
Rule 4: device states come from DeviceStateList (res_manager_devicestate; its write class
is call or reporting, which the least-privilege AMI user has). Both lists are asked for at
once (pipelined on the one session). If Asterisk refuses DeviceStateList (the module is not
loaded), the snapshot carries no device states and a warning says why: waiting callers
matter more than device states, which also arrive as DeviceStateChange events.
Rule 5: pre-armed routing (cti/domain/arming.py) uses at most the slots the dialplan has
(its global CTI_ARM_SLOTS, read with the lists; none when unset or not a number) and the
server's `ami.arm_slots`; the snapshot says both, so the core clears all the dialplan's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from cti.ami import actions
from cti.ami.channels import Place, bridged_pairs, connected_call, waiting_channel
from cti.ami.control import SLOTS_VARIABLE
from cti.ami.frames import Headers
from cti.ami.link import AmiActionFailed, AmiLink, AmiUnavailable, first_of, headers_of
from cti.ami.normalize import MalformedEvent, device_state, stamp_of
from cti.ami.timeline import Timeline
from cti.domain.ids import DeviceId, Instant
from cti.domain.inputs import ConnectedCall, DeviceState, Resynced
from cti.domain.queue import WaitingCall

logger = logging.getLogger(__name__)


Devices = tuple[tuple[DeviceId, DeviceState], ...]


def read_snapshot(
    entries: Iterable[Mapping[str, Any]],
    received_at: Instant,
    on_malformed: Callable[[], None],
    devices: Iterable[Mapping[str, Any]] = (),
    offset: float = 0.0,
    slots: tuple[int, int] = (0, 0),
) -> Resynced:
    """The Resynced input from CoreShowChannels' and DeviceStateList's response lists
    (pure); `offset` places Asterisk's instants on the server's timeline (rule 2);
    `slots`: the dialplan's arm slots and the server's limit (rule 5)."""

    def place(stamp: float) -> Instant:
        return Instant(min(stamp + offset, received_at))

    channels = [h for h in map(headers_of, entries) if h.get("Event") == "CoreShowChannel"]
    return Resynced(
        at=received_at,
        waiting=_waiting(channels, place, on_malformed),
        devices=read_devices(devices, on_malformed),
        connected=_connected(channels, received_at, place, on_malformed),
        arm_slots=min(slots),
        dialplan_slots=slots[0],
    )


def _waiting(
    channels: Sequence[Headers], place: Place, on_malformed: Callable[[], None]
) -> tuple[WaitingCall, ...]:
    waiting: list[WaitingCall] = []
    for headers in channels:
        try:
            found = waiting_channel(headers, place)
        except (MalformedEvent, KeyError) as exc:
            _skipped(exc, on_malformed)
            continue
        if found is not None:
            waiting.append(found)
    return tuple(waiting)


def _connected(
    channels: Sequence[Headers], at: Instant, place: Place, on_malformed: Callable[[], None]
) -> tuple[ConnectedCall, ...]:
    connected: list[ConnectedCall] = []
    for caller, leg in bridged_pairs(channels):
        try:
            connected.append(connected_call(caller, leg, at, place))
        except (MalformedEvent, KeyError) as exc:
            _skipped(exc, on_malformed)
    return tuple(connected)


def _skipped(exc: Exception, on_malformed: Callable[[], None]) -> None:
    """Rule 3: counted and logged, never raised."""
    on_malformed()
    logger.warning("resync entry skipped: %s", exc)


def read_devices(entries: Iterable[Mapping[str, Any]], on_malformed: Callable[[], None]) -> Devices:
    """Device states from DeviceStateList's response list (pure); one per device."""
    states: dict[DeviceId, DeviceState] = {}
    for entry in entries:
        headers = headers_of(entry)
        if headers.get("Event") != "DeviceStateChange":
            continue
        try:
            device, state = device_state(headers)
        except (KeyError, ValueError) as exc:
            on_malformed()
            logger.warning("resync device entry skipped: %r", exc)
            continue
        states[device] = state
    return tuple(states.items())


async def fetch_snapshot(
    link: AmiLink,
    now: Callable[[], Instant],
    on_malformed: Callable[[], None],
    timeline: Timeline | None = None,
    arm_slots: int = 0,
) -> Resynced:
    timeline = timeline if timeline is not None else Timeline()
    await _sample_clock(link, now, timeline)
    channels, devices, slots = await asyncio.gather(
        link.send(actions.core_show_channels()),
        _device_states(link),
        _dialplan_slots(link),
        return_exceptions=True,
    )
    if isinstance(channels, BaseException):
        raise channels
    if isinstance(devices, BaseException):
        raise devices
    if isinstance(slots, BaseException):
        raise slots
    offset = timeline.offset or 0.0
    snapshot = read_snapshot(
        _listed(channels), now(), on_malformed, devices, offset, (slots, arm_slots)
    )
    logger.info(
        "resync snapshot: %d waiting callers, %d connected calls, %d device states, "
        "%d arm slots per queue (the dialplan has %d); Asterisk's clock %+.3f s from ours",
        len(snapshot.waiting),
        len(snapshot.connected),
        len(snapshot.devices),
        snapshot.arm_slots,
        snapshot.dialplan_slots,
        -offset,
    )
    return snapshot


async def _sample_clock(link: AmiLink, now: Callable[[], Instant], timeline: Timeline) -> None:
    """Rule 2: a Ping's answer carries Asterisk's Timestamp (manager.c action_ping, always)."""
    answer = await link.send(actions.ping())
    received_at = now()
    stamp = stamp_of(headers_of(first_of(answer)))
    if stamp is not None:
        timeline.observe(stamp, received_at)


async def _device_states(link: AmiLink) -> list[Any]:
    try:
        return _listed(await link.send(actions.device_state_list()))
    except AmiActionFailed as exc:
        logger.warning("resync without device states (is res_manager_devicestate loaded?): %s", exc)
        return []


async def _dialplan_slots(link: AmiLink) -> int:
    """Rule 5: the dialplan's CTI_ARM_SLOTS; 0 for a dialplan without pre-armed routing."""
    answer = await link.send(actions.get_global(SLOTS_VARIABLE))
    value = str(headers_of(first_of(answer)).get("Value", ""))
    return int(value) if value.isdigit() else 0


def _listed(response: Any) -> list[Any]:
    return response if isinstance(response, list) else [response]


class Resyncer:
    """Runs a resync whenever one is requested (after each login, or after an inbox overflow).

    Requests made while one is running coalesce into one more run. A failed snapshot is
    retried while the link stays up; when the link drops, the next login requests again.
    """

    def __init__(
        self,
        link: AmiLink,
        submit: Callable[[Resynced], None],
        now: Callable[[], Instant],
        on_malformed: Callable[[], None],
        retry_delay: float = 1.0,
        timeline: Timeline | None = None,
        arm_slots: int = 0,
    ) -> None:
        self._link = link
        self._arm_slots = arm_slots
        self._timeline = timeline if timeline is not None else Timeline()
        self._submit = submit
        self._now = now
        self._on_malformed = on_malformed
        self._retry_delay = retry_delay
        self._wanted = asyncio.Event()

    def request(self) -> None:
        self._wanted.set()

    async def run(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            while self._link.is_up:
                try:
                    snapshot = await fetch_snapshot(
                        self._link, self._now, self._on_malformed, self._timeline, self._arm_slots
                    )
                    self._submit(snapshot)
                    break
                except (AmiUnavailable, AmiActionFailed, TimeoutError) as exc:
                    logger.warning("resync failed, retrying: %s", exc)
                    await asyncio.sleep(self._retry_delay)
