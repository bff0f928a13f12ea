"""One declaration per route: method, path, who, body, answer and summary, in one decorator.

Rule 1: `@route(table, METHOD, PATH, summary=..., answer=..., body=...)` registers the
handler with aiohttp and records the declaration in ROUTES, from which the OpenAPI
document is derived (cti/api/openapi.py); a route cannot be served undocumented.
Rule 2: before the handler runs, a route that is not `public` checks the token (401) and
`roles` (403); then a route with a `body` model reads the body and hands it over
validated (a missing body is `{}`): a malformed, missing, mistyped or unknown field is a
400 naming it, a value refused as such a 422 (cti/schema/refusal.py).
Rule 2a: first of all, every path parameter is one printable line of at most 200
characters (LINE, as a query value), else a 400 naming it: an id that long or that
broken names nothing here, and must not reach a lookup or a log whole.
Rule 3: what needs the path to decide (an agent acting only on itself) is the handler's
check (cti/api/auth.py require_agent).
Rule 3a: a viewer (P22) may call only the routes that list it (WATCHING, BOARD): the
wallboard's reads, never an action, a call record or a callback.
Rule 4: `errors` are the statuses an operation can answer besides its success; 401 and
403 are added unless `public`, 400 and 413 with a body (and 422 with a body that has
fields: a text or number out of its rule), 503 always.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, NotRequired, TypedDict, TypeVar, Unpack, overload

from aiohttp import web
from pydantic import BaseModel, ValidationError

from cti.api.auth import identify, require
from cti.api.context import context_of
from cti.api.errors import ApiError
from cti.api.query import Param
from cti.domain.setting import LINE
from cti.schema.refusal import refusal
from cti.storage.tokens import Role

B = TypeVar("B", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BodyHandler = Callable[[web.Request, B], Awaitable[web.StreamResponse]]
EVERYONE: Final = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)  # the default: not viewers
WATCHING: Final = (*EVERYONE, Role.VIEWER)  # routes a viewer's wallboard reads too (P22)
BOARD: Final = (Role.SUPERVISOR, Role.ADMIN, Role.VIEWER)  # the board's, not agents'
ADMIN: Final = (Role.ADMIN,)


def _no_query() -> Mapping[str, str | Param]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """What the document says of one operation (rule 1)."""

    method: str
    path: str
    summary: str
    answer: type[BaseModel] | None  # None: not JSON (the metrics text)
    body: type[BaseModel] | None = None
    body_required: bool = True
    roles: tuple[Role, ...] = EVERYONE
    public: bool = False
    errors: tuple[int, ...] = ()
    query: Mapping[str, str | Param] = field(default_factory=_no_query)  # name -> meaning
    tag: str = "agents"
    status: int = 200
    content: str = "application/json"  # of the body: an upload is text/csv


ROUTES: list[Route] = []


class Declared(TypedDict):
    """Route's fields but method, path and body, as route() takes them."""

    summary: str
    answer: type[BaseModel] | None
    body_required: NotRequired[bool]
    roles: NotRequired[tuple[Role, ...]]
    public: NotRequired[bool]
    errors: NotRequired[tuple[int, ...]]
    query: NotRequired[Mapping[str, str | Param]]
    tag: NotRequired[str]
    status: NotRequired[int]
    content: NotRequired[str]


@overload
def route(
    table: web.RouteTableDef, method: str, path: str, *, body: type[B], **declared: Unpack[Declared]
) -> Callable[[BodyHandler[B]], BodyHandler[B]]: ...


@overload
def route(
    table: web.RouteTableDef,
    method: str,
    path: str,
    *,
    body: None = None,
    **declared: Unpack[Declared],
) -> Callable[[Handler], Handler]: ...


def route(
    table: web.RouteTableDef,
    method: str,
    path: str,
    *,
    body: type[BaseModel] | None = None,
    **declared: Unpack[Declared],
) -> Callable[
    [Callable[..., Awaitable[web.StreamResponse]]], Callable[..., Awaitable[web.StreamResponse]]
]:
    """Rule 1: declares the operation and registers its handler."""
    ROUTES.append(Route(method=method, path=path, body=body, **declared))
    roles = declared.get("roles", EVERYONE)

    def register(
        handler: Callable[..., Awaitable[web.StreamResponse]],
    ) -> Callable[..., Awaitable[web.StreamResponse]]:
        async def checked(request: web.Request) -> web.StreamResponse:
            _path_parameters(request)  # rule 2a
            if not declared.get("public", False):  # rule 2: who asks, before the body
                require(await identify(context_of(request), request), *roles)
            if body is None:
                return await handler(request)
            return await handler(request, await read_body(request, body))

        table.route(method, path)(checked)
        return handler

    return register


def _path_parameters(request: web.Request) -> None:
    for name, value in request.match_info.items():
        fault = LINE.fault(value)
        if fault is not None:
            raise ApiError(400, f"path parameter '{name}' {fault}", field=name)


async def read_body(request: web.Request, model: type[B]) -> B:
    """Rule 2: the body validated by `model`; no body at all is `{}`."""
    raw = await request.read()  # raises HTTPRequestEntityTooLarge past client_max_size
    try:
        return model.model_validate_json(raw if raw.strip() else b"{}")
    except ValidationError as exc:
        refused = refusal(exc)
        raise ApiError(refused.status, refused.reason, field=refused.field) from None
