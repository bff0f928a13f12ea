"""The routing benchmark's instants: what Asterisk tells over AMI, what the phones saw.

Rule 1: every instant is epoch seconds on the host's one clock: Asterisk's event
Timestamp (timestampevents = yes), the dialplan's CTI_ENTERED / BENCH_ENTERED, time.time()
where this process or the floor router heard something, and the phones' SIPp traces.
Rule 2: marks are keyed by caller number (the bench's prefix plus SIPp's call number,
which Asterisk sends as the INVITE's From user); the first instant of each mark is kept.
Rule 3: the offer's marks follow the dialplan contract: `offer_set` is the VarSet of the
last variable `cti.ami.control.plan` sets for a ConnectCall and `connect` the caller's
first Newexten in the context its Redirect names, whatever those are today.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from panoramisk import Manager

from cti.ami.actions import Action
from cti.ami.control import plan
from cti.domain.effects import ConnectCall
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, QueueId
from cti.lab.instance import LabInstance
from cti.lab.sipp import Softphone

# The dialplans' queue entries: CtiArmTaken stands for CtiQueueEnter when the caller took
# an armed offer (contract v11), and marks it `taken`.
ENTRY_EVENTS: Final = ("CtiQueueEnter", "BenchQueueEnter", "CtiArmTaken")


def connect_plan() -> list[Action]:
    """The actions of a ConnectCall under today's dialplan contract (rule 3)."""
    sample = ConnectCall(
        call=CallId("c"),
        channel=ChannelId("c"),
        queue=QueueId("q1"),
        agent=AgentId("1001"),
        device=DeviceId("PJSIP/1001"),
        ring_guard=1.0,
    )
    return plan(sample)


def offer_variable() -> str:
    """The variable of the last Setvar before a ConnectCall's Redirect (rule 3)."""
    setvars = [a["Variable"] for a in connect_plan() if a["Action"] == "Setvar"]
    if not setvars:
        raise RuntimeError("plan(ConnectCall) sets no variable: no offer_set mark to take")
    return setvars[-1]


def connect_context() -> str:
    """Where a ConnectCall's Redirect sends the caller to Dial (rule 3)."""
    redirects = [a["Context"] for a in connect_plan() if a["Action"] == "Redirect"]
    if not redirects:
        raise RuntimeError("plan(ConnectCall) redirects nowhere: no connect mark to take")
    return redirects[-1]


@dataclass(slots=True)
class AmiMarks:
    """First instant of each mark per caller number, from one plain AMI session."""

    offer_variable: str = field(default_factory=offer_variable)
    connect_context: str = field(default_factory=connect_context)
    marks: defaultdict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    channels: dict[str, str] = field(default_factory=dict)  # caller's Uniqueid -> caller

    def on_event(self, _manager: Any, message: Any) -> None:
        """panoramisk callback: sync, and never raises (a bad event is just not a mark)."""
        with contextlib.suppress(KeyError, ValueError, TypeError):
            self._note(message, time.time())

    def _note(self, event: Any, heard: float) -> None:
        name, at = event.get("Event"), float(event.get("Timestamp", "nan"))
        caller = str(event.get("CallerIDNum", ""))
        if name == "UserEvent" and event["UserEvent"] in ENTRY_EVENTS:
            caller = str(event["CallerNum"])
            self.channels[str(event.get("Uniqueid", ""))] = caller
            self.mark(caller, "entered", float(event["Entered"]))
            self.mark(caller, "announced", at)
            self.mark(caller, "heard", heard)
            if event["UserEvent"] == "CtiArmTaken":
                self.mark(caller, "taken", at)
        elif name == "VarSet" and event.get("Variable") == self.offer_variable:
            self.mark(caller, "offer_set", at)
        elif name == "Newexten" and event.get("Context") == self.connect_context:
            self.mark(caller, "connect", at)
        elif name == "DialBegin":
            self.mark(caller, "dial_begin", at)

    def mark(self, caller: str, mark: str, at: float) -> None:
        if caller and not math.isnan(at):
            self.marks[caller].setdefault(mark, at)

    def add(self, more: Mapping[str, Mapping[str, float]]) -> None:
        """Marks taken elsewhere (the floor router's), per caller number."""
        for caller, instants in more.items():
            for mark, at in instants.items():
                self.mark(caller, mark, at)


@contextlib.asynccontextmanager
async def ami_listener(lab: LabInstance, *, breakdown: bool) -> AsyncIterator[AmiMarks]:
    """An AMI session noting marks. Without breakdown it takes only UserEvents (class user):
    the call and dialplan classes are ~120 events a call, whose parsing here would take CPU
    from the systems under test (about 15 % of a core at 20 calls/s)."""
    marks = AmiMarks()
    manager = Manager(
        host=lab.host,
        port=lab.ports.ami,
        username=lab.ami_user,
        secret=lab.ami_secret,
        events="user,call,dialplan" if breakdown else "user",
        ping_delay=10**6,
    )
    manager.register_event("*", marks.on_event)
    async with asyncio.timeout(10):
        await manager.connect()
    try:
        yield marks
    finally:
        manager.close()


# --- what the agent phones saw ------------------------------------------------------------

TRACE_HEAD: Final = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)$", re.M)
FROM_USER: Final = re.compile(r"^From:.*?<?sips?:([^@;>]+)@", re.M)
CALL_ID: Final = re.compile(r"^Call-ID:\s*(\S+)", re.M | re.I)


@dataclass(frozen=True, slots=True)
class PhoneCall:
    device: str
    invited: float  # the INVITE reached the phone
    ended: float  # the dialog's last message (the BYE's answer): the phone is free again


def read_traces(phones: Iterable[Softphone]) -> dict[str, PhoneCall]:
    """Per caller number (the INVITE's From user), the call its agent phone took."""
    calls: dict[str, PhoneCall] = {}
    for phone in phones:
        assert phone.trace_dir is not None
        for path in phone.trace_dir.glob("*_messages.log"):
            for caller, invited, ended in _dialogs(path.read_text(errors="replace")):
                calls.setdefault(caller, PhoneCall(phone.device, invited, ended))
    return calls


def _dialogs(text: str) -> Iterable[tuple[str, float, float]]:
    """(caller, INVITE received, last message) of each call in a SIPp -trace_msg log."""
    invites: dict[str, tuple[str, float]] = {}
    last: dict[str, float] = {}
    heads = list(TRACE_HEAD.finditer(text))
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        block = text[head.end() : following.start() if following else len(text)]
        found = CALL_ID.search(block)
        if found is None:
            continue
        dialog = found.group(1)
        # SIPp writes local time; the same host's local zone turns it back into epoch.
        at = datetime.strptime(head.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        last[dialog] = at
        lines = [line for line in block.splitlines() if line.strip()]
        sender = FROM_USER.search(block)
        received_invite = len(lines) > 1 and "received" in lines[0] and lines[1][:7] == "INVITE "
        if received_invite and sender and dialog not in invites:
            invites[dialog] = (sender.group(1), at)
    for call_id, (caller, invited) in invites.items():
        yield caller, invited, last[call_id]
