"""A lab instance: one real Asterisk, chrooted into the cached rootfs, on loopback ports.

Rule 1: an instance lives in ROOTFS/srv/cti-lab/NAME: etc/ (rendered config), lib/, log/,
run/, spool/, asterisk.out (Asterisk's own output), lab.json (what `load` reads back),
cti.toml (the server's configuration) and sipp/ (PIDs of SIPp processes still running).
Rule 2: AMI, SIP, HTTP and RTP bind 127.0.0.1 only, on ports picked free at `up`, so
instances coexist. The AMI secret is random per instance, and so is the password of the
browsers' softphones (WEBRTC_DEVICES, SIP over ws://127.0.0.1:HTTP/ws); lab.json and
cti.toml are mode 0600.
Rule 3: every process the lab starts it stops by the PID it recorded; `down` is
idempotent and leaves no Asterisk or SIPp of the instance running.
Rule 4: `up` returns only once AMI greets and the CLI answers, or raises LabError with
the tail of Asterisk's output.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final

from cti import softphone
from cti.lab import process
from cti.lab.ports import RTP_PORTS, LabPorts, pick_lab_ports
from cti.lab.readiness import ami_greets, wait_until_ready
from cti.lab.render import DEVICES_FILE, RenderError, devices_conf, render_files
from cti.lab.rootfs import LabError, ensure_rootfs, rootfs_path

REPO: Final = Path(__file__).resolve().parents[2]
TEMPLATES: Final = REPO / "asterisk-config"
DIALPLAN: Final = REPO / "dialplan" / "cti-dialplan.conf"
HOST: Final = "127.0.0.1"
AMI_USER: Final = "cti"
DEFAULT_NAME: Final = "default"
DEFAULT_DEVICES: Final = tuple(str(n) for n in range(1001, 1021))
WEBRTC_DEVICES: Final = ("1901", "1902", "1903", "1904")  # browsers' softphones (issue 15)
INSTANCES: Final = "srv/cti-lab"  # inside the rootfs
ASTERISK: Final = "/usr/sbin/asterisk"
CLI_TIMEOUT_S: Final = 10.0
NAME_RULE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


@dataclass(frozen=True, slots=True)
class LabStatus:
    name: str
    pid: int
    pid_alive: bool
    ami_answers: bool

    @property
    def running(self) -> bool:
        return self.pid_alive and self.ami_answers


@dataclass(slots=True, kw_only=True)
class LabInstance:
    name: str
    root: Path  # the rootfs, seen from the host
    pid: int
    ports: LabPorts
    ami_user: str
    ami_secret: str = field(repr=False)
    devices: tuple[str, ...]
    host: str = HOST
    webrtc: tuple[str, ...] = ()  # the browsers' softphones (rule 2)
    webrtc_secret: str = field(default="", repr=False)

    def softphone_password(self, device: str) -> str:
        """The SIP password of one of the browsers' softphones (cti/softphone.py)."""
        return softphone.password(self.webrtc_secret, device)

    @property
    def websocket_url(self) -> str:
        """Where a browser's softphone connects: SIP over the HTTP server's WebSocket."""
        return f"ws://{self.host}:{self.ports.http}/ws"

    @property
    def home(self) -> Path:
        """The instance's directory, seen from the host."""
        return self.root / INSTANCES / self.name

    @property
    def config_path(self) -> str:
        """asterisk.conf as Asterisk sees it, inside the chroot."""
        return f"/{INSTANCES}/{self.name}/etc/asterisk.conf"

    @property
    def server_config(self) -> Path:
        return self.home / "cti.toml"

    @property
    def sipp_pids(self) -> Path:
        return self.home / "sipp"

    def cli(self, command: str, *, timeout: float = CLI_TIMEOUT_S) -> str:
        """Run one Asterisk CLI command through the remote console; its output."""
        argv = ["chroot", str(self.root), ASTERISK, "-C", self.config_path, "-rx", command]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise LabError(f"CLI {command!r} gave no answer within {timeout:.0f} s") from None
        output = done.stdout.decode(errors="replace")
        if done.returncode != 0:
            raise LabError(f"CLI {command!r} failed: {output}{done.stderr.decode()}".strip())
        return output

    def status(self) -> LabStatus:
        alive = process.is_alive(self.pid, expect=self.config_path)
        return LabStatus(
            self.name, self.pid, alive, alive and ami_greets(self.host, self.ports.ami)
        )

    def restart_asterisk(self) -> None:
        """Stop Asterisk and start it again on the same ports and secret."""
        self._stop_asterisk()
        self._start_asterisk()

    def down(self) -> None:
        """Stop the instance's SIPp processes and Asterisk; safe to repeat."""
        for pid in process.recorded_pids(self.sipp_pids):
            process.stop(pid, expect="sipp", grace_s=2.0)
            process.forget_pid(self.sipp_pids, pid)
        self._stop_asterisk()

    def _stop_asterisk(self) -> None:
        process.stop(self.pid, expect=self.config_path)

    def _start_asterisk(self) -> None:
        output = self.home / "asterisk.out"
        argv = ["chroot", str(self.root), ASTERISK, "-f", "-C", self.config_path]
        self.pid = process.spawn(argv, output=output)
        _write_private(self.home / "lab.json", json.dumps(self.to_json(), indent=2) + "\n")
        try:
            wait_until_ready(self, output)
        except BaseException:  # also Ctrl-C: never leave a half-started Asterisk behind
            self._stop_asterisk()
            raise

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "root": str(self.root),
            "pid": self.pid,
            "host": self.host,
            "ports": asdict(self.ports),
            "ami": {"username": self.ami_user, "secret": self.ami_secret},
            "devices": list(self.devices),
            "webrtc": {"devices": list(self.webrtc), "secret": self.webrtc_secret},
            "asterisk_config": self.config_path,
            "server_config": str(self.server_config),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> LabInstance:
        ami = data["ami"]
        ports = data["ports"]
        devices = data["devices"]
        webrtc = data.get("webrtc", {"devices": [], "secret": ""})
        assert isinstance(ami, dict) and isinstance(ports, dict) and isinstance(devices, list)
        assert isinstance(webrtc, dict)
        return cls(
            name=str(data["name"]),
            root=Path(str(data["root"])),
            pid=int(str(data["pid"])),
            ports=LabPorts(**{k: int(v) for k, v in ports.items()}),
            ami_user=str(ami["username"]),
            ami_secret=str(ami["secret"]),
            devices=tuple(str(d) for d in devices),
            host=str(data.get("host", HOST)),
            webrtc=tuple(str(d) for d in webrtc["devices"]),
            webrtc_secret=str(webrtc["secret"]),
        )


def up(
    name: str = DEFAULT_NAME,
    devices: tuple[str, ...] = DEFAULT_DEVICES,
    *,
    rtp_ports: int = RTP_PORTS,
) -> LabInstance:
    """Provision the rootfs if needed, render config, start Asterisk and wait until ready.
    Every channel takes an RTP/RTCP pair of the rtp_ports: a lab holding n calls through
    an agent needs 4 n of them."""
    _check_name(name)
    root = ensure_rootfs()
    _refuse_if_running(root, name)
    lab = LabInstance(
        name=name,
        root=root,
        pid=0,
        ports=pick_lab_ports(avoid=_ports_of_other_labs(root, name), rtp_ports=rtp_ports),
        ami_user=AMI_USER,
        ami_secret=secrets.token_hex(16),
        devices=tuple(devices),
        webrtc=WEBRTC_DEVICES,
        webrtc_secret=secrets.token_hex(16),
    )
    _prepare_home(lab)
    lab._start_asterisk()
    _write_private(lab.server_config, server_toml(lab))
    return lab


def home_of(name: str) -> Path:
    """The named instance's folder, seen from the host (whether or not it exists)."""
    _check_name(name)
    return rootfs_path() / INSTANCES / name


def load(name: str = DEFAULT_NAME) -> LabInstance:
    """The instance recorded by `up`; LabError when there is none."""
    path = home_of(name) / "lab.json"
    try:
        return LabInstance.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise LabError(f"no lab named {name!r} (no {path}); start one with `cti lab up`") from None


def down(name: str = DEFAULT_NAME, *, purge: bool = False) -> None:
    """Stop the named instance if it exists; with purge, delete its directory too (also
    one that `up` left without lab.json, having failed before Asterisk started)."""
    with contextlib.suppress(LabError):
        load(name).down()
    if purge:
        shutil.rmtree(home_of(name), ignore_errors=True)


def status(name: str = DEFAULT_NAME) -> LabStatus:
    return load(name).status()


def server_toml(lab: LabInstance) -> str:
    """The server's configuration for this lab: where AMI is and how to log in, the
    browsers' softphones, and where Asterisk's MixMonitor writes (its spool's monitor/)."""
    return (  # [ami] last: a caller may add to it (tests/lab/server.py does)
        "[recording]\n"
        f'directory = "{lab.home / "spool" / "monitor"}"\n'
        "\n[softphone]\n"
        f'websocket_url = "{lab.websocket_url}"\n'
        f'devices = "{",".join(lab.webrtc)}"\n'
        f'secret = "{lab.webrtc_secret}"\n'
        "\n[ami]\n"
        f'host = "{lab.host}"\n'
        f"port = {lab.ports.ami}\n"
        f'username = "{lab.ami_user}"\n'
        f'secret = "{lab.ami_secret}"\n'
    )


def _check_name(name: str) -> None:
    if not NAME_RULE.fullmatch(name):
        raise LabError(f"lab name {name!r}: use lower-case letters, digits, '-' or '_'")


def _refuse_if_running(root: Path, name: str) -> None:
    lab_json = root / INSTANCES / name / "lab.json"
    if lab_json.exists() and load(name).status().pid_alive:
        raise LabError(f"lab {name!r} already runs; stop it with `cti lab down --name {name}`")


def _ports_of_other_labs(root: Path, name: str) -> set[int]:
    taken: set[int] = set()
    for lab_json in (root / INSTANCES).glob("*/lab.json"):
        if lab_json.parent.name != name:
            try:
                other = LabInstance.from_json(json.loads(lab_json.read_text()))
            except (OSError, ValueError, KeyError, AssertionError):
                continue  # a damaged record of another lab must not block this one
            # A stopped lab kept for its logs (a failed test session) holds no ports.
            if process.is_alive(other.pid, expect=other.config_path):
                taken |= other.ports.all()
    return taken


def _prepare_home(lab: LabInstance) -> None:
    etc = lab.home / "etc"
    shutil.rmtree(etc, ignore_errors=True)
    for sub in ("etc", "lib", "lib/keys", "log", "run", "spool", "sipp"):  # keys: res_crypto
        (lab.home / sub).mkdir(parents=True, exist_ok=True)
    (lab.home / "asterisk.out").unlink(missing_ok=True)
    try:
        rendered = render_files(_templates(), _values(lab))
    except RenderError as exc:
        raise LabError(f"cannot render the Asterisk configuration: {exc}") from None
    for file_name, text in rendered.items():
        (etc / file_name).write_text(text)
    _write_private(etc / "manager.conf", (etc / "manager.conf").read_text())
    devices = devices_conf(lab.devices, lab.webrtc, lab.webrtc_secret)
    _write_private(etc / DEVICES_FILE, devices)  # the softphones' password
    shutil.copyfile(DIALPLAN, etc / DIALPLAN.name)


def _templates() -> dict[str, str]:
    if not TEMPLATES.is_dir() or not DIALPLAN.is_file():
        raise LabError(f"the lab runs from a source checkout: {TEMPLATES} or {DIALPLAN} missing")
    return {path.name: path.read_text() for path in sorted(TEMPLATES.glob("*.conf"))}


def _values(lab: LabInstance) -> dict[str, str]:
    inside = f"/{INSTANCES}/{lab.name}"
    return {
        "ETC": f"{inside}/etc",
        "LIB": f"{inside}/lib",
        "SPOOL": f"{inside}/spool",
        "RUN": f"{inside}/run",
        "LOG": f"{inside}/log",
        "AMI_BIND": lab.host,
        "AMI_PORT": str(lab.ports.ami),
        "AMI_PERMIT": f"{lab.host}/255.255.255.255",
        "AMI_USER": lab.ami_user,
        "AMI_SECRET": lab.ami_secret,
        "RTP_START": str(lab.ports.rtp_start),
        "RTP_END": str(lab.ports.rtp_end),
        "SIP_BIND": lab.host,
        "SIP_PORT": str(lab.ports.sip),
        "HTTP_BIND": lab.host,
        "HTTP_PORT": str(lab.ports.http),
        "TRUNK_CONTACT": f"{lab.host}:{lab.ports.trunk}",
        "TRUNK_MATCH": lab.host,
        # Each SIPp softphone registers from one port with a Contact naming another.
        "AGENT_REWRITE_CONTACT": "no",
    }


def _write_private(path: Path, text: str) -> None:
    # Created 0600 from the start: the file holds the AMI secret.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    os.chmod(path, 0o600)
