"""The running server, for commands that change what it holds (issue 12, item 1).

Rule 1: when `server.url` is configured (with an admin token in `server.token`, or
CTI_SERVER_TOKEN), `cti admin`, `cti campaign` and `cti dnc` make their changes through the
server's API, so the engine knows at once what the database says: an agent set can log in,
a number added is never dialled, a campaign started is dialled, and each change is refused
for the reasons the API gives. Reading stays on the database.
Rule 2: a refusal (4xx) is the user's to fix: it is raised as the API worded it. A server
that cannot be reached, or answers 5xx, leaves the change to the database: the command
writes it there and says so, and the server's own round picks it up (its store poll
reconciles within seconds).
Rule 3: bodies are the values as plain JSON (cti/schema/plain.py), without the key the
URL names: what `GET` answers is what `PUT` takes.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar
from urllib.parse import quote

import aiohttp

from cti.api.client import ApiClient, UnexpectedAnswer
from cti.domain.config import AgentProfile, ConfigError, NotReadyReason, QueueConfig
from cti.domain.outbound.campaign import CampaignConfig, CampaignId
from cti.schema.plain import plain_object

T = TypeVar("T")
UNREACHABLE: Final = (aiohttp.ClientError, TimeoutError, OSError)


class Server:
    """The server's API as an admin (rule 1)."""

    def __init__(self, client: ApiClient) -> None:
        self._client = client

    async def put_queue(self, queue: QueueConfig) -> object:
        return await self._put(f"/api/v1/admin/queues/{_part(queue.id)}", _body(queue, "id"))

    async def put_agent(self, agent: AgentProfile, pin: str | None) -> object:
        body = _body(agent, "id") | ({} if pin is None else {"pin": pin})
        return await self._put(f"/api/v1/admin/agents/{_part(agent.id)}", body)

    async def put_reason(self, reason: NotReadyReason) -> object:
        return await self._put(f"/api/v1/admin/reasons/{_part(reason.code)}", _body(reason, "code"))

    async def delete(self, kind: str, key: str) -> object:
        return await self._client.expect("DELETE", f"/api/v1/admin/{kind}/{_part(key)}")

    async def reload(self) -> object:
        return await self._client.expect("POST", "/api/v1/admin/reload", {})

    async def save_campaign(self, config: CampaignConfig) -> object:
        return await self._put(f"/api/v1/campaigns/{_part(config.id)}", _body(config, "id"))

    async def upload(self, campaign: CampaignId, text: str) -> object:
        path = f"/api/v1/campaigns/{_part(campaign)}/contacts"
        return await self._client.expect("POST", path, csv=text)

    async def campaign_action(self, campaign: CampaignId, action: str) -> object:
        path = f"/api/v1/campaigns/{_part(campaign)}/{action}"
        return await self._client.expect("POST", path, {})

    async def dnc_add(self, numbers: list[str], note: str) -> object:
        return await self._client.expect("POST", "/api/v1/dnc", {"numbers": numbers, "note": note})

    async def dnc_remove(self, number: str) -> object:
        return await self._client.expect("DELETE", f"/api/v1/dnc/{_part(number)}")

    async def _put(self, path: str, body: dict[str, object]) -> object:
        return await self._client.expect("PUT", path, body)


async def through(server: Server | None, change: Callable[[Server], Awaitable[T]]) -> T | None:
    """The change made by the server (its answer), or None to make it in the database
    (no server configured, or not reachable: rule 2). A refusal is raised as ConfigError."""
    if server is None:
        return None
    try:
        return await change(server)
    except UnexpectedAnswer as refused:
        if refused.status < 500:
            raise ConfigError(_reason(refused.answer)) from None
        problem = f"answered {refused.status}"
    except UNREACHABLE as exc:
        problem = f"could not be reached ({type(exc).__name__})"
    print(f"the server {problem}: written to the database; it picks it up", file=sys.stderr)
    return None


def _body(value: object, key: str) -> dict[str, object]:
    body = plain_object(value)
    body.pop(key, None)
    return body


def _part(text: str) -> str:
    return quote(text, safe="")


def _reason(answer: object) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        return str(answer["error"])
    return str(answer)
