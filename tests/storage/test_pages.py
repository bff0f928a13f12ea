"""Keyset pages of stored history against real SQLite and PostgreSQL (issue 12): calls by
filter, findings, dial attempts; every record once, in order, whatever is stored between
two pages (cti/storage/page.py, call_listing.py)."""

from __future__ import annotations

from dataclasses import replace

from cti.domain.ids import AgentId, CallId, Instant, QueueId
from cti.domain.records import CallOutcome, CallRecord, Finding, Rule, Segment, SegmentKind
from cti.storage.database import Database
from cti.storage.page import Page, Position
from cti.storage.queries import CallFilter
from tests.storage.samples import at, make_abandoned_call, make_call, make_finding, make_offer


async def every_page(read: object, limit: int) -> list[list[object]]:
    """Pages of `read(limit=, after=)` until `after` is None."""
    pages: list[list[object]] = []
    after: Position | None = None
    while True:
        page: Page[object] = await read(limit=limit, after=after)  # type: ignore[operator]
        pages.append(page.items)
        if page.after is None:
            return pages
        after = page.after


def unanswered(n: int) -> CallRecord:
    """Sent on by the max-wait rule: neither answered nor abandoned."""
    return replace(make_abandoned_call(n), abandoned=False, abandon_wait=None)


def moved_to_support(n: int) -> CallRecord:
    """Entered sales, moved to support, answered there by 1002."""
    call = make_call(n, agents=("1002",))
    moved = Segment(kind=SegmentKind.QUEUE, start=at(n, 5), end=at(n, 10),
                    queue=QueueId("support"), outcome="connected")  # fmt: skip
    return replace(call, segments=(call.segments[0], moved, *call.segments[1:]))


async def test_2500_findings_page_by_1000_each_once_in_order(database: Database) -> None:
    found = [make_finding(n, agent=f"{1000 + n % 7}") for n in range(2500)]
    await database.history().record(list(reversed(found)))

    pages = await every_page(database.queries().findings, 1000)

    assert [len(p) for p in pages] == [1000, 1000, 500]
    assert [f for p in pages for f in p] == found


async def test_findings_stored_between_pages_are_neither_repeated_nor_skipped(
    database: Database,
) -> None:
    queries = database.queries()
    await database.history().record([make_finding(n) for n in range(5)])
    first = await queries.findings(limit=3)
    await database.history().record([make_finding(n) for n in range(5, 7)])  # newer

    rest = await queries.findings(limit=3, after=first.after)
    last = await queries.findings(limit=3, after=rest.after)

    assert [f.at for f in [*first.items, *rest.items]] == [at(n) for n in range(6)]
    assert ([f.at for f in last.items], last.after) == ([at(6)], None)


async def test_findings_at_one_instant_are_ordered_by_id_across_pages(database: Database) -> None:
    same = [
        Finding(rule=rule, agent=AgentId(agent), at=at(1), measured=1.0, limit=1.0)
        for rule in (Rule.RING_LIMIT, Rule.SECOND_LOGIN) for agent in ("1001", "1002", "1003")
    ]  # fmt: skip
    await database.history().record(same)

    pages = await every_page(database.queries().findings, 2)

    assert [len(p) for p in pages] == [2, 2, 2]
    assert [f for p in pages for f in p] == same


async def test_calls_page_oldest_entry_first_with_segments(database: Database) -> None:
    calls = [make_call(n) for n in range(1, 6)]
    await database.history().record(list(reversed(calls)))

    pages = await every_page(lambda **kw: database.queries().calls(CallFilter(), **kw), limit=2)

    assert [[c.call for c in p] for p in pages] == [
        ["call-1", "call-2"], ["call-3", "call-4"], ["call-5"],
    ]  # fmt: skip
    assert [c for p in pages for c in p] == calls  # whole, segments in order


async def test_calls_are_filtered_by_queue_agent_outcome_and_time(database: Database) -> None:
    await database.history().record(
        [
            make_call(1, agents=("1001",)),
            make_call(2, agents=("1001", "1002")),
            make_abandoned_call(3),  # support, nobody offered
            unanswered(4),  # support
            moved_to_support(5),
            make_offer(4, agent="1003"),  # 1003 was offered call 4, never talked
            make_call(6, agents=("1002",), queue="support"),
        ]
    )
    queries = database.queries()

    async def ids(**kept: object) -> list[str]:
        page = await queries.calls(CallFilter(**kept), limit=100)  # type: ignore[arg-type]
        return [c.call for c in page.items]

    assert await ids() == [f"call-{n}" for n in range(1, 7)]
    assert await ids(queue=QueueId("sales")) == ["call-1", "call-2", "call-5"]
    assert await ids(queue=QueueId("support")) == ["call-3", "call-4", "call-5", "call-6"]
    assert await ids(agent=AgentId("1002")) == ["call-2", "call-5", "call-6"]
    assert await ids(agent=AgentId("1003")) == ["call-4"]
    assert await ids(outcome=CallOutcome.ANSWERED) == ["call-1", "call-2", "call-5", "call-6"]
    assert await ids(outcome=CallOutcome.ABANDONED) == ["call-3"]
    assert await ids(outcome=CallOutcome.UNANSWERED) == ["call-4"]
    assert await ids(since=at(2), until=at(5)) == ["call-2", "call-3", "call-4"]
    assert await ids(queue=QueueId("support"), agent=AgentId("1002"), since=at(6)) == ["call-6"]


async def test_a_newer_call_stored_between_pages_comes_on_the_last_page(
    database: Database,
) -> None:
    queries, every = database.queries(), CallFilter()
    await database.history().record([make_call(n) for n in range(1, 4)])
    first = await queries.calls(every, limit=2)
    await database.history().record([make_call(9)])

    rest = await queries.calls(every, limit=2, after=first.after)

    assert [c.call for c in [*first.items, *rest.items]] == ["call-1", "call-2", "call-3", "call-9"]
    assert rest.after is None


async def test_calls_entered_at_one_instant_page_by_insertion_order(database: Database) -> None:
    same = [replace(make_call(1), call=CallId(name)) for name in ("b", "a", "c")]
    await database.history().record(same)

    pages = await every_page(
        lambda **kw: database.queries().calls(CallFilter(since=Instant(at(1))), **kw), 1
    )

    assert [[c.call for c in p] for p in pages] == [["b"], ["a"], ["c"]]
