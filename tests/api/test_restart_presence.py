"""Who is logged in after a restart includes what the previous run left in its spool
(cti/wiring.py rule 4; C1): a status changed while the database was down, then a crash,
is the status restored, not the older one the database held."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from cti.domain.ids import AgentId, DeviceId, Instant
from cti.domain.records import Presence
from tests.api.harness import Api, running_api


def presence(at: float, *, ready: bool = True, reason: str | None = None) -> Presence:
    return Presence(
        agent=AgentId("1001"),
        at=Instant(at),
        device=DeviceId("PJSIP/1001"),
        logged_in_at=Instant(at - 600),
        ready=ready,
        reason=reason,
        reason_by="" if ready else "1001",
    )


async def agent(running: Api, name: str) -> dict[str, Any]:
    status, answer = await running.call("GET", f"/api/v1/agents/{name}", running.supervisor)
    assert status == 200, answer
    return dict(answer["agent"])


async def test_a_status_left_in_the_spool_is_the_status_restored(tmp_path: Path) -> None:
    now = time.time()
    ready = presence(now - 60)  # in the database: ready a minute ago
    # Spooled since: a long outage's worth of changes (replayed in several batches, so a
    # start that did not wait for the spool would read the database halfway), then lunch.
    changes = [presence(now - 50 + i / 100, ready=i % 2 == 0, reason=None) for i in range(3000)]
    lunch = presence(now - 5, ready=False, reason="lunch")
    async with running_api(tmp_path, stored=[ready], spooled=[*changes, lunch]) as running:
        seen = await agent(running, "1001")
    assert (seen["state"], seen["reason"]) == ("not_ready", "lunch"), seen


async def test_without_a_spool_the_database_status_is_restored(tmp_path: Path) -> None:
    now = time.time()
    async with running_api(tmp_path, stored=[presence(now - 60)]) as running:
        seen = await agent(running, "1001")
    assert (seen["state"], seen["reason"]) == ("available", None), seen
