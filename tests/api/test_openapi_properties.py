"""A property-based run of the OpenAPI document against a real `cti serve` (issue 13):
schemathesis generates requests from the document, schema-valid ones and schema-invalid
ones, for every operation, and each answer is checked:
- no 5xx but the documented 503;
- the status is one the operation documents, with its content type and its schema;
- a valid request is never refused as malformed (400), except for an opaque cursor the
  server did not issue (which the document says it must have);
- an invalid path, query or body is refused (4xx): the document is no looser than the
  server. A parameter given empty counts as left out (cti/api/query.py rule 4).
Bounded: a fixed number of examples per operation and mode, derandomized (the same
requests every run), so it takes about a minute.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, Final

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.lab.server import ServerProcess

EXAMPLES: Final = 25  # per operation and mode
SKIPPED: Final = {"/api/v1/events"}  # a WebSocket: its handshake is not a JSON request
CHECKS: Final = [status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATED: Final = {"QUERY", "BODY", "PATH"}  # headers are not the server's to refuse


def fault(case: Any, response: Any, mode: GenerationMode) -> str | None:
    status, text = response.status_code, response.text
    if status >= 500 and status != 503:
        return f"{status}: {text[:200]}"
    if mode is GenerationMode.POSITIVE and status == 400 and '"field": "cursor"' not in text:
        return f"a valid request refused: {text[:200]}"
    negated = [loc for loc, info in case.meta.components.items() if info.mode.is_negative]
    # A parameter sent empty, or not at all, is no invalid value (cti/api/query.py rule 4).
    emptied = any(not name or value in ("", [], None) for name, value in (case.query or {}).items())
    if status < 400 and not emptied and any(loc.name in NEGATED for loc in negated):
        return f"an invalid request accepted ({status})"
    return None


def run(url: str, token: str) -> Counter[str]:
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json", timeout=10)
    headers = {"Authorization": f"Bearer {token}"}
    faults: Counter[str] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                probe(operation, mode, headers, faults)
            except Unsatisfiable:  # nothing to negate (an operation without parameters)
                continue
    return faults


def probe(
    operation: Any, mode: GenerationMode, headers: dict[str, str], faults: Counter[str]
) -> None:
    """EXAMPLES requests of `mode` to `operation`; what was wrong with each, into faults."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(operation.as_strategy(generation_mode=mode))
    def one(case: Any) -> None:
        response = case.call(headers=headers, timeout=10)
        found = fault(case, response, mode)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except BaseException as exc:  # schemathesis raises a group of its failures
            found = found or str(exc).splitlines()[0]
        if found is not None:
            where = f"{operation.label} {mode.value}"
            faults[f"{where}: {found}\n  sent {case.path_parameters} {case.query}"] += 1

    one()


async def test_generated_requests_get_documented_answers(served: ServerProcess) -> None:
    token = (await served.admin("token", "create", "--role", "admin", "--name", "st")).strip()

    faults = await asyncio.to_thread(run, served.url, token)

    assert not faults, "\n".join(f"{n} x {text}" for text, n in faults.most_common(20))
