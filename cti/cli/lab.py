"""`cti lab up|down|status`: the lab from the command line.

Rule 1: the exit status is 0 on success, 1 when the lab refused (the message, printed to
stderr, says what to do), 2 for a malformed command line (argparse's convention).
Rule 2: the AMI secret is never printed; it is in the server configuration file, which
`up` names.
Rule 3: `up --json` prints one JSON object and nothing else on stdout, for scripts: what
lab.json records (but the secret), the instance's folder and its status.
Rule 4: `down` keeps the instance's folder (Asterisk's log, SIPp traces) unless --remove.
"""

from __future__ import annotations

import argparse
import json
import sys

from cti.lab import instance
from cti.lab.render import RenderError, parse_devices
from cti.lab.rootfs import LabError

DEFAULT_DEVICES = "1001-1020"


def run_lab_command(argv: list[str]) -> int:
    """Run one lab command (argv without the leading `cti lab`); the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.action == "up":
            return _up(args.name, args.devices, as_json=args.json)
        if args.action == "down":
            return _down(args.name, remove=args.remove)
        return _status(args.name)
    except (LabError, RenderError) as exc:
        print(f"cti lab {args.action}: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cti lab", description="A real Asterisk for trying CTI.")
    actions = parser.add_subparsers(dest="action", required=True)
    up = actions.add_parser("up", help="start Asterisk in the lab (builds the rootfs once)")
    up.add_argument("--devices", default=DEFAULT_DEVICES, help="e.g. 1001-1020 or 1001,1002")
    up.add_argument("--json", action="store_true", help="print the instance as one JSON object")
    down = actions.add_parser("down", help="stop the lab's Asterisk and SIPp processes")
    down.add_argument("--remove", action="store_true", help="also remove the instance's folder")
    actions.add_parser("status", help="say whether the lab runs")
    for sub in actions.choices.values():
        sub.add_argument("--name", default=instance.DEFAULT_NAME, help="lab instance name")
    return parser


def _up(name: str, devices_spec: str, *, as_json: bool) -> int:
    lab = instance.up(name, devices=tuple(parse_devices(devices_spec)))
    if as_json:
        print(json.dumps(_details(lab), indent=2))
        return 0
    print(f"lab {lab.name!r} is up: Asterisk pid {lab.pid}")
    print(f"  AMI {lab.host}:{lab.ports.ami}, SIP udp {lab.host}:{lab.ports.sip}")
    print(f"  devices {lab.devices[0]}..{lab.devices[-1]} ({len(lab.devices)})")
    print(f"server configuration written to {lab.server_config}")
    print(f"next: cti serve --config {lab.server_config}")
    return 0


def _details(lab: instance.LabInstance) -> dict[str, object]:
    """Rule 3: lab.json without the AMI secret (rule 2), the folder and the status."""
    state = lab.status()
    return {
        **lab.to_json(),
        "ami": {"username": lab.ami_user},
        "home": str(lab.home),
        "running": state.running,
        "pid_alive": state.pid_alive,
        "ami_answers": state.ami_answers,
    }


def _down(name: str, *, remove: bool) -> int:
    instance.down(name, purge=remove)
    home = instance.home_of(name)
    if remove and home.exists():
        raise LabError(f"the lab is down, but {home} could not be removed")
    print(f"lab {name!r} is down" + (f"; {home} is removed" if remove else ""))
    return 0


def _status(name: str) -> int:
    state = instance.status(name)
    if state.running:
        print(f"lab {name!r} runs: Asterisk pid {state.pid}, AMI answers")
        return 0
    why = "AMI does not answer" if state.pid_alive else f"pid {state.pid} is not running"
    print(f"lab {name!r} is not running ({why}); start it with `cti lab up --name {name}`")
    return 1
