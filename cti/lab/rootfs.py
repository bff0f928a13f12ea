"""The lab's root filesystem: Debian sid with Asterisk, built once and cached.

Rule 1: a rootfs is used only when its marker file exists and names the same recipe; a
half-built tree never has the marker, because the marker is written last and the tree is
built in a temporary sibling directory and renamed into place only when complete.
Rule 2: preconditions (root, debootstrap) are checked before anything is written, and
every failure message says what to do next.
Rule 3: no registry host is written here: debootstrap picks Debian's default mirror.
Rule 4: nothing is ever mounted inside the rootfs, and a tree that has a mount inside it
is never deleted.
Rule 5: the rootfs resolves this machine's host name from its own /etc/hosts (written when
missing or naming another host). Asterisk looks its host name up for calls whose media
address is not configured; without the entry that is a DNS query from inside the chroot,
which on a sandbox whose DNS drops queries stalls a PJSIP thread (and every new call) 5 s.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

DEFAULT_ROOTFS: Final = Path("/var/cache/cti-lab/rootfs")
ROOTFS_ENV: Final = "CTI_LAB_ROOTFS"
MARKER: Final = ".cti-lab-rootfs"
SUITE: Final = "sid"
PACKAGES: Final = ("asterisk", "asterisk-modules", "asterisk-moh-opsound-gsm")
ASTERISK_DIRS: Final = (
    "var/lib/asterisk",
    "var/run/asterisk",
    "var/log/asterisk",
    "var/spool/asterisk",
)
BUILD_TIMEOUT_S: Final = 1800.0
LOG_TAIL_LINES: Final = 30


class LabError(Exception):
    """The lab cannot do what was asked; the message says why and what to do."""


def rootfs_path() -> Path:
    """Where the cached rootfs lives: $CTI_LAB_ROOTFS or /var/cache/cti-lab/rootfs."""
    override = os.environ.get(ROOTFS_ENV, "").strip()
    return Path(override) if override else DEFAULT_ROOTFS


def check_root() -> None:
    if os.geteuid() != 0:
        raise LabError(
            "the lab needs root (debootstrap and chroot): run as root, "
            "or use `docker compose up` from the repository"
        )


def recipe() -> dict[str, object]:
    """What the marker records; a rootfs built from another recipe is rebuilt."""
    return {"suite": SUITE, "variant": "minbase", "packages": list(PACKAGES)}


def is_complete(root: Path) -> bool:
    try:
        return bool(json.loads((root / MARKER).read_text()) == recipe())
    except (OSError, ValueError):
        return False


def ensure_rootfs(root: Path | None = None) -> Path:
    """Return a complete rootfs, building it first (about a minute) when missing or stale."""
    root = root or rootfs_path()
    check_root()
    if is_complete(root):
        ensure_hosts(root)
        return root
    if shutil.which("debootstrap") is None:
        raise LabError("debootstrap is missing: apt-get install debootstrap")
    root.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(root):
        if not is_complete(root):  # another process may have built it while we waited
            _build(root)
    ensure_hosts(root)
    return root


def ensure_hosts(root: Path) -> None:
    """Rule 5: loopback names for localhost and this host; replaced atomically, so labs
    starting at once on a shared rootfs each see a whole file."""
    name = socket.gethostname()
    wanted = f"127.0.0.1 localhost {name}\n::1 localhost ip6-localhost ip6-loopback\n"
    hosts = root / "etc" / "hosts"
    try:
        if hosts.read_text() == wanted:
            return
    except OSError:
        pass
    staging = hosts.with_name(f".hosts.{os.getpid()}")
    staging.write_text(wanted)
    staging.replace(hosts)


@contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    with (root.parent / f".{root.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(root: Path) -> None:
    staging = root.parent / f".{root.name}.building"
    log = root.parent / f"{root.name}-build.log"
    for stale in (staging, root):
        if stale.exists():
            _remove_tree(stale)
    _debootstrap(staging, log)
    for directory in ASTERISK_DIRS:
        (staging / directory).mkdir(parents=True, exist_ok=True)
        os.chown(staging / directory, 0, 0)
    (staging / MARKER).write_text(json.dumps(recipe()))
    staging.rename(root)


def _debootstrap(target: Path, log: Path) -> None:
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        SUITE,
        str(target),
    ]
    with log.open("w") as out:
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=BUILD_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise LabError(
                _build_failure(log, f"timed out after {BUILD_TIMEOUT_S:.0f} s")
            ) from None
    if done.returncode != 0:
        if target.exists():  # debootstrap may fail before creating anything
            _remove_tree(target)
        raise LabError(_build_failure(log, f"exit status {done.returncode}"))


def _build_failure(log: Path, why: str) -> str:
    return (
        f"building the lab rootfs failed ({why}); full log: {log}\n"
        f"--- last lines ---\n{tail(log, LOG_TAIL_LINES)}"
    )


def _remove_tree(tree: Path) -> None:
    # A bind mount inside would make rmtree delete the host's /dev or /proc contents.
    inside = str(tree.resolve()) + "/"
    mount_points = (line.split()[1] for line in Path("/proc/mounts").read_text().splitlines())
    if any((point + "/").startswith(inside) for point in mount_points):
        raise LabError(f"{tree} has something mounted inside; unmount it, then retry")
    shutil.rmtree(tree)


def tail(path: Path, lines: int) -> str:
    """The last lines of a text file, or a note that it cannot be read."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(cannot read {path}: {exc.strerror})"
