"""Device ids and lists of them, as the lab and the server's settings name phones.

Rule 1: a device id is 1-40 letters, digits, '-' or '_' (a PJSIP endpoint's section name,
safe in a configuration file and a dial string).
Rule 2: a list is written '1001-1020', '1001,1005' or a mix: ranges numeric and inclusive,
duplicates dropped, order kept; an empty list, a backward range or a bad id is a
ValueError saying which.
"""

from __future__ import annotations

import re
from typing import Final

DEVICE_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,40}")


def check_device(device: str) -> str:
    """Rule 1."""
    if not DEVICE_ID.fullmatch(device):
        raise ValueError(f"device id {device!r}: use letters, digits, '-' or '_'")
    return device


def parse_devices(spec: str) -> list[str]:
    """Rule 2."""
    devices: list[str] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        first, dash, last = part.partition("-")
        if dash and first.isdigit() and last.isdigit():
            if int(last) < int(first):
                raise ValueError(f"device range {part!r} runs backwards")
            devices += [str(n) for n in range(int(first), int(last) + 1)]
        else:
            devices.append(part)
    for device in devices:
        check_device(device)
    if not devices:
        raise ValueError(f"no devices in {spec!r}")
    return list(dict.fromkeys(devices))
