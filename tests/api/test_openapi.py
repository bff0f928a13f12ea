"""The OpenAPI document, derived from the route declarations and the models, and the router
cannot drift apart; the body schemas say what the handlers accept (each required field,
when missing, and each field, when mistyped, is a 400 naming it); the answer schemas say
what the handlers return."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from cti.api import app as _app  # noqa: F401  (imports every route module: all declared)
from cti.api.openapi import document
from cti.api.route import ROUTES
from tests.api.harness import Api

DOCUMENT = document()
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


def alternatives(schema: dict[str, Any]) -> list[tuple[dict[str, Any], list[str]]]:
    """(example, required fields) of each alternative: a oneOf of required sets shares the
    object's properties, its examples in the same order."""
    examples = schema["examples"]
    if "oneOf" not in schema:
        return [(examples[0], schema.get("required", []))]
    return [(examples[i], one["required"]) for i, one in enumerate(schema["oneOf"])]


def wrong_value(schema: dict[str, Any]) -> object:
    """A JSON value the property's schema does not allow."""
    types: set[str] = set()
    choices = False
    for option in (resolve(s) for s in schema.get("anyOf", [schema])):
        kind = option.get("type", [])
        types |= {kind} if isinstance(kind, str) else set(kind)
        choices = choices or "enum" in option or "const" in option
    if "string" in types and not choices:
        return True if "number" in types else 12345
    return "wrong"


def concrete(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    return path


async def test_every_route_is_documented_and_every_documented_path_is_routed(api: Api) -> None:
    assert routed(api) == documented()
    assert len(ROUTES) == len(documented())  # no route declared twice


async def test_the_document_is_served_as_openapi_3_1(api: Api) -> None:
    status, served = await api.call("GET", "/api/v1/openapi.json")

    assert status == 200
    assert served["openapi"].startswith("3.1")
    assert served == json.loads(json.dumps(DOCUMENT))


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


def test_a_settings_body_shows_the_cores_defaults_bounds_and_meaning() -> None:
    queue = DOCUMENT["components"]["schemas"]["QueueBody"]["properties"]

    assert queue["ring_limit"]["minimum"] == 1
    assert queue["ring_limit"]["description"] == "N rings (C3, P1)"
    assert queue["max_wrap_up"]["default"] == 60.0
    assert queue["max_wrap_up"]["type"] == ["number", "null"]  # null: the default
    cap = DOCUMENT["components"]["schemas"]["PacingConfig"]["properties"]["abandon_cap_pct"]
    assert (cap["exclusiveMinimum"], cap["exclusiveMaximum"]) == (0, 100)


@pytest.mark.parametrize(("path", "method", "schema"), operations_with_bodies(),
                         ids=lambda v: v if isinstance(v, str) else "")  # fmt: skip
async def test_body_schemas_match_what_the_handlers_accept(
    api: Api, path: str, method: str, schema: dict[str, Any]
) -> None:
    await api.log_in("1002")
    token = None if path.endswith("/login") else api.admin
    url = concrete(path)
    assert schema["additionalProperties"] is False
    for example, required in alternatives(schema):
        assert set(example) <= set(schema["properties"])
        for field in required:
            body = {k: v for k, v in example.items() if k != field}
            status, answer = await api.call(method.upper(), url, token, body=body)
            assert status == 400, (path, field, answer)
            assert field in answer["error"], (path, field, answer)
        for field, property_schema in schema["properties"].items():
            body = {**example, field: wrong_value(property_schema)}
            status, answer = await api.call(method.upper(), url, token, body=body)
            assert (status, answer.get("field")) == (400, field), (path, field, answer)
        status, answer = await api.call(
            method.upper(), url, token, body={**copy.deepcopy(example), "surplus": 1}
        )
        assert (status, answer.get("field")) == (400, "surplus"), (path, answer)
        status, answer = await api.call(method.upper(), url, token, body=example)
        assert status != 400, (path, example, answer)


async def test_answers_are_what_the_document_says(api: Api) -> None:
    agent = await api.log_in("1001")
    campaign = {"queue": "support", "window": {"start": "09:00", "end": "20:00"}}
    calls = [
        ("PUT", "/api/v1/campaigns/renewals", api.admin, campaign),
        ("GET", "/api/v1/campaigns/renewals", api.supervisor, None),
        ("GET", "/api/v1/campaigns", api.supervisor, None),
        ("GET", "/api/v1/campaigns/renewals/stats", api.supervisor, None),
        ("GET", "/api/v1/outbound/seats", api.supervisor, None),
        ("GET", "/api/v1/admin/config", api.admin, None),
        ("PUT", "/api/v1/admin/reasons/lunch", api.admin, {"label": "Lunch"}),
        ("GET", "/api/v1/agents", api.supervisor, None),
        ("GET", "/api/v1/agents/1001", agent, None),
        ("GET", "/api/v1/queues", api.supervisor, None),
        ("GET", "/api/v1/queues/support/figures", api.supervisor, None),
        ("GET", "/api/v1/calls", api.supervisor, None),
        ("GET", "/api/v1/findings", api.supervisor, None),
        ("GET", "/api/v1/campaigns/renewals/attempts", api.supervisor, None),
        ("GET", "/api/v1/callbacks", api.supervisor, None),
        ("GET", "/healthz", None, None),
    ]
    declared = {(r.method, r.path): r for r in ROUTES}
    for method, url, token, body in calls:
        status, answer = await api.call(method, url, token, body=body)
        path = next(p for (m, p) in declared if m == method and concrete(p) == url)
        model = declared[method, path].answer
        assert model is not None and status in (200, 503), (url, answer)
        model.model_validate_json(json.dumps(answer))  # raises what does not fit
