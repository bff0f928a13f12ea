"""Knowing when a freshly started Asterisk is ready for the server and the tests.

Rule 1: ready means the process still runs, AMI greets on its TCP port, and the remote
CLI answers `core waitfullybooted` and `core show version`: by then every module in
modules.conf is loaded, so PJSIP accepts registrations and the dialplan is in place.
Rule 2: waiting is bounded (READY_TIMEOUT_S); a failure says what did not happen and
shows the tail of Asterisk's output and messages log.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cti.lab import process
from cti.lab.rootfs import LabError, tail

if TYPE_CHECKING:
    from cti.lab.instance import LabInstance

READY_TIMEOUT_S: Final = 30.0
PROBE_TIMEOUT_S: Final = 1.0
POLL_S: Final = 0.2
AMI_BANNER: Final = b"Asterisk Call Manager"


def ami_greets(host: str, port: int, *, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """True when a TCP connection to AMI gets Asterisk's banner line."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            return conn.recv(128).startswith(AMI_BANNER)
    except OSError:
        return False


def wait_until_ready(lab: LabInstance, output: Path) -> None:
    """Return when lab's Asterisk serves AMI and CLI; LabError after READY_TIMEOUT_S."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    waiting_for = "the process to start"
    while time.monotonic() < deadline:
        if not process.is_alive(lab.pid, expect=lab.config_path):
            raise LabError(_failure(lab, output, "Asterisk exited during start-up"))
        if not ami_greets(lab.host, lab.ports.ami):
            waiting_for = f"AMI on {lab.host}:{lab.ports.ami}"
        elif _cli_answers(lab):
            return
        else:
            waiting_for = "the CLI to answer `core show version`"
        time.sleep(POLL_S)
    raise LabError(
        _failure(lab, output, f"timed out after {READY_TIMEOUT_S:.0f} s waiting for {waiting_for}")
    )


def _cli_answers(lab: LabInstance) -> bool:
    left = 5.0
    try:
        lab.cli("core waitfullybooted", timeout=left)
        return lab.cli("core show version", timeout=left).startswith("Asterisk")
    except LabError:
        return False


def _failure(lab: LabInstance, output: Path, what: str) -> str:
    messages = lab.home / "log" / "messages.log"
    return (
        f"lab {lab.name!r}: {what}.\n"
        f"--- {output} ---\n{tail(output, 20)}\n"
        f"--- {messages} ---\n{tail(messages, 20)}"
    )
