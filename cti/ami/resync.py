"""Resync: ask Asterisk who is waiting, after every (re)login (C1).

Rule 1: the snapshot is taken from CoreShowChannels with the CTI_* channel variables
(manager.conf channelvars); a caller's place in line comes back from CTI_ENTERED.
Rule 2: the snapshot's time is the moment the list completed, so the core keeps callers
that entered after it (see cti/domain/acd.py, rule 4).
Rule 3: a list entry that does not fit the contract is counted as malformed and left out;
it never aborts the resync.
Connected calls (BridgeList) join the snapshot with the ACD's connected-call state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cti.ami import actions
from cti.ami.link import AmiActionFailed, AmiLink, AmiUnavailable, headers_of
from cti.ami.normalize import MalformedEvent, event_time, waiting_channel
from cti.domain.ids import Instant
from cti.domain.inputs import Resynced
from cti.domain.queue import WaitingCall

logger = logging.getLogger(__name__)


def read_snapshot(
    entries: Iterable[Mapping[str, Any]], received_at: Instant, on_malformed: Callable[[], None]
) -> Resynced:
    """The Resynced input from CoreShowChannels' response list (pure)."""
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
    return Resynced(at=at, waiting=tuple(waiting))


async def fetch_snapshot(
    link: AmiLink, now: Callable[[], Instant], on_malformed: Callable[[], None]
) -> Resynced:
    response = await link.send(actions.core_show_channels())
    entries = response if isinstance(response, list) else [response]
    snapshot = read_snapshot(entries, now(), on_malformed)
    logger.info("resync snapshot: %d waiting callers", len(snapshot.waiting))
    return snapshot


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
