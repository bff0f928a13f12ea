"""A small client of the server's HTTP API, for the demo and the tests.

Rule 1: every request has a timeout on the whole exchange, the answer's body included, and
so does opening a WebSocket; nothing awaited here can hang.
Rule 2: the token travels in the Authorization header only, the WebSocket's too; never in
a URL, a message or a repr.
Rule 3: each request opens its own session, so a client holds nothing that needs closing
and can be made anywhere; the demo and the tests send a few requests a second, where
pooling connections would buy nothing.
Rule 4: an answer is (status, body): the parsed JSON when the server says
application/json, else the text. `expect` raises UnexpectedAnswer, naming the method,
path, status and answer, unless the status is 2xx and the body a JSON object.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Final

import aiohttp

DEFAULT_TIMEOUT_S: Final = 5.0
ANSWER_SHOWN: Final = 300  # characters of an unexpected answer put in the error


class UnexpectedAnswer(Exception):
    """The server answered, but not with success: a status outside 2xx, or no JSON object."""

    def __init__(self, method: str, path: str, status: int, answer: object) -> None:
        super().__init__(f"{method} {path}: {status} {str(answer)[:ANSWER_SHOWN]}")
        self.status = status
        self.answer = answer


class ApiClient:
    """Requests to one server (base URL) as one token's holder, or as nobody."""

    def __init__(
        self, base_url: str, token: str | None = None, *, timeout: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._token = token

    def __repr__(self) -> str:  # rule 2: without the token
        return f"ApiClient({self.base_url!r})"

    def with_token(self, token: str | None) -> ApiClient:
        """The same server, as another token's holder."""
        return ApiClient(self.base_url, token, timeout=self.timeout)

    async def request(
        self, method: str, path: str, body: object = None, *, csv: str | None = None
    ) -> tuple[int, object]:
        """`body` goes as JSON (none when None), `csv` as text/csv; (status, answer)."""
        headers = self._headers()
        if csv is not None:
            headers["Content-Type"] = "text/csv"
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.request(
                method,
                self.base_url + path,
                json=None if csv is not None else body,
                data=csv,
                headers=headers,
            ) as response,
        ):
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()

    async def expect(
        self, method: str, path: str, body: object = None, *, csv: str | None = None
    ) -> dict[str, object]:
        """Like request, for a request that must succeed: its JSON object (rule 4)."""
        status, answer = await self.request(method, path, body, csv=csv)
        if not 200 <= status < 300 or not isinstance(answer, dict):
            raise UnexpectedAnswer(method, path, status, answer)
        return answer

    @contextlib.asynccontextmanager
    async def websocket(
        self, path: str, *, heartbeat: float = 10.0
    ) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
        """A WebSocket to `path` (ws:// on the base URL's host), closed on exit."""
        url = "ws" + self.base_url.removeprefix("http") + path
        # No total timeout: the socket lives as long as the caller reads it; the heartbeat
        # finds a dead server, and the opening handshake has its own deadline (rule 1).
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            async with asyncio.timeout(self.timeout):
                socket = await session.ws_connect(url, headers=self._headers(), heartbeat=heartbeat)
            try:
                yield socket
            finally:
                await socket.close()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}
