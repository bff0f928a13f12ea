"""Resync: ask Asterisk who is waiting, after every (re)login (C1).

Rule 1: the snapshot is taken from CoreShowChannels with the CTI_* channel variables
(manager.conf channelvars); a caller's place in line comes back from CTI_ENTERED.
Rule 2: the snapshot's time is the moment the list completed, so the core keeps callers
that entered after it (see cti/domain/acd.py, rule 4).
Rule 3: a list entry that does not fit the contract is counted as malformed and left out;
it never aborts the resync.
Rule 4: device states come from DeviceStateList (res_manager_devicestate; its write class
is call or reporting, which the least-privilege AMI user has). Both lists are asked for at
once (pipelined on the one session). If Asterisk refuses DeviceStateList (the module is not
loaded), the snapshot carries no device states and a warning says why: waiting callers
matter more than device states, which also arrive as DeviceStateChange events.
Connected calls (BridgeList) join the snapshot with the ACD's connected-call state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cti.ami import actions
from cti.ami.link import AmiActionFailed, AmiLink, AmiUnavailable, headers_of
from cti.ami.normalize import MalformedEvent, device_state, event_time, waiting_channel
from cti.domain.ids import DeviceId, Instant
from cti.domain.inputs import DeviceState, Resynced
from cti.domain.queue import WaitingCall

logger = logging.getLogger(__name__)


Devices = tuple[tuple[DeviceId, DeviceState], ...]


def read_snapshot(
    entries: Iterable[Mapping[str, Any]],
    received_at: Instant,
    on_malformed: Callable[[], None],
    devices: Iterable[Mapping[str, Any]] = (),
) -> Resynced:
    """The Resynced input from CoreShowChannels' and DeviceStateList's response lists (pure)."""
    waiting: list[WaitingCall] = []
    at = received_at
    for entry in entries:
        headers = headers_of(entry)
        name = str(headers.get("Event", ""))
        if name == "CoreShowChannelsComplete":
            at = event_time(headers, received_at)
        elif name == "CoreShowChannel":
            try:
                found = waiting_channel(headers)
            except (MalformedEvent, KeyError) as exc:
                on_malformed()
                logger.warning("resync entry skipped: %s", exc)
                continue
            if found is not None:
                waiting.append(found)
    return Resynced(at=at, waiting=tuple(waiting), devices=read_devices(devices, on_malformed))


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
    link: AmiLink, now: Callable[[], Instant], on_malformed: Callable[[], None]
) -> Resynced:
    channels, devices = await asyncio.gather(
        link.send(actions.core_show_channels()),
        _device_states(link),
        return_exceptions=True,
    )
    if isinstance(channels, BaseException):
        raise channels
    if isinstance(devices, BaseException):
        raise devices
    snapshot = read_snapshot(_listed(channels), now(), on_malformed, devices)
    logger.info(
        "resync snapshot: %d waiting callers, %d device states",
        len(snapshot.waiting),
        len(snapshot.devices),
    )
    return snapshot


async def _device_states(link: AmiLink) -> list[Any]:
    try:
        return _listed(await link.send(actions.device_state_list()))
    except AmiActionFailed as exc:
        logger.warning("resync without device states (is res_manager_devicestate loaded?): %s", exc)
        return []


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
    ) -> None:
        self._link = link
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
                    self._submit(await fetch_snapshot(self._link, self._now, self._on_malformed))
                    break
                except (AmiUnavailable, AmiActionFailed, TimeoutError) as exc:
                    logger.warning("resync failed, retrying: %s", exc)
                    await asyncio.sleep(self._retry_delay)
