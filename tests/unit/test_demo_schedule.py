"""The demo's schedule (cti/demo/schedule.py): from this minute, eight hours, a desk each."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cti.demo.schedule import rows


def test_the_demo_schedules_each_agent_on_queue_at_a_desk_of_its_own() -> None:
    now = datetime(2026, 12, 7, 22, 41, 37, tzinfo=ZoneInfo("Europe/London"))
    assert rows(["1001", "1002"], now) == [
        {"agent": "1001", "date": "2026-12-07", "start": "22:41", "end": "06:41",
         "activity": "on_queue", "position": "desk-1"},
        {"agent": "1002", "date": "2026-12-07", "start": "22:41", "end": "06:41",
         "activity": "on_queue", "position": "desk-2"},
    ]  # fmt: skip
