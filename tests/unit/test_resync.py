"""Resync snapshots (cti/ami/resync.py): device states from DeviceStateList, connected
calls from CoreShowChannels, Asterisk's instants on the server's timeline (C1).

The entries are copied from a DeviceStateList response of the lab's Asterisk 22: list
entries carry the ActionID and no Timestamp.
"""

from __future__ import annotations

import pytest

from cti.ami.resync import read_devices, read_snapshot
from cti.domain.ids import ChannelId, DeviceId, Instant
from cti.domain.inputs import DeviceState
from tests.unit.test_channels import CALLER, LEG, WAITING

ACTION_ID = "action/19a1c0f4-0791-41dc-88dd-75109721b7ab/1/2"
DEVICE_STATE_LIST = [
    {
        "Response": "Success",
        "ActionID": ACTION_ID,
        "EventList": "start",
        "Message": "Device State Changes will follow",
    },
    {
        "Event": "DeviceStateChange",
        "ActionID": ACTION_ID,
        "Device": "PJSIP/trunk",
        "State": "INUSE",
    },
    {
        "Event": "DeviceStateChange",
        "ActionID": ACTION_ID,
        "Device": "PJSIP/1001",
        "State": "UNAVAILABLE",
    },
    {
        "Event": "DeviceStateChange",
        "ActionID": ACTION_ID,
        "Device": "PJSIP/1005",
        "State": "NOT_INUSE",
    },
    {
        "Event": "DeviceStateListComplete",
        "ActionID": ACTION_ID,
        "EventList": "Complete",
        "ListItems": "3",
    },
]
CHANNELS_COMPLETE = [
    {
        "Event": "CoreShowChannelsComplete",
        "ActionID": "c",
        "EventList": "Complete",
        "ListItems": "0",
    }
]


def test_device_states_of_a_resync_come_from_device_state_list() -> None:
    snapshot = read_snapshot(CHANNELS_COMPLETE, Instant(100.5), lambda: None, DEVICE_STATE_LIST)

    assert snapshot.at == 100.5  # its receipt: the list carries no Timestamp
    assert snapshot.devices == (
        (DeviceId("PJSIP/trunk"), DeviceState.IN_USE),
        (DeviceId("PJSIP/1001"), DeviceState.UNAVAILABLE),
        (DeviceId("PJSIP/1005"), DeviceState.NOT_IN_USE),
    )


def test_a_snapshot_without_device_states_has_none() -> None:
    assert read_snapshot(CHANNELS_COMPLETE, Instant(0), lambda: None).devices == ()


def test_a_device_entry_that_breaks_the_contract_is_counted_and_left_out() -> None:
    malformed: list[int] = []
    entries = [
        *DEVICE_STATE_LIST[:2],
        {"Event": "DeviceStateChange", "Device": "PJSIP/1002", "State": "ASLEEP"},
        {"Event": "DeviceStateChange", "State": "INUSE"},
    ]

    devices = read_devices(entries, lambda: malformed.append(1))

    assert devices == ((DeviceId("PJSIP/trunk"), DeviceState.IN_USE),)
    assert len(malformed) == 2


def test_a_device_listed_twice_keeps_its_last_state() -> None:
    entries = [
        {"Event": "DeviceStateChange", "Device": "PJSIP/1001", "State": "RINGING"},
        {"Event": "DeviceStateChange", "Device": "PJSIP/1001", "State": "INUSE"},
    ]

    assert read_devices(entries, lambda: None) == ((DeviceId("PJSIP/1001"), DeviceState.IN_USE),)


def test_a_snapshot_places_waiting_and_connected_calls_with_the_offset() -> None:
    # Asterisk's clock 3 s ahead of the server's: the offset is -3.
    entries = [WAITING, CALLER, LEG, *CHANNELS_COMPLETE]

    snapshot = read_snapshot(entries, Instant(1796220990.0), lambda: None, offset=-3.0)

    [waiting] = snapshot.waiting
    [connected] = snapshot.connected
    assert waiting.entered_at == pytest.approx(1796220965.321280)
    assert connected.agent_channel == ChannelId("1796220968.1")
    assert connected.answered_at == pytest.approx(1796220965.332955)


def test_a_connected_call_that_breaks_the_contract_is_counted_and_left_out() -> None:
    malformed: list[int] = []
    broken = {**CALLER, "ChanVariable": ["CTI_QUEUE=support"]}  # no CTI_ENTERED

    snapshot = read_snapshot([broken, LEG], Instant(0), lambda: malformed.append(1))

    assert snapshot.connected == () and malformed == [1]


@pytest.mark.parametrize(
    ("slots", "armed"),
    [((2, 2), 2), ((2, 4), 2), ((3, 1), 1), ((0, 2), 0), ((2, 0), 0)],
)
def test_a_snapshot_arms_the_fewer_of_the_dialplans_slots_and_the_servers(
    slots: tuple[int, int], armed: int
) -> None:
    """Rule 5: the dialplan's CTI_ARM_SLOTS bounds what is armed; the core clears all of
    the dialplan's slots, whatever it arms."""
    snapshot = read_snapshot(CHANNELS_COMPLETE, Instant(0), lambda: None, slots=slots)

    assert (snapshot.arm_slots, snapshot.dialplan_slots) == (armed, slots[0])
