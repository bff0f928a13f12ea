"""Identifiers and time.

Rule 1: ids are NewTypes over str, so a queue id is never passed where a call id belongs.
Rule 2: time is an Instant (epoch seconds, float) handed in by the caller; the core never
reads a clock.
Rule 3: the ids a configuration gives are names the dialplan and AMI can carry, checked
once, when the configuration is built (cti/domain/config.py), by the rules below, which
call control (cti/ami/control.py) applies to what it sends: a queue is a dialplan
extension (QUEUE_NAME), and an agent, a campaign and a reason code are plain names
(PLAIN_NAME: printable ASCII without separators, so an offer's "guard^device^agent" and
a channel variable stay whole).
"""

from __future__ import annotations

import re
from typing import Final, NewType, Protocol

from cti.domain.setting import Text

AgentId = NewType("AgentId", str)
QueueId = NewType("QueueId", str)
ChannelId = NewType("ChannelId", str)  # Asterisk's Uniqueid of one channel
CallId = NewType("CallId", str)  # CTI_CALL_ID: the Uniqueid of the channel that first entered
DeviceId = NewType("DeviceId", str)  # an Asterisk device, which is also its dial string
Instant = NewType("Instant", float)  # seconds since the Unix epoch


class Clock(Protocol):
    def now(self) -> Instant: ...


# The contexts match queues with `_[a-zA-Z0-9].`: two characters or more, the first a letter
# or digit. A Redirect to an extension that does not match is accepted by Asterisk and then
# hangs the caller up, so such a queue cannot be configured.
QUEUE_RULE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{1,79}")
PLAIN_RULE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+@-]{0,79}")
QUEUE_NAME: Final = Text(
    length=80,
    rule=QUEUE_RULE,
    says="2-80 letters, digits or _ . + -, the first a letter or digit (a dialplan extension)",
)
PLAIN_NAME: Final = Text(
    length=80,
    rule=PLAIN_RULE,
    says="1-80 letters, digits or _ . + @ -, the first a letter or digit",
)
