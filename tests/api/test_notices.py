"""Outage notices through the API (P20): roles, refusals, the store, what Asterisk is told,
and the notice set again by a server that restarts."""

from __future__ import annotations

from pathlib import Path

from cti.domain.effects import ApplyNotice
from cti.domain.ids import QueueId
from tests.api.harness import Api, running_api
from tests.waiting import eventually

BODY = {"prompt": "all-circuits-busy-now", "text": "Outage in the north"}


async def test_set_replace_list_and_clear(api: Api) -> None:
    status, answer = await api.call("PUT", "/api/v1/queues/support/notice", api.supervisor, BODY)
    assert status == 200, answer
    assert (answer["notice"]["prompt"], answer["notice"]["by"]) == (
        "all-circuits-busy-now",
        "supervisor:sue",
    )
    assert api.control.of(ApplyNotice)[-1] == ApplyNotice(
        queue=QueueId("support"), prompt="all-circuits-busy-now"
    )
    body = {"prompt": "beep&beep"}
    status, answer = await api.call("PUT", "/api/v1/queues/support/notice", api.admin, body)
    assert (status, answer["notice"]["text"]) == (200, "")
    _, listed = await api.call("GET", "/api/v1/notices", api.supervisor)
    assert [(n["queue"], n["prompt"]) for n in listed["notices"]] == [("support", "beep&beep")]
    assert [n.prompt for n in await api.store.queue_notices()] == ["beep&beep"]

    status, answer = await api.call("DELETE", "/api/v1/queues/support/notice", api.supervisor)
    assert (status, answer) == (200, {"notice": None})
    assert api.control.of(ApplyNotice)[-1] == ApplyNotice(queue=QueueId("support"), prompt=None)
    assert await api.store.queue_notices() == []
    status, answer = await api.call("DELETE", "/api/v1/queues/support/notice", api.supervisor)
    assert (status, answer["error"]) == (409, "queue support has no outage notice")


async def test_refusals_store_nothing(api: Api) -> None:
    token = await api.log_in("1001")
    status, _ = await api.call("PUT", "/api/v1/queues/support/notice", token, BODY)
    assert status == 403
    status, _ = await api.call("PUT", "/api/v1/queues/nosuch/notice", api.supervisor, BODY)
    assert status == 404
    bad = {"prompt": "beep,20"}
    status, answer = await api.call("PUT", "/api/v1/queues/support/notice", api.supervisor, bad)
    assert (status, answer["field"]) == (422, "prompt")
    assert await api.store.queue_notices() == [] and api.control.of(ApplyNotice) == []


async def test_a_restarted_server_sets_its_notices_again(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        status, _ = await api.call("PUT", "/api/v1/queues/sales/notice", api.supervisor, BODY)
        assert status == 200
    async with running_api(tmp_path) as again:  # the same database

        async def applied() -> bool:
            return ApplyNotice(queue=QueueId("sales"), prompt=BODY["prompt"]) in (
                again.control.of(ApplyNotice)
            )

        await eventually(applied, what="the stored notice applied at start")
        assert QueueId("sales") in again.engine.state.notices
