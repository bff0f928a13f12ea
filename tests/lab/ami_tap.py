"""A plain AMI session to the lab's Asterisk, independent of the server's own link, and a
tap that keeps every event it dispatches (for the tests that speak AMI themselves).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from panoramisk import Manager

from cti.ami.actions import EVENT_CLASSES
from cti.lab.instance import LabInstance

SERVER_CLASSES = EVENT_CLASSES.split(",")
WITHIN = 15.0  # seconds any one expected event may take


async def connect(lab: LabInstance, events: str = "on") -> Manager:
    """A plain panoramisk session to the lab's AMI (independent of the server's own link),
    receiving the event classes `events` names (`on`: all the AMI user may read)."""
    manager = Manager(
        host=lab.host,
        port=lab.ports.ami,
        username=lab.ami_user,
        secret=lab.ami_secret,
        ping_delay=10**6,
        events=events,
    )
    async with asyncio.timeout(10):
        await manager.connect()
    return manager


@dataclass
class Tap:
    """Every AMI event the session dispatches, with the monotonic time it arrived."""

    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def on_event(self, _manager: Any, message: Any) -> None:
        self.events.append((time.monotonic(), dict(message)))
        self.changed.set()

    def of_channel(self, uniqueid: str) -> list[dict[str, Any]]:
        """Events about the channel, of the classes the server reads (call, user): its own
        (Uniqueid) and the Dial* events naming it (DestUniqueid)."""
        return [
            e
            for _, e in self.events
            if uniqueid in (e.get("Uniqueid"), e.get("DestUniqueid"))
            and str(e.get("Privilege", "")).split(",")[0] in SERVER_CLASSES
        ]

    async def first(
        self, match: Callable[[dict[str, Any]], bool], what: str, within: float = WITHIN
    ) -> tuple[float, dict[str, Any]]:
        try:
            async with asyncio.timeout(within):
                while (found := next((t for t in self.events if match(t[1])), None)) is None:
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            raise AssertionError(f"not within {within} s: {what}") from None
        return found
