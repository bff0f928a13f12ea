"""`cti lab up|down|status`: the lab from the command line.

Rule 1: the exit status is 0 on success, 1 when the lab refused (the message, printed to
stderr, says what to do), 2 for a malformed command line (argparse's convention).
Rule 2: the AMI secret is never printed; it is in the server configuration file, which
`up` names.
"""

from __future__ import annotations

import argparse
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
            return _up(args.name, args.devices)
        if args.action == "down":
            instance.down(args.name)
            print(f"lab {args.name!r} is down")
            return 0
        return _status(args.name)
    except (LabError, RenderError) as exc:
        print(f"cti lab {args.action}: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cti lab", description="A real Asterisk for trying CTI.")
    actions = parser.add_subparsers(dest="action", required=True)
    up = actions.add_parser("up", help="start Asterisk in the lab (builds the rootfs once)")
    up.add_argument("--devices", default=DEFAULT_DEVICES, help="e.g. 1001-1020 or 1001,1002")
    actions.add_parser("down", help="stop the lab's Asterisk and SIPp processes")
    actions.add_parser("status", help="say whether the lab runs")
    for sub in actions.choices.values():
        sub.add_argument("--name", default=instance.DEFAULT_NAME, help="lab instance name")
    return parser


def _up(name: str, devices_spec: str) -> int:
    lab = instance.up(name, devices=tuple(parse_devices(devices_spec)))
    print(f"lab {lab.name!r} is up: Asterisk pid {lab.pid}")
    print(f"  AMI {lab.host}:{lab.ports.ami}, SIP udp {lab.host}:{lab.ports.sip}")
    print(f"  devices {lab.devices[0]}..{lab.devices[-1]} ({len(lab.devices)})")
    print(f"server configuration written to {lab.server_config}")
    print(f"next: cti serve --config {lab.server_config}")
    return 0


def _status(name: str) -> int:
    state = instance.status(name)
    if state.running:
        print(f"lab {name!r} runs: Asterisk pid {state.pid}, AMI answers")
        return 0
    why = "AMI does not answer" if state.pid_alive else f"pid {state.pid} is not running"
    print(f"lab {name!r} is not running ({why}); start it with `cti lab up --name {name}`")
    return 1
