"""The OpenAPI document and the router cannot drift apart, and the request body schemas
say what the parsers do: each required field, when missing, is a 400 naming it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cti.api.openapi import DOCUMENT
from tests.api.harness import Api

METHODS = {"get", "put", "post", "delete", "patch"}
PATH_VALUES = {"agent_id": "1001", "queue_id": "support", "code": "lunch", "call_id": "c1",
               "campaign_id": "renewals", "number": "+441632960001"}  # fmt: skip


def routed(api: Api) -> set[tuple[str, str]]:
    app = api.client.server.app
    assert app is not None
    found = set()
    for route in app.router.routes():
        if route.method == "HEAD":  # aiohttp adds HEAD to every GET
            continue
        assert route.resource is not None
        found.add((route.resource.canonical, route.method.lower()))
    return found


def documented() -> set[tuple[str, str]]:
    return {(path, m) for path, item in DOCUMENT["paths"].items() for m in item if m in METHODS}


def resolve(node: Any) -> Any:
    if isinstance(node, dict) and "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return resolve(target)
    return node


def operations_with_bodies() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in DOCUMENT["paths"].items():
        for method, op in item.items():
            if method in METHODS and "requestBody" in op:
                content = op["requestBody"]["content"]
                if "application/json" in content:  # the CSV upload: tests/api/test_campaigns.py
                    found.append((path, method, resolve(content["application/json"]["schema"])))
    return found


def alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [resolve(s) for s in schema.get("oneOf", [schema])]


def wrong_value(schema: dict[str, Any]) -> object:
    """A JSON value the property's schema does not allow."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "string" in types and "number" in types:
        return True
    return 12345 if "string" in types else "wrong"


def concrete(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    return path


async def test_every_route_is_documented_and_every_documented_path_is_routed(api: Api) -> None:
    assert routed(api) == documented()


async def test_the_document_is_served_as_openapi_3_1(api: Api) -> None:
    status, document = await api.call("GET", "/api/v1/openapi.json")

    assert status == 200
    assert document["openapi"].startswith("3.1")
    assert document == DOCUMENT


def test_every_reference_in_the_document_resolves() -> None:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(DOCUMENT)


@pytest.mark.parametrize(("path", "method", "schema"), operations_with_bodies(),
                         ids=lambda v: v if isinstance(v, str) else "")  # fmt: skip
async def test_body_schemas_match_what_the_handlers_accept(
    api: Api, path: str, method: str, schema: dict[str, Any]
) -> None:
    await api.log_in("1002")
    token = None if path.endswith("/login") else api.admin
    url = concrete(path)
    for alternative in alternatives(schema):
        example = alternative["examples"][0]
        assert set(example) <= set(alternative["properties"])
        assert alternative["additionalProperties"] is False
        for field in alternative["required"]:
            body = {k: v for k, v in example.items() if k != field}
            status, answer = await api.call(method.upper(), url, token, body=body)
            assert status == 400, (path, field, answer)
            assert field in answer["error"], (path, field, answer)
        for field, property_schema in alternative["properties"].items():
            body = {**example, field: wrong_value(property_schema)}
            status, answer = await api.call(method.upper(), url, token, body=body)
            assert (status, answer.get("field")) == (400, field), (path, field, answer)
        status, answer = await api.call(
            method.upper(), url, token, body={**copy.deepcopy(example), "surplus": 1}
        )
        assert (status, answer.get("field")) == (400, "surplus"), (path, answer)
        status, answer = await api.call(method.upper(), url, token, body=example)
        assert status != 400, (path, example, answer)
