"""The queues' outage notices (P20) in the database: one row per queue while it is set, so
a server that restarts sets them again (cti/domain/notice.py rule 2)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from cti.domain.ids import QueueId
from cti.domain.notice import Notice
from cti.storage.models import QueueNoticeRow
from cti.storage.rows import instant, utc, value


async def put(connection: AsyncConnection, notice: Notice) -> None:
    """Set, or replace, the queue's notice."""
    await connection.execute(delete(QueueNoticeRow).where(QueueNoticeRow.queue == notice.queue))
    row = {
        "queue": notice.queue,
        "prompt": notice.prompt,
        "text": notice.text,
        "set_by": notice.by,
        "since": utc(notice.since),
    }
    await connection.execute(insert(QueueNoticeRow), row)


async def clear(connection: AsyncConnection, queue: QueueId) -> None:
    await connection.execute(delete(QueueNoticeRow).where(QueueNoticeRow.queue == queue))


async def listed(connection: AsyncConnection) -> list[Notice]:
    query = select(QueueNoticeRow.__table__).order_by(QueueNoticeRow.queue)
    return [
        Notice(
            queue=QueueId(value(row, "queue", str)),
            prompt=value(row, "prompt", str),
            text=value(row, "text", str),
            by=value(row, "set_by", str),
            since=instant(row, "since"),
        )
        for row in (await connection.execute(query)).mappings()
    ]
