"""The demo's schedule (issue 16): its inbound agents on queue from the minute the demo
starts for eight hours, each at a desk of its own, published through the API like a
planner would, so the compliance figures (adherence, attendance) have something to judge
and the dashboards something to show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from cti.api.client import ApiClient

HOURS = 8


def rows(agents: Sequence[str], now: datetime) -> list[dict[str, str]]:
    """One on-queue activity per agent from this minute (local time), desks desk-1, -2..."""
    start = now.replace(second=0, microsecond=0)
    end = start + timedelta(hours=HOURS)
    return [
        {
            "agent": agent,
            "date": start.date().isoformat(),
            "start": f"{start:%H:%M}",
            "end": f"{end:%H:%M}",
            "activity": "on_queue",
            "position": f"desk-{n}",
        }
        for n, agent in enumerate(agents, 1)
    ]


async def publish(admin: ApiClient, agents: Sequence[str], zone: tzinfo) -> None:
    """Today's and tomorrow's local dates replaced by the demo's schedule."""
    now = datetime.now(zone)
    body = {
        "since": now.date().isoformat(),
        "until": (now.date() + timedelta(days=2)).isoformat(),
        "activities": rows(agents, now),
    }
    await admin.expect("PUT", "/api/v1/schedule", body)
