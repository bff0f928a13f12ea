"""How a supervisor's live monitoring session is shown (C8): in the API and on the pages."""

from __future__ import annotations

from cti.api.views import Json, seconds
from cti.domain.spy import Spy


def spy_view(spy: Spy) -> Json:
    """`state`: `calling` (the supervisor's phone rings) or `spying` (ChanSpy runs in
    `mode` since `started_at`)."""
    state = "calling" if spy.started_at is None else "spying"
    return {
        "supervisor": spy.supervisor,
        "agent": spy.agent,
        "call_id": spy.call,
        "device": spy.device,
        "mode": spy.mode.value,
        "state": state,
        "asked_at": seconds(spy.asked_at),
        "started_at": None if spy.started_at is None else seconds(spy.started_at),
    }
