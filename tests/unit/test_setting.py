"""The rules every setting keeps (cti/domain/setting.py rules 6 and 7, cti/domain/ids.py
rule 3): each number is bounded on both sides, each text is one printable line of bounded
length unless declared otherwise, ids are names the dialplan and AMI can carry, and the
core's check and the API's schema refuse the same texts with the same words (issue 13)."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from cti.domain.config import AgentProfile, NotReadyReason, QueueConfig
from cti.domain.ids import PLAIN_NAME, QUEUE_NAME
from cti.domain.outbound.campaign import CallingWindow, CampaignConfig, RetryRule, SeatTargets
from cti.domain.outbound.pacing import PacingConfig
from cti.domain.setting import LINE, PROSE, Text, setting_of
from cti.schema.hints import base, declared, mapping_of, optional
from cti.schema.model import Kept
from cti.schema.refusal import located, refusal

SETTINGS = (
    QueueConfig,
    AgentProfile,
    NotReadyReason,
    CampaignConfig,
    CallingWindow,
    RetryRule,
    SeatTargets,
    PacingConfig,
)


def numbers() -> list[tuple[str, str]]:
    found = []
    for cls in SETTINGS:
        for d in declared(cls):
            inner, _ = optional(d.type)
            pair = mapping_of(inner)
            if pair is not None and base(pair[1]) in (int, float):
                found.append((cls.__name__, f"{d.name} (each)"))
            elif base(inner) in (int, float):
                found.append((cls.__name__, d.name))
    return found


@pytest.mark.parametrize(("cls", "name"), numbers())
def test_every_number_setting_is_bounded_on_both_sides(cls: str, name: str) -> None:
    owner = next(c for c in SETTINGS if c.__name__ == cls)
    field = next(f for f in fields(owner) if f.name == name.removesuffix(" (each)"))
    rule = setting_of(field)
    bounds = rule.each if name.endswith("(each)") else rule.bounds
    assert bounds is not None
    assert bounds.ge is not None or bounds.gt is not None, "no lower bound"
    assert bounds.le is not None or bounds.lt is not None, "no upper bound"


@pytest.mark.parametrize(
    ("rule", "text", "fault"),
    [
        (LINE, "Support team", None),
        (LINE, "a\tb", "must not contain control characters (U+0009)"),
        (LINE, "a\nb", "must not contain control characters (U+000A)"),
        (LINE, "a\x7fb", "must not contain control characters (U+007F)"),
        (LINE, "a\x85b", "must not contain control characters (U+0085)"),
        (LINE, "\ud800", "must not contain a lone surrogate (not Unicode text)"),
        (LINE, "é" * 200, None),
        (LINE, "é" * 201, "must be at most 200 characters"),
        (PROSE, "Hello,\n\tthis is the script.\r\n", None),
        (PROSE, "a\x00b", "must not contain control characters (U+0000)"),
        (QUEUE_NAME, "support", None),
        (QUEUE_NAME, "q", f"must be {QUEUE_NAME.says}"),
        (QUEUE_NAME, "été", f"must be {QUEUE_NAME.says}"),
        (QUEUE_NAME, "sup'port", f"must be {QUEUE_NAME.says}"),
        (PLAIN_NAME, "1001", None),
        (PLAIN_NAME, "ann@site", None),
        (PLAIN_NAME, " lead", f"must be {PLAIN_NAME.says}"),
        (PLAIN_NAME, "\x00", f"must be {PLAIN_NAME.says}"),
        (PLAIN_NAME, "a^b", f"must be {PLAIN_NAME.says}"),
        (PLAIN_NAME, "x" * 5000, "must be at most 80 characters"),
        (Text(least=1), "", "must not be empty"),
    ],
)
def test_a_text_rule_says_what_is_wrong(rule: Text, text: str, fault: str | None) -> None:
    assert rule.fault(text) == fault


class Body(BaseModel):
    line: Annotated[str, Kept(LINE)] = ""
    queue: Annotated[str, Kept(QUEUE_NAME)] = "support"


@pytest.mark.parametrize(
    ("given", "field", "rule"),
    [
        ({"line": "a\u0000b"}, "line", LINE),
        ({"line": "x" * 201}, "line", LINE),
        ({"queue": "été"}, "queue", QUEUE_NAME),
    ],
)
def test_the_schema_refuses_a_text_as_the_core_does_and_the_document_says_so(
    given: dict[str, str], field: str, rule: Text
) -> None:
    with pytest.raises(ValidationError) as refused:
        Body.model_validate_json(json.dumps(given))

    found = refusal(refused.value)
    assert (found.status, found.field) == (422, field)
    assert found.reason == f"field '{field}': {rule.fault(given[field])}"
    schema = Body.model_json_schema()["properties"][field]
    assert (schema["maxLength"], schema["pattern"]) == (rule.length, rule.pattern)


@pytest.mark.parametrize(
    ("text", "place", "field"),
    [
        (b'{"pin": "\\ud800", "device": "1001"}', (1, 15), "pin"),
        (b'{"a": {"b": [1, 2, "\\ud800"]}}', (1, 28), "a.b.2"),
        (b'{"pin": ' + b"[" * 300, (1, 209), "pin"),  # nested in the value: the field
        (b'{\n  "x": 1,\n  "note": "\\ud800"\n}', (3, 19), "note"),
        (b'[[["\\ud800"]]]', (1, 10), ""),
        (b'{"k\\"ey": "\\ud800"}', (1, 18), 'k\\"ey'),
    ],
)
def test_a_place_in_a_json_text_is_named_by_its_keys(
    text: bytes, place: tuple[int, int], field: str
) -> None:
    assert located(text, *place) == field
