"""The OpenAPI document, derived from the route declarations and the models, and the router
cannot drift apart; the body schemas say what the handlers accept (each required field,
when missing, and each field, when mistyped, is a 400 naming it); the answer schemas say
what the handlers return."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest

from cti.api import app as _app  # noqa: F401  (imports every route module: all declared)
from cti.api.openapi import document
from cti.api.route import ROUTES
from cti.schema.model import CLOCK_SCHEMA
from tests.api.harness import Api, bearer

DOCUMENT = document()
METHODS = {"get", "put", "post", "delete", "patch"}
PATH_VALUES = {"agent_id": "1001", "queue_id": "support", "code": "lunch", "call_id": "c1",
               "campaign_id": "renewals", "number": "+441632960001", "rule": "P4.late",
               "param": "grace", "finding_id": "1", "note_id": "1"}  # fmt: skip


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


# Hostile values (issue 13): each one, in each field of each body (nested ones too), is
# refused with a 400 or a 422 naming the field; nothing is stored; nothing is logged as an
# unexpected error. The values are JSON text, written into the body as they are.
HOSTILE = {
    "infinity": "Infinity",
    "nan": "NaN",
    "1e400": "1e400",
    "huge int": "99999999999999999999",
    "huge negative int": "-99999999999999999999",
    "lone surrogate": '"\\ud800"',
    "NUL": '"a\\u0000b"',
    "deep": "[" * 1000 + "]" * 1000,
    "60k characters": json.dumps("x" * 60_000),
}
PLACEHOLDER = "\x01hostile\x01"


def filled(schema: dict[str, Any], example: Any) -> Any:
    """The example with every property it leaves out given its documented default, nested
    objects' too: a body in which every field of the schema has a value to replace."""
    if not isinstance(example, dict):
        return example
    body = {}
    for name, prop in schema.get("properties", {}).items():
        if name in example:
            body[name] = example[name]
        elif "default" in prop:
            body[name] = copy.deepcopy(prop["default"])
    for name, value in example.items():
        body.setdefault(name, value)
    for name, value in body.items():
        prop = schema.get("properties", {}).get(name) or schema.get("additionalProperties")
        for option in _objects(prop):
            body[name] = filled(option, value)
    return body


def _objects(prop: object) -> list[dict[str, Any]]:
    if not isinstance(prop, dict):
        return []
    options = [resolve(s) for s in prop.get("anyOf", [prop])]
    return [o for o in options if "object" in (o.get("type"), *o.get("type", []))]


def places(schema: dict[str, Any], body: Any, prefix: str = "") -> list[str]:
    """The dotted names of every value of `body`, nested objects', mappings' and lists'."""
    found = []
    for name, value in body.items():
        prop = schema.get("properties", {}).get(name) or schema.get("additionalProperties")
        if not isinstance(prop, dict):
            continue
        found.append(prefix + name)
        if isinstance(value, list):
            found += [f"{prefix}{name}.{index}" for index in range(len(value))]
        for option in _objects(prop):
            if isinstance(value, dict):
                found += places(option, value, f"{prefix}{name}.")
    return found


def with_hostile(example: dict[str, Any], place: str, raw: str) -> bytes:
    body = copy.deepcopy(example)
    *outer, last = place.split(".")
    target = body
    for part in outer:
        target = target[int(part) if isinstance(target, list) else part]
    target[int(last) if isinstance(target, list) else last] = PLACEHOLDER
    text = json.dumps(body).replace(json.dumps(PLACEHOLDER), raw)
    return text.encode("utf-8")


async def stored(api: Api) -> list[Any]:
    """Everything a refused body could have changed, as the API shows it."""
    reads = ["/api/v1/admin/config", "/api/v1/campaigns", "/api/v1/dnc", "/api/v1/callbacks"]
    return [(await api.call("GET", url, api.admin))[1] for url in reads]


@pytest.mark.parametrize(("path", "method", "schema"), operations_with_bodies(),
                         ids=lambda v: v if isinstance(v, str) else "")  # fmt: skip
async def test_hostile_values_in_every_field_are_refused_by_name_and_store_nothing(
    api: Api, path: str, method: str, schema: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    await api.log_in("1002")
    token = None if path.endswith("/login") else api.admin
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    before = await stored(api)
    for example, _ in alternatives(schema):
        example = filled(schema, example)
        for place in places(schema, example):
            for name, raw in HOSTILE.items():
                body = with_hostile(example, place, raw)
                async with api.client.request(
                    method.upper(), concrete(path), data=body, headers=headers
                ) as response:
                    answer = await response.json()
                assert response.status in (400, 422), (place, name, answer)
                # Nesting within a list is named by the list ("numbers" for "numbers.0").
                named = answer.get("field")
                within = name == "deep" and f"{place}.".startswith(f"{named}.")
                assert named == place or within, (place, name, answer)
    assert await stored(api) == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_every_number_and_text_of_a_body_is_bounded_in_the_document() -> None:
    """A client (or a property-based run) can tell from the document what the server takes:
    numbers within stated bounds, texts of stated length and characters (issue 13)."""
    unbounded = []

    def walk(node: Any, where: str) -> None:
        node = resolve(node)
        if not isinstance(node, dict):
            return
        kinds = node.get("type", [])
        kinds = {kinds} if isinstance(kinds, str) else set(kinds)
        choice = "enum" in node or "const" in node
        if kinds & {"number", "integer"} and not choice:
            if "maximum" not in node and "exclusiveMaximum" not in node:
                unbounded.append(f"{where}: number without a maximum")
            if "minimum" not in node and "exclusiveMinimum" not in node:
                unbounded.append(f"{where}: number without a minimum")
        clock = node.get("pattern") == CLOCK_SCHEMA["pattern"]
        if "string" in kinds and not choice and not clock and "maxLength" not in node:
            unbounded.append(f"{where}: text without a maxLength")
        for key in ("anyOf", "oneOf"):
            for option in node.get(key, []):
                walk(option, where)
        for name, prop in node.get("properties", {}).items():
            walk(prop, f"{where}.{name}")
        for key in ("additionalProperties", "items", "propertyNames"):
            if isinstance(node.get(key), dict):
                walk(node[key], f"{where}.<{key}>")

    for path, method, schema in operations_with_bodies():
        walk(schema, f"{method.upper()} {path}")
    assert unbounded == []


async def test_a_wrong_method_is_405_with_allow_and_a_wrong_role_is_403_in_words(
    api: Api,
) -> None:
    async with api.client.request("PATCH", "/api/v1/agents", headers=bearer(api.admin)) as r:
        assert (r.status, await r.json()) == (405, {"error": "Method Not Allowed"})
        assert set(r.headers["Allow"].split(",")) >= {"GET"}

    status, answer = await api.call("GET", "/api/v1/admin/config", api.supervisor)

    assert (status, answer) == (403, {"error": "this needs an admin token"})
