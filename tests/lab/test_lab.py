"""The lab itself: a real Asterisk with AMI, PJSIP and the CTI dialplan, driven by SIPp."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from panoramisk import Manager

from cti.ami.control import plan
from cti.domain.effects import ConnectCall
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, QueueId
from cti.lab import instance, process
from cti.lab.instance import LabInstance
from cti.lab.sipp import Behaviour, Softphone, place_call
from tests.lab.ami_tap import connect
from tests.lab.conftest import clear_left_arms
from tests.waiting import eventually

from .conftest import unique_lab_name

pytestmark = pytest.mark.lab


@pytest.fixture
async def manager(lab: LabInstance) -> AsyncIterator[Manager]:
    manager = await connect(lab)
    yield manager
    manager.close()


async def test_lab_accepts_an_ami_login(manager: Manager) -> None:
    async with asyncio.timeout(5):
        response = await manager.send_action({"Action": "Ping"})

    assert response.success, response


def test_lab_reports_running_and_writes_server_config(lab: LabInstance) -> None:
    state = instance.status(lab.name)

    assert state.running
    assert lab.server_config.read_text() == (
        f'[recording]\ndirectory = "{lab.home}/spool/monitor"\n'
        f'\n[softphone]\nwebsocket_url = "ws://127.0.0.1:{lab.ports.http}/ws"\n'
        f'devices = "1901,1902,1903,1904"\nsecret = "{lab.webrtc_secret}"\n'
        f'\n[ami]\nhost = "127.0.0.1"\nport = {lab.ports.ami}\n'
        f'username = "cti"\nsecret = "{lab.ami_secret}"\n'
    )
    assert instance.load(lab.name).ami_secret == lab.ami_secret


def test_the_chroot_resolves_this_host_name_without_dns(lab: LabInstance) -> None:
    # rootfs.py rule 5: Asterisk looks its host name up per call; DNS there can stall 5 s.
    hosts = (lab.root / "etc" / "hosts").read_text().split()

    assert socket.gethostname() in hosts and "localhost" in hosts


async def test_registered_softphone_shows_in_contacts(lab: LabInstance) -> None:
    async with Softphone(lab, "1007") as phone:
        contacts = lab.cli("pjsip show contacts")

        assert f"1007/sip:1007@127.0.0.2:{phone.port}" in contacts

    assert "1007/sip:" not in lab.cli("pjsip show contacts")


async def test_caller_to_support_announces_queue_entry(lab: LabInstance, manager: Manager) -> None:
    entered: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    def on_user_event(_manager: Any, message: Any) -> None:
        if message.get("UserEvent") == "CtiQueueEnter" and not entered.done():
            entered.set_result(dict(message))

    manager.register_event("UserEvent", on_user_event)
    call = place_call(lab, "support", caller="5551234", priority=3, hangup_after_ms=1500)

    async with asyncio.timeout(10):
        event = await entered
    assert (event["Queue"], event["CallerNum"]) == ("support", "5551234")
    # CallerPriority, not Priority: every UserEvent carries the channel's dialplan step
    # as Priority (dialplan/README.md).
    assert event["CallerPriority"] == "3"
    assert await call.wait(10) == 0


async def _connect_to_agent(ami: Manager, channel: str, device: str) -> None:
    """What the engine does: the actions of a ConnectCall (cti/ami/control.py's plan)."""
    offer = ConnectCall(
        call=CallId(channel),
        channel=ChannelId(channel),
        queue=QueueId("support"),
        agent=AgentId(device),
        device=DeviceId(f"PJSIP/{device}"),
        ring_guard=2.0,
    )
    for action in plan(offer):
        assert (await ami.send_action(dict(action))).success


@pytest.mark.parametrize(
    ("device", "behaviour", "dial_status", "caller_status"),
    [
        ("1011", "answer", "ANSWER", 0),  # the caller hangs up after 4 s
        ("1012", "answer_hangup_first", "ANSWER", 1),  # the caller gets a BYE it did not expect
        ("1013", "no_answer", "NOANSWER", 0),
        ("1014", "busy", "BUSY", 0),
    ],
)
async def test_softphone_behaves_when_offered_a_call(
    lab: LabInstance,
    manager: Manager,
    device: str,
    behaviour: Behaviour,
    dial_status: str,
    caller_status: int,
) -> None:
    loop = asyncio.get_running_loop()
    entered: asyncio.Future[str] = loop.create_future()
    dial_end: asyncio.Future[str] = loop.create_future()
    caller = f"55510{device[-2:]}"

    def on_event(_manager: Any, message: Any) -> None:
        if message.get("CallerNum") == caller and not entered.done():
            entered.set_result(message["Channel"])
        if str(message.get("DestChannel")).startswith(f"PJSIP/{device}-") and not dial_end.done():
            dial_end.set_result(message["DialStatus"])

    manager.register_event("UserEvent", on_event)
    manager.register_event("DialEnd", on_event)
    async with Softphone(lab, device, behaviour, ring_ms=500, talk_ms=1000):
        call = place_call(lab, "support", caller=caller, hangup_after_ms=4000)
        async with asyncio.timeout(5):
            await _connect_to_agent(manager, await entered, device)
        async with asyncio.timeout(5):
            assert await dial_end == dial_status
        assert await call.wait(10) == caller_status


async def test_arms_left_by_a_killed_server_are_emptied_and_the_contract_kept(
    lab: LabInstance,
) -> None:
    """tests/lab/conftest.py: what a SIGKILLed server leaves is emptied before a test."""
    lab.cli("dialplan set global CTI_ARM_support_2 t1^cti-connect^2^PJSIP/1011^^1011")
    lab.cli("dialplan set global CTI_ARM_HEAD_support 2")
    assert sorted(await clear_left_arms(lab)) == ["CTI_ARM_HEAD_support", "CTI_ARM_support_2"]
    shown = lab.cli("dialplan show globals")
    assert "CTI_ARM_support_2=\n" in shown and "CTI_ARM_SLOTS=4" in shown
    assert await clear_left_arms(lab) == []


async def test_cancelled_caller_leaves_no_sipp(lab: LabInstance) -> None:
    call = place_call(lab, "support", caller="5550000")
    await asyncio.sleep(0.5)

    await call.cancel_and_wait()

    assert process.recorded_pids(lab.sipp_pids) == []


async def test_restart_keeps_ports_and_secret(lab: LabInstance) -> None:
    before = (lab.ports, lab.ami_secret, lab.pid)

    await asyncio.to_thread(lab.restart_asterisk)

    assert (lab.ports, lab.ami_secret) == before[:2]
    assert lab.pid != before[2]
    assert not process.is_alive(before[2])
    assert instance.load(lab.name).pid == lab.pid
    manager = await connect(lab)
    async with asyncio.timeout(10):
        assert (await manager.send_action({"Action": "Ping"})).success
    manager.close()


async def test_down_leaves_no_process_behind() -> None:
    other = await asyncio.to_thread(instance.up, unique_lab_name("pytest-down"), ("2001",))
    try:
        phone = Softphone(other, "2001", "no_answer")
        await phone.start()
        pids = [other.pid, *process.recorded_pids(other.sipp_pids)]
        assert len(pids) == 2

        await asyncio.to_thread(instance.down, other.name)
        await asyncio.to_thread(instance.down, other.name)  # idempotent

        assert not any(process.is_alive(pid) for pid in pids)
        assert not instance.status(other.name).running
        with socket.socket() as probe:
            # SO_REUSEADDR: a connection of the stopped Asterisk left in TIME_WAIT is not a
            # listener; a bind still fails while anything listens on the port.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", other.ports.ami))  # the AMI port is free again
        await phone.stop()
    finally:
        await asyncio.to_thread(instance.down, other.name, purge=True)


async def cti_lab(*args: str) -> tuple[int, str, str]:
    """`cti lab ARGS` as a user runs it: exit status, stdout, stderr."""
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "cti", "lab", *args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


LEADER_EXITS_FIRST = """
import ctypes, socket, sys, threading, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
print(listener.getsockname()[1], flush=True)
threading.Thread(target=time.sleep, args=(60,)).start()
ctypes.CDLL(None).pthread_exit(None)  # the leader shows Z; its thread keeps the socket
"""


async def test_a_process_whose_leader_exited_first_is_alive_until_its_threads_are(
    tmp_path: Path,
) -> None:
    """As Asterisk's threads during exit: the port is held, so the process is not gone."""
    output = tmp_path / "out"
    pid = process.spawn([sys.executable, "-c", LEADER_EXITS_FIRST], output=output)
    try:
        await eventually(lambda: output.read_text().strip().isdigit(), within=10, what="port")
        await eventually(lambda: _stat(pid) == "Z", within=10, what="the leader exited")
        assert process.is_alive(pid)
    finally:
        await asyncio.to_thread(process.stop, pid, expect=sys.executable, grace_s=2.0)
    assert not process.is_alive(pid)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", int(output.read_text())))


def _stat(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


async def test_up_json_describes_the_lab_and_down_remove_removes_its_folder() -> None:
    name = unique_lab_name("pytest-cli")
    try:
        status, out, err = await cti_lab("up", "--name", name, "--devices", "2001-2002", "--json")

        assert status == 0, err
        details = json.loads(out)  # one JSON object and nothing else
        lab = instance.load(name)
        assert (details["name"], details["pid"], details["host"]) == (name, lab.pid, lab.host)
        assert details["ports"] == asdict(lab.ports)
        assert details["devices"] == ["2001", "2002"]
        assert details["server_config"] == str(lab.server_config)
        assert details["asterisk_config"] == lab.config_path
        assert (details["root"], details["home"]) == (str(lab.root), str(lab.home))
        assert details["ami"] == {"username": lab.ami_user}
        assert details["running"] is True
        assert lab.ami_secret not in out + err

        status, out, err = await cti_lab("down", "--name", name)

        assert status == 0, err
        assert not process.is_alive(lab.pid)
        assert (lab.home / "asterisk.out").is_file(), "down keeps the lab's folder"

        status, out, err = await cti_lab("down", "--name", name, "--remove")

        assert status == 0, err
        assert out == f"lab {name!r} is down; {lab.home} is removed\n"
        assert not lab.home.exists()
    finally:
        await asyncio.to_thread(instance.down, name, purge=True)
