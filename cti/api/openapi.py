"""The OpenAPI 3.1 document, derived: paths from the route declarations (cti/api/route.py),
schemas from the body and answer models (cti/api/shapes.py, answers.py).

Rule 1: nothing here describes a route or a field: a route declared is documented, and
its schemas are what its models validate; tests/api/test_openapi.py checks the paths
against aiohttp's router and sends each body's example, broken field by field.
Rule 2: every operation lists its error statuses (route rule 4), each answered as
`{"error": reason}` with `field` for 400 and 422, except those its answer model is the
body of too (answers rule 3: /healthz's 503 is a Health).
Rule 3: `X | None` is written `"type": [X, "null"]` where X is a plain type, as JSON
Schema 2020-12 allows; schemas carry no titles (the names are the components').
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Final, cast

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from cti.api import answers
from cti.api.auth import SESSION_COOKIE
from cti.api.query import LINE_SCHEMA, Param
from cti.api.route import ROUTES, Route, route

routes = web.RouteTableDef()
Schema = dict[str, object]
REF: Final = "#/components/schemas/{model}"
PARAMETER: Final = re.compile(r"{(\w+)}")
ERROR_STATUSES: Final = {
    400: "Malformed JSON, a missing or mistyped field, or an unknown field (`field` names it)",
    401: "Missing, unknown or revoked token; or a wrong agent or PIN at login",
    403: "The token's role may not do this, or an agent acting on another agent",
    404: "Unknown agent, queue, call, reason or campaign; a number not on the do-not-call list",
    408: "The request body was not received in time",
    409: "Not allowed in the current state (e.g. already logged in, not in wrap-up)",
    410: "Gone for good (a recording whose file retention deleted)",
    413: "Request body too large",
    415: "The body is not of the media type the operation takes",
    422: "A well-formed value the configuration refuses (`field` names it)",
    429: "Too many failed sign-ins for the agent or from the address: try again after the"
    " Retry-After seconds (the same answer for a right and a wrong PIN)",
    503: "The engine is busy or storage is unavailable",
}
INFO: Final = {
    "title": "cti: ACD and CTI server for Asterisk",
    "version": "1",
    "description": (
        'Agents, supervisors and admins. Errors are JSON {"error": reason}; a refused '
        "command changes nothing. Phone numbers are masked for agents except on their "
        "own calls (P22)."
    ),
}


class _Generator(GenerateJsonSchema):
    """Rule 3."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        found = super().nullable_schema(schema)
        options = found.get("anyOf")
        if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
            (kept,) = [option for option in options if option != {"type": "null"}]
            if isinstance(kept.get("type"), str) and "$ref" not in kept:
                rest = {key: value for key, value in found.items() if key != "anyOf"}
                return {**kept, **rest, "type": [kept["type"], "null"]}
        return found

    def field_title_should_be_set(self, schema: object) -> bool:
        return False


@route(
    routes,
    "GET",
    "/api/v1/openapi.json",
    summary="This document",
    answer=answers.Document,
    public=True,
    tag="operations",
)
async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(document())


@cache
def document() -> Schema:
    """The document of every declared route (all route modules are imported by then)."""
    models = _models(ROUTES)
    refs, defs = models_json_schema(
        [(model, "validation") for model in models], ref_template=REF, schema_generator=_Generator
    )
    ref = {model: refs[model, "validation"] for model in models}
    paths: dict[str, dict[str, object]] = {}
    for declared in ROUTES:
        item = paths.setdefault(declared.path, _parameters(declared.path))
        item[declared.method.lower()] = _operation(declared, ref)
    schemas = {name: _untitled(schema) for name, schema in defs.get("$defs", {}).items()}
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {
                f"E{status}": {"description": text, **_json(cast(Schema, ref[answers.Error]))}
                for status, text in ERROR_STATUSES.items()
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
            },
        },
    }


def _models(declared: Iterable[Route]) -> list[type[BaseModel]]:
    found: dict[type[BaseModel], None] = {answers.Error: None}
    for one in declared:
        for model in (one.body, one.answer):
            if model is not None:
                found[model] = None
    return list(found)


def _operation(declared: Route, ref: Mapping[type[BaseModel], Schema]) -> Schema:
    answer: Schema = {"description": "Success"}
    if declared.answer is not None:
        answer |= _json(ref[declared.answer])
    responses: dict[str, object] = {str(declared.status): answer}
    for status in _errors(declared):
        if declared.answer is not None and status in _answered_too(declared.answer):
            same = {"description": "The same answer, saying what is down"}
            responses[str(status)] = same | _json(ref[declared.answer])
        else:
            responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    op: Schema = {
        "summary": declared.summary,
        "tags": [declared.tag],
        "responses": responses,
        "security": [] if declared.public else [{"bearer": []}, {"session": []}],
    }
    if not declared.public:
        op["description"] = "Who: " + ", ".join(role.value for role in declared.roles)
    if declared.query:
        op["parameters"] = [_query(name, text) for name, text in declared.query.items()]
    if declared.body is not None:
        op["requestBody"] = {
            "required": declared.body_required,
            **_json(ref[declared.body]),
        }
    elif declared.content != "application/json":
        upload = {"schema": {"type": "string", "description": "a header row with a number column"}}
        op["requestBody"] = {"required": True, "content": {declared.content: upload}}
    return op


def _answered_too(answer: type[BaseModel]) -> tuple[int, ...]:
    """Rule 2: the error statuses whose body is the answer model (answers rule 3)."""
    return answer.statuses if issubclass(answer, answers.Answer) else ()


def _errors(declared: Route) -> list[int]:
    statuses = {*declared.errors, 503}
    for given in declared.query.values():
        statuses |= set(given.errors) if isinstance(given, Param) else {400}
    if not declared.public:
        statuses |= {401, 403}
    if PARAMETER.search(declared.path):  # a path parameter out of its rule (route rule 2a)
        statuses.add(400)
    if declared.body is not None:
        statuses |= {400, 413}
        if declared.body.model_fields:  # a text or a number out of its rule (shapes rule 4)
            statuses.add(422)
    return sorted(statuses)


def _parameters(path: str) -> dict[str, object]:
    names = PARAMETER.findall(path)
    if not names:
        return {}
    schema = {**LINE_SCHEMA, "minLength": 1}  # checked by the route (route rule 2a)
    return {
        "parameters": [{"name": n, "in": "path", "required": True, "schema": schema} for n in names]
    }


def _query(name: str, declared: str | Param) -> Schema:
    param = declared if isinstance(declared, Param) else Param(declared)
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": param.schema,
        "description": param.doc,
    }


def _json(schema: Schema) -> Schema:
    return {"content": {"application/json": {"schema": schema}}}


def _untitled(schema: object) -> object:
    """Rule 3: the models' own titles left out (a property named "title" stays)."""
    if isinstance(schema, dict):
        return {
            k: _untitled(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))
        }
    if isinstance(schema, list):
        return [_untitled(item) for item in schema]
    return schema
