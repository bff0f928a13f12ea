"""AMI actions as plain maps (pure builders).

Rule 1: builders only build; sending, timeouts and fail-fast live in cti/ami/link.py.
Rule 2: CALL_CONTROL names the actions that must never be sent late: after a disconnect
they fail at once instead of waiting to be replayed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

Action = Mapping[str, str]

CALL_CONTROL: Final = frozenset(
    {
        "originate",
        "redirect",
        "setvar",
        "hangup",
        "bridge",
        "blindtransfer",
        "atxfer",
        "playdtmf",
    }
)


# The event classes the server reads (cti/ami/normalize.py's parsers): Hangup, the Dial
# events and DeviceStateChange are class `call`; the dialplan's UserEvents are class `user`.
# Asking for these only keeps `dialplan` (VarSet, Newexten: about 70 % of a call's events)
# and the rest off the link even where the AMI user may read more.
EVENT_CLASSES: Final = "call,user"


def login(username: str, secret: str, events: str = EVENT_CLASSES) -> Action:
    return {"Action": "Login", "Username": username, "Secret": secret, "Events": events}


def ping() -> Action:
    return {"Action": "Ping"}


def core_show_channels() -> Action:
    return {"Action": "CoreShowChannels"}


def bridge_list() -> Action:
    return {"Action": "BridgeList"}


def device_state_list() -> Action:
    """Every device state Asterisk knows (res_manager_devicestate; write class call or
    reporting): one DeviceStateChange entry per device, then DeviceStateListComplete."""
    return {"Action": "DeviceStateList"}


def setvar(channel: str, name: str, value: str) -> Action:
    return {"Action": "Setvar", "Channel": channel, "Variable": name, "Value": value}


def set_global(name: str, value: str) -> Action:
    """Setvar without a Channel sets a global variable (manager.c action_setvar)."""
    return {"Action": "Setvar", "Variable": name, "Value": value}


def get_global(name: str) -> Action:
    """Getvar without a Channel reads a global variable (manager.c action_getvar)."""
    return {"Action": "Getvar", "Variable": name}


def redirect(channel: str, context: str, exten: str, priority: int | str = 1) -> Action:
    """Send a channel to context,exten,priority; the priority may be a label (manager.c
    resolves it with ast_findlabel_extension and answers "Priority is invalid" if absent)."""
    return {
        "Action": "Redirect",
        "Channel": channel,
        "Context": context,
        "Exten": exten,
        "Priority": str(priority),
    }


def redirect_both(
    channel: str, to: tuple[str, str, str], extra_channel: str, extra_to: tuple[str, str, str]
) -> Action:
    """Send two channels to (context, exten, priority) each in one action: when both are
    in one bridge, neither is hung up by the other leaving it (manager.c, "Dual Redirect")."""
    return {
        "Action": "Redirect",
        "Channel": channel,
        "Context": to[0],
        "Exten": to[1],
        "Priority": to[2],
        "ExtraChannel": extra_channel,
        "ExtraContext": extra_to[0],
        "ExtraExten": extra_to[1],
        "ExtraPriority": extra_to[2],
    }


def originate(
    *,
    channel_id: str,
    dial: str,
    to: tuple[str, str, str],
    ring_ms: int,
    caller_id: str,
    variables: Mapping[str, str],
) -> Action:
    """An async Originate of `dial` (e.g. PJSIP/<number>@trunk) into context, exten,
    priority `to` once answered. Facts from Asterisk 22 (tests/lab/test_originate.py): the
    action answers "successfully queued" at once and the outcome is one OriginateResponse
    event, up to `ring_ms` later; `ChannelId` becomes the channel's Uniqueid, so every event
    of the attempt names it; the variables arrive as one comma-separated `Variable` header,
    so a value may not hold a comma (ValueError); a name may, inside a function's
    parentheses (`PJSIP_HEADER(add,Call-Info)`: manager.c splits the header as the
    dialplan splits arguments, minding parentheses)."""
    for name, value in variables.items():
        bare = name.split("(", 1)[0]
        if "," in value or "=" in name or "," in bare or not _balanced(name):
            raise ValueError(f"Originate variable {name}={value!r}: no ',' and no '=' in a name")
    return {
        "Action": "Originate",
        "ActionID": f"originate-{channel_id}",
        "ChannelId": channel_id,
        "Channel": dial,
        "Context": to[0],
        "Exten": to[1],
        "Priority": to[2],
        "Timeout": str(ring_ms),
        "CallerID": caller_id,
        "Variable": ",".join(f"{name}={value}" for name, value in variables.items()),
        "Async": "true",
    }


def _balanced(name: str) -> bool:
    """A comma in a name only inside one pair of parentheses that closes the name."""
    if "," not in name:
        return True
    return name.count("(") == 1 and name.endswith(")") and name.index("(") < name.index(",")


def play_dtmf(channel: str, digit: str) -> Action:
    """A DTMF digit as if the channel's own phone had keyed it (`Receive`): what the
    application running on the channel reads (e.g. ChanSpy's mode keys)."""
    return {"Action": "PlayDTMF", "Channel": channel, "Digit": digit, "Receive": "true"}


def hangup(channel: str, cause: int = 16) -> Action:
    return {"Action": "Hangup", "Channel": channel, "Cause": str(cause)}


def is_call_control(action: Action) -> bool:
    return action["Action"].lower() in CALL_CONTROL
