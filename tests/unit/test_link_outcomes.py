"""The link's rule 8 (cti/ami/link.py): an async Originate is answered by its
acknowledgement, and its OriginateResponse reaches the event path, whatever the action's
waiter did. Frames as Asterisk 22 sends them (tests/lab/test_originate.py's facts 1-3)."""

from __future__ import annotations

import asyncio
from typing import Any

from cti.ami.link import LinkCallbacks, _Manager, _Protocol, _write
from cti.engine.ports import Headers


class Wire:
    """A transport that keeps what is written."""

    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data


def connected() -> tuple[_Manager, _Protocol, list[Headers]]:
    frames: list[Headers] = []
    protocol = _Protocol()
    protocol.connection_made(transport=Wire())
    protocol.callbacks = LinkCallbacks(
        on_frame=frames.append,
        on_malformed=lambda frame, reason: None,
        on_up=lambda: None,
        on_down=lambda reason: None,
    )
    manager = _Manager(loop=asyncio.get_running_loop())
    manager.protocol = protocol
    return manager, protocol, frames


def originate(action_id: str) -> dict[str, str]:
    return {
        "Action": "Originate",
        "ActionID": action_id,
        "Channel": "PJSIP/55590011@trunk",
        "Context": "cti-outbound",
        "Exten": "s",
        "Priority": "1",
        "Async": "true",
    }


def ack(action_id: str) -> bytes:
    return (
        f"Response: Success\r\nActionID: {action_id}\r\n"
        "Message: Originate successfully queued\r\n\r\n"
    ).encode()


def outcome(action_id: str) -> bytes:
    return (
        "Event: OriginateResponse\r\nPrivilege: call,all\r\nTimestamp: 1795466392.000001\r\n"
        f"ActionID: {action_id}\r\nResponse: Failure\r\nChannel: PJSIP/55590011@trunk\r\n"
        "Context: cti-outbound\r\nExten: s\r\nReason: 3\r\nUniqueid: c-1\r\n\r\n"
    ).encode()


async def test_an_async_originate_is_answered_by_its_acknowledgement() -> None:
    manager, protocol, frames = connected()
    future: asyncio.Future[Any] = _write(manager, originate("orig-1"))

    protocol.data_received(ack("orig-1"))

    assert future.done() and future.result().message == "Originate successfully queued"
    protocol.data_received(outcome("orig-1"))
    assert [f["Event"] for f in frames] == ["OriginateResponse"]
    assert frames[0]["Reason"] == "3" and frames[0]["Uniqueid"] == "c-1"


async def test_the_outcome_reaches_the_event_path_even_before_the_acknowledgement() -> None:
    manager, protocol, frames = connected()
    future: asyncio.Future[Any] = _write(manager, originate("orig-2"))

    protocol.data_received(outcome("orig-2") + ack("orig-2"))

    assert [f["Event"] for f in frames] == ["OriginateResponse"]
    assert future.done() and future.result().message == "Originate successfully queued"


async def test_a_list_action_still_collects_its_events() -> None:
    manager, protocol, frames = connected()
    listing: asyncio.Future[Any] = _write(
        manager, {"Action": "CoreShowChannels", "ActionID": "list-1"}
    )

    protocol.data_received(
        b"Response: Success\r\nActionID: list-1\r\nEventList: start\r\n"
        b"Message: Channels will follow\r\n\r\n"
        b"Event: CoreShowChannel\r\nActionID: list-1\r\nUniqueid: c-9\r\n\r\n"
        b"Event: CoreShowChannelsComplete\r\nActionID: list-1\r\nEventList: Complete\r\n"
        b"ListItems: 1\r\n\r\n"
    )

    assert frames == []
    assert [m.get("Event", "") for m in listing.result()] == [
        "",
        "CoreShowChannel",
        "CoreShowChannelsComplete",
    ]
