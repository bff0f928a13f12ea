"""Starting and stopping the lab's long-lived processes by PID.

Rule 1: every process is started in its own session, so it outlives the command that
started it and its process group id equals its PID; stopping signals that group.
Rule 2: a PID is signalled only while /proc says it still runs the program we started
(the PID may have been reused since it was recorded). Zombies count as gone, but only
once every thread is: a thread-group leader shows 'Z' as soon as its own thread exits,
while the other threads (Asterisk's, during exit) still hold its sockets open.
Rule 3: stopping is SIGTERM, then SIGKILL after a grace period, and returns only when the
process is gone (reaped, when it is our own child).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

GRACE_S: Final = 10.0
POLL_S: Final = 0.05

# Popen objects of children still running: kept so they are reaped by wait() and never
# garbage-collected while running (which warns, and warnings are errors in the tests).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def spawn(argv: Sequence[str], *, output: Path, cwd: Path | None = None) -> int:
    """Start argv detached (own session), stdout and stderr appended to output; its PID."""
    with output.open("ab") as out:
        child = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
    _CHILDREN[child.pid] = child
    return child.pid


def cmdline(pid: int) -> list[str]:
    """The argv of a process, or [] when it is gone, a zombie or inside execve."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_alive(pid: int, *, expect: str = "") -> bool:
    """True while pid runs and (when expect is given) its argv contains expect."""
    _reap(pid)
    if _state(pid) in ("", "Z", "X"):
        return False
    argv = cmdline(pid)
    # An empty argv on a live process means it is inside execve (chroot becoming
    # Asterisk): the kernel shows no arguments until the new image has set them up.
    return not argv or not expect or any(expect in part for part in argv)


def _state(pid: int) -> str:
    """The process's one-letter state ('R', 'S', 'Z', ...), or '' when gone: a zombie
    leader takes the state of a thread still running, if any (rule 2)."""
    state = _stat_state(Path(f"/proc/{pid}/stat"))
    if state not in ("Z", "X"):
        return state
    try:
        threads = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return state
    running = (_stat_state(thread / "stat") for thread in threads)
    return next((s for s in running if s not in ("", "Z", "X")), state)


def _stat_state(stat_file: Path) -> str:
    try:
        stat = stat_file.read_text()
    except OSError:
        return ""
    # The command name in parentheses may itself contain spaces or parentheses.
    return stat.rpartition(")")[2].split()[0]


def stop(pid: int, *, expect: str, grace_s: float = GRACE_S) -> None:
    """Stop pid's process group (SIGTERM, then SIGKILL); a no-op when it is not ours."""
    if not is_alive(pid, expect=expect):
        return
    _signal(pid, signal.SIGTERM)
    if _wait_gone(pid, grace_s):
        return
    _signal(pid, signal.SIGKILL)
    _wait_gone(pid, GRACE_S)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _wait_gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(POLL_S)
    return not is_alive(pid)


def _reap(pid: int) -> None:
    # Only children spawned here; asyncio reaps its own, and init reaps orphans. A zombie
    # has an empty /proc cmdline, so it already counts as gone before it is reaped.
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]


def record_pid(directory: Path, pid: int) -> None:
    """Note a PID the lab started, so `down` can stop it even after we crash."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / str(pid)).write_text(" ".join(cmdline(pid)))


def forget_pid(directory: Path, pid: int) -> None:
    (directory / str(pid)).unlink(missing_ok=True)


def recorded_pids(directory: Path) -> list[int]:
    if not directory.is_dir():
        return []
    return sorted(int(entry.name) for entry in directory.iterdir() if entry.name.isdigit())
