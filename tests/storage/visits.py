"""Queue visits for storage tests."""

from __future__ import annotations

from cti.domain.ids import CallId, ChannelId, Instant, QueueId
from cti.domain.records import QueueVisit, VisitOutcome

BASE = 1_700_000_000.123456


def make_visit(n: int, *, queue: str = "sales") -> QueueVisit:
    """The n-th of a family of distinct visits whose instants are exact to the microsecond."""
    # round() gives the float nearest the decimal microsecond, as a timestamp column returns it.
    entered_at = round(BASE + n * 1.000001, 6)
    return QueueVisit(
        call=CallId(f"call-{n}"),
        channel=ChannelId(f"1700000000.{n}"),
        queue=QueueId(queue),
        caller=f"+3361234{n:04d}",
        priority=n % 3,
        entered_at=Instant(entered_at),
        left_at=Instant(round(entered_at + 12.654321, 6)),
        outcome=VisitOutcome.CONNECTED if n % 2 else VisitOutcome.ABANDONED,
    )


def make_visits(count: int, *, start: int = 0, queue: str = "sales") -> list[QueueVisit]:
    return [make_visit(n, queue=queue) for n in range(start, start + count)]
