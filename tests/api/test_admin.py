"""Admin configuration through the API (C2, C3, P5): stored by the ConfigStore, then
loaded by the engine, so what the engine routes by is what is stored."""

from __future__ import annotations

from cti.domain.ids import QueueId
from tests.api.harness import Api

BILLING = {"name": "Billing", "ring_limit": 2, "ring_cadence": 5.0, "max_wrap_up": 30.0}


async def test_a_queue_put_by_an_admin_is_listed_and_routed_by(api: Api) -> None:
    status, answer = await api.call("PUT", "/api/v1/admin/queues/billing", api.admin, body=BILLING)

    assert status == 200, answer
    assert answer["queue"]["ring_limit"] == 2
    status, listing = await api.call("GET", "/api/v1/queues", api.supervisor)
    billing = next(q for q in listing["queues"] if q["queue"] == "billing")
    assert (billing["name"], billing["waiting"], billing["calls"]) == ("Billing", 0, [])
    queue = api.engine.state.config.queues[QueueId("billing")]
    assert (queue.ring_limit, queue.ring_cadence, queue.max_wrap_up) == (2, 5.0, 30.0)
    assert QueueId("billing") in (await api.store.load()).queues


async def test_a_queue_the_config_refuses_is_422_and_stores_nothing(api: Api) -> None:
    body = {**BILLING, "ring_limit": 0}

    status, answer = await api.call("PUT", "/api/v1/admin/queues/billing", api.admin, body=body)

    assert status == 422, answer
    assert "ring_limit" in answer["error"]
    assert QueueId("billing") not in (await api.store.load()).queues
    assert QueueId("billing") not in api.engine.state.config.queues


async def test_a_queue_with_members_cannot_be_deleted(api: Api) -> None:
    members = await api.call("DELETE", "/api/v1/admin/queues/support", api.admin)
    unknown = await api.call("DELETE", "/api/v1/admin/queues/nowhere", api.admin)
    emptied = await api.call("DELETE", "/api/v1/admin/queues/sales", api.admin)

    assert members[0] == 409 and "members" in members[1]["error"]
    assert unknown[0] == 404
    assert emptied[0] == 200
    assert QueueId("sales") not in api.engine.state.config.queues


async def test_an_agent_put_with_a_pin_can_log_in_with_it(api: Api) -> None:
    body = {"name": "Carol", "queues": {"support": 1}, "skills": {"english": 4}, "pin": "2468"}
    api.register("PJSIP/1003")

    status, answer = await api.call("PUT", "/api/v1/admin/agents/1003", api.admin, body=body)
    login = await api.call(
        "POST", "/api/v1/agents/1003/login", body={"pin": "2468", "device": "1003"}
    )

    assert status == 200, answer
    assert "pin" not in answer["agent"]
    assert login[0] == 200, login
    status, config = await api.call("GET", "/api/v1/admin/config", api.admin)
    assert "2468" not in str(config)
    assert [a["id"] for a in config["agents"]] == ["1001", "1002", "1003"]


async def test_agent_puts_name_bad_pins_and_unknown_queues(api: Api) -> None:
    bad_pin = await api.call("PUT", "/api/v1/admin/agents/1003", api.admin,
                             body={"name": "Carol", "pin": "12"})  # fmt: skip
    no_queue = await api.call("PUT", "/api/v1/admin/agents/1003", api.admin,
                              body={"name": "Carol", "queues": {"nowhere": 0}})  # fmt: skip

    assert (bad_pin[0], bad_pin[1]["field"]) == (400, "pin")
    assert no_queue[0] == 422 and "nowhere" in no_queue[1]["error"]


async def test_a_logged_in_agent_cannot_be_deleted(api: Api) -> None:
    await api.log_in("1001")

    logged_in = await api.call("DELETE", "/api/v1/admin/agents/1001", api.admin)
    logged_out = await api.call("DELETE", "/api/v1/admin/agents/1002", api.admin)

    assert logged_in[0] == 409
    assert logged_out[0] == 200
    assert "1002" not in api.engine.state.config.agents
    relogin = await api.call("POST", "/api/v1/agents/1002/login",
                             body={"pin": "5678", "device": "1002"})  # fmt: skip
    assert relogin[0] == 401


async def test_a_new_reason_can_be_chosen_at_once(api: Api) -> None:
    token = await api.log_in("1001")

    put = await api.call("PUT", "/api/v1/admin/reasons/training", api.admin,
                         body={"label": "Training", "max_seconds": 3600})  # fmt: skip
    chosen = await api.call("POST", "/api/v1/agents/1001/not-ready", token,
                            body={"reason": "training"})  # fmt: skip

    assert put[0] == 200
    assert (chosen[0], chosen[1]["agent"]["reason"]) == (200, "training")
