"""Callbacks through the API (P9, P18; cti/api/callbacks.py rules 1-4): promised by an
agent to itself or to the queue, refused with the field to fix, listed by who may see
them, cancelled while pending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cti.domain.outbound.campaign import CampaignId, CampaignStatus
from tests.api.harness import Api

NUMBER = "+441632960001"


def tomorrow_noon(api: Api) -> datetime:
    """Inside the default calling window (08:00-21:00 UTC) and in the future."""
    today = datetime.fromtimestamp(api.now(), UTC).replace(hour=12, minute=0, second=0)
    return today.replace(microsecond=0) + timedelta(days=1)


async def promise(api: Api, agent: str, token: str, **body: Any) -> tuple[int, Any]:
    wanted = {"number": NUMBER, "at": tomorrow_noon(api).isoformat(), **body}
    return await api.call("POST", f"/api/v1/agents/{agent}/callbacks", token, body=wanted)


async def test_an_agent_promises_a_callback_to_itself_in_its_queue(api: Api) -> None:
    token = await api.log_in("1001")
    at = tomorrow_noon(api)

    status, answer = await promise(api, "1001", token, note="about the refund")

    assert status == 201, answer
    callback = answer["callback"]
    assert callback["id"] == f"callbacks-support:{NUMBER}"
    assert (callback["kind"], callback["agent"], callback["status"]) == (
        "callback", "1001", "pending"
    )  # fmt: skip
    assert (callback["at"], callback["due"]) == (at.timestamp(), at.timestamp() + 300)
    assert callback["fields"] == {"promised_by": "1001", "note": "about the refund"}
    assert callback["overdue"] is False
    stored = await api.campaigns.get(CampaignId("callbacks-support"))
    assert stored.status is CampaignStatus.RUNNING and stored.config.standing


async def test_a_callback_to_the_queue_is_for_any_agent_and_listed_for_supervisors(
    api: Api,
) -> None:
    token = await api.log_in("1001")
    await promise(api, "1001", token, to="queue", number="+441632960002")
    await promise(api, "1001", token)

    everyone = await api.call("GET", "/api/v1/callbacks?queue=support", api.supervisor)
    mine = await api.call("GET", "/api/v1/callbacks", token)

    assert [(c["number"], c["agent"]) for c in everyone[1]["callbacks"]] == [
        (NUMBER, "1001"),
        ("+441632960002", None),
    ]  # fmt: skip (same due: by id)
    assert [c["number"] for c in mine[1]["callbacks"]] == [NUMBER]
    other = await api.call("GET", "/api/v1/callbacks?agent=1002", token)
    assert other[0] == 403


async def test_bad_callbacks_are_refused_naming_the_field(api: Api) -> None:
    token = await api.log_in("1001")
    night = tomorrow_noon(api).replace(hour=22)
    cases = [
        ({"number": "call me"}, 422, "number"),
        ({"timezone": "Mars/Olympus"}, 422, "timezone"),
        ({"at": night.isoformat()}, 422, "at"),  # outside 08:00-21:00 where the customer is
        ({"at": "2020-01-01T12:00:00+00:00"}, 422, "at"),  # past
        ({"at": "tomorrow"}, 400, "at"),
        ({"at": "2030-01-01T12:00:00"}, 400, "at"),  # no offset
        ({"to": "him"}, 400, "to"),
        ({"queue": "sales"}, 422, "queue"),  # 1001 does not serve sales
        ({"queue": "nowhere", "to": "queue"}, 422, "queue"),
        ({"colour": "red"}, 400, "colour"),
    ]
    for body, status, field in cases:
        got = await promise(api, "1001", token, **body)
        assert (got[0], got[1].get("field")) == (status, field), (body, got)
    assert (await api.call("GET", "/api/v1/callbacks", api.supervisor))[1]["callbacks"] == []
    assert (await promise(api, "1002", token))[0] == 403  # not itself
    unknown = await promise(api, "9999", api.supervisor)
    assert unknown[0] == 404


async def test_callbacks_are_cancelled_while_pending_by_their_agent_or_a_supervisor(
    api: Api,
) -> None:
    token = await api.log_in("1001")
    other = await api.log_in("1002")
    created = (await promise(api, "1001", token))[1]["callback"]
    url = f"/api/v1/callbacks/{created['id']}"

    assert (await api.call("DELETE", url, other))[0] == 404  # not promised to 1002
    status, answer = await api.call("DELETE", url, token)

    assert (status, answer["callback"]["status"]) == (200, "closed")
    assert (await api.call("DELETE", url, api.supervisor))[0] == 404
    assert (await api.call("GET", "/api/v1/callbacks", token))[1]["callbacks"] == []
    listed = await api.call("GET", "/api/v1/callbacks?all=true", api.supervisor)
    assert [c["status"] for c in listed[1]["callbacks"]] == ["closed"]
