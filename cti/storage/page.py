"""Keyset pages: a listing read in a fixed order and resumed after the last row given.

Rule 1: a listing is ordered by (a time column, the row's id), ascending or descending as
its Order says; the id breaks ties, so the order is total and the last row of a page says
exactly where the next one begins (its Position). There is no OFFSET: a row stored
meanwhile that sorts after the position is on a later page, one that sorts before it is
on none, and nothing is repeated or skipped because of it.
Rule 2: a page is read as `limit + 1` rows; the extra row is never returned, it only says
whether there is a next page (`after`, the position of the page's last row; None at the
end).
Rule 3: positions are exact: the time as whole microseconds since the epoch (all that
UtcDateTime keeps, cti.storage.models rule 1; a float would lose the last one), the id as
stored (an integer serial or a string key).
Rule 4: a nullable time column sorts its NULLs after every time, in either direction and
on every dialect (SQLite and PostgreSQL disagree by default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Generic, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement, RowMapping, Select, and_, case, or_
from sqlalchemy.sql.elements import KeyedColumnElement

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
Time = ColumnElement[datetime] | ColumnElement[datetime | None]
Key = Time | ColumnElement[int] | ColumnElement[str]
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND: Final = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended (rule 3): the last row's time (None: a NULL time) and id."""

    at: int | None  # microseconds since the epoch
    id: int | str


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    after: Position | None  # None: this was the last page


@dataclass(frozen=True, slots=True)
class Order:
    """How a listing is ordered (rule 1); `nullable` turns on rule 4."""

    time: KeyedColumnElement[datetime] | KeyedColumnElement[datetime | None]
    id: KeyedColumnElement[int] | KeyedColumnElement[str]
    descending: bool = False
    nullable: bool = False

    def clauses(self) -> list[Key]:
        if self.descending:
            ordered: list[Key] = [self.time.desc(), self.id.desc()]
        else:
            ordered = [self.time.asc(), self.id.asc()]
        if self.nullable:  # rule 4: NULL times last, whatever the direction
            ordered.insert(0, case((self.time.is_(None), 1), else_=0).asc())
        return ordered

    def after(self, position: Position) -> ColumnElement[bool]:
        """Rows that sort after `position`."""
        beyond = self.id < position.id if self.descending else self.id > position.id
        if position.at is None:
            return and_(self.time.is_(None), beyond)
        at = moment(position.at)
        later = self.time < at if self.descending else self.time > at
        return or_(later, and_(self.time == at, beyond), self.time.is_(None))


def paged(query: Select[*Ts], order: Order, after: Position | None, limit: int) -> Select[*Ts]:
    """The query ordered (rule 1), resumed after `after`, one row more than `limit` (rule 2)."""
    if after is not None:
        query = query.where(order.after(after))
    return query.order_by(*order.clauses()).limit(limit + 1)


def page_of(
    found: Sequence[RowMapping],
    order: Order,
    limit: int,
    convert: Callable[[RowMapping], T],
) -> Page[T]:
    """The page of rows read by paged(): at most `limit`, and where the next one starts."""
    shown = found[:limit]
    if len(found) <= limit or not shown:
        return Page([convert(row) for row in shown], None)
    last = shown[-1]
    position = Position(micros(last[order.time.key]), last[order.id.key])
    return Page([convert(row) for row in shown], position)


def micros(value: datetime | None) -> int | None:
    """Whole microseconds since the epoch of an aware time (rule 3)."""
    return None if value is None else (value - EPOCH) // MICROSECOND


def moment(value: int) -> datetime:
    return EPOCH + value * MICROSECOND
