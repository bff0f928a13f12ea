"""What the end-to-end tests set up again and again, in one place: the configuration of
an inbound queue or an outbound campaign, agents' phones, and the server's own answers about
them (through its API, /metrics and its store).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from cti.domain.outbound.contact import ContactId
from cti.lab.sipp import Softphone
from cti.storage.campaign_store import CampaignStore
from cti.storage.database import open_database
from tests.lab.server import EventTap, ServerProcess, eventually


def acd_yaml(agents: dict[str, str], **queue: object) -> str:
    """One queue `support` (plus `sales`) and agents with PIN 1234, members by queue name."""
    fields = "".join(f"    {k}: {v}\n" for k, v in queue.items())
    lines = [
        "queues:",
        "  - id: support",
        fields.rstrip("\n"),
        "  - id: sales",
        "    max_wrap_up: 1",
    ]
    lines += ["reasons:", "  - code: break", "agents:"]
    for agent, member_of in agents.items():
        lines += [f'  - id: "{agent}"', '    pin: "1234"', f"    queues: {{{member_of}: 0}}"]
    return "\n".join(line for line in lines if line) + "\n"


@contextlib.asynccontextmanager
async def phones(*phones_: Softphone) -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        for phone in phones_:
            await stack.enter_async_context(phone)
        yield


async def start(server: ServerProcess, yaml_text: str) -> EventTap:
    await server.configure(yaml_text)
    await server.start()
    return server.events()


async def history_written(server: ServerProcess) -> bool:
    return await server.metric("cti_history_records_pending") == 0


async def agent_state(server: ServerProcess, agent: str) -> str:
    _, answer = await server.get(f"/api/v1/agents/{agent}")
    return str(answer["agent"]["state"])


async def until_state(server: ServerProcess, agent: str, state: str, within: float = 15) -> None:
    async def reached() -> bool:
        return await agent_state(server, agent) == state

    await eventually(reached, within=within, what=f"agent {agent} {state}", every=0.1)


async def dialer_rounds(server: ServerProcess, more: int) -> None:
    """Wait until the dialer has completed `more` rounds from now: what it would have done
    by then (dial a contact that is due, close a blocked one) it has done."""
    start = await server.metric("cti_dialer_rounds_total") or 0.0

    async def counted() -> bool:
        return (await server.metric("cti_dialer_rounds_total") or 0.0) >= start + more

    await eventually(counted, within=10 + 2 * more, what=f"{more} dialer rounds")


# Outbound ----------------------------------------------------------------------

CAMPAIGN = "lab-outbound"


def outbound_yaml(agents: list[str]) -> str:
    """One queue `outbound` (wrap-up ends by itself after 1 s) served by `agents`."""
    lines = ["queues:", "  - id: outbound", "    max_wrap_up: 1", "agents:"]
    for agent in agents:
        lines += [f'  - id: "{agent}"', '    pin: "1234"', "    queues: {outbound: 0}"]
    return "\n".join(lines) + "\n"


def campaign_body(mode: str, **extra: object) -> dict[str, Any]:
    """Dial all day (UTC), retry quickly, and never more than twice, so a test ends soon."""
    quick = {"delay": 1, "max_attempts": 2}
    return {
        "queue": "outbound",
        "caller_id": "5550100",
        "ring_timeout": 15,
        "window": {"start": "00:00", "end": "23:59"},
        "retries": {
            "busy": quick,
            "congestion": quick,
            "failed": quick,
            "no_answer": {"delay": 1, "max_attempts": 1},
            "abandoned": quick,
        },
        "pacing": {"mode": mode},
        **extra,
    }


@contextlib.asynccontextmanager
async def store_of(server: ServerProcess) -> AsyncIterator[CampaignStore]:
    database = await open_database(server.database_url)
    try:
        yield CampaignStore(database)
    finally:
        await database.close()


async def admin_token(server: ServerProcess) -> str:
    created = await server.admin("token", "create", "--role", "admin", "--name", "lab-admin")
    return created.strip()


async def set_up_campaign(
    server: ServerProcess, admin: str, body: dict[str, Any], numbers: list[str]
) -> None:
    status, answer = await server.request("PUT", f"/api/v1/campaigns/{CAMPAIGN}", body, token=admin)
    assert status in (200, 201), answer
    await upload(server, admin, CAMPAIGN, numbers)
    await server.post(f"/api/v1/campaigns/{CAMPAIGN}/start", token=admin)


async def upload(server: ServerProcess, admin: str, campaign: str, numbers: list[str]) -> None:
    csv = "number\n" + "".join(f"{n}\n" for n in numbers)
    path = f"/api/v1/campaigns/{campaign}/contacts"
    uploaded = await server.api(admin).expect("POST", path, csv=csv)
    assert uploaded["imported"] == len(numbers), uploaded


async def finished(server: ServerProcess, admin: str) -> bool:
    return (await campaign(server, admin))["status"] == "finished"


async def campaign(server: ServerProcess, admin: str) -> dict[str, Any]:
    status, body = await server.get(f"/api/v1/campaigns/{CAMPAIGN}", token=admin)
    assert status == 200, body
    return dict(body["campaign"])


def contact_of(number: str) -> ContactId:
    return ContactId(f"{CAMPAIGN}:{number}")
