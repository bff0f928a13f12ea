"""Keyset pages of stored history against real SQLite and PostgreSQL (issue 12): every
record once, in order, whatever is stored between two pages (cti/storage/page.py)."""

from __future__ import annotations

from cti.domain.ids import AgentId
from cti.domain.records import Finding, Rule
from cti.storage.database import Database
from cti.storage.page import Page, Position
from tests.storage.samples import at, make_finding


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
