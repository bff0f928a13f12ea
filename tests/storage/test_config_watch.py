"""ConfigWatch against a real database: a change written behind the server's back is
handed on once, an unchanged configuration never (cti/storage/config_watch.py)."""

from __future__ import annotations

from cti.domain.config import AcdConfig, QueueConfig
from cti.domain.ids import QueueId
from cti.storage.config_store import ConfigChange, ConfigStore
from cti.storage.config_watch import ConfigWatch
from cti.storage.database import Database


async def test_a_change_in_the_database_is_handed_on_once(database: Database) -> None:
    store = ConfigStore(database)
    handed: list[AcdConfig] = []

    async def apply(config: AcdConfig) -> None:
        handed.append(config)

    watch = ConfigWatch(store, apply)
    watch.loaded(await store.load())

    quiet = await watch.step()
    await store.apply(ConfigChange(queues=(QueueConfig(id=QueueId("sales")),)))
    first, second = await watch.step(), await watch.step()

    assert (quiet, first, second) == (False, True, False)
    assert [list(c.queues) for c in handed] == [["sales"]]
