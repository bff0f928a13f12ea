"""One declaration per setting (cti/domain/setting.py) and what the shell derives from it
(cti/schema): bounds said in words, values that read back unchanged through plain JSON,
readers by type, and pydantic's errors naming the field."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import time
from types import MappingProxyType

import pytest
from pydantic import ValidationError

from cti.domain.config import AgentProfile, MaxWaitAction, NotReadyReason, QueueConfig, Strategy
from cti.domain.ids import AgentId, QueueId
from cti.domain.outbound.campaign import (
    AttemptResult,
    CallingWindow,
    CampaignConfig,
    CampaignId,
    RetryRule,
    SeatTargets,
)
from cti.domain.outbound.pacing import DialMode, PacingConfig
from cti.domain.setting import Bounds, SettingError
from cti.schema.cells import codes, levels, optional_text, reader_of, readers
from cti.schema.model import model_of, read_document, updated
from cti.schema.plain import plain_object
from cti.schema.refusal import refusal

QUEUE = QueueConfig(
    id=QueueId("sales"), name="Sales", strategy=Strategy.SKILLS, ring_limit=4, ring_cadence=5.0,
    misses_before_not_ready=2, max_wrap_up=30.0, dispositions=("sale",),
    disposition_required=True, skill="french", min_skill_level=2, widen_after=20.0,
    overflow_after=90.0, overflow_queue=QueueId("support"), max_wait=600.0,
    max_wait_action=MaxWaitAction.CALLBACK,
)  # fmt: skip
AGENT = AgentProfile(
    id=AgentId("1001"),
    name="Ann",
    skills=MappingProxyType({"french": 5}),
    queues=MappingProxyType({QueueId("sales"): 1}),
)
REASON = NotReadyReason(code="lunch", label="Lunch", max_seconds=900.0)
CAMPAIGN = CampaignConfig(
    id=CampaignId("renewals"), name="Renewals", queue=QueueId("sales"), caller_id="+44",
    script="Hi", shown_fields=("name",), window=CallingWindow(start=time(9), end=time(20, 30)),
    timezone="Europe/London",
    retries=MappingProxyType({AttemptResult.BUSY: RetryRule(delay=600.0, max_attempts=4)}),
    follow_up_within=3600.0, callback_grace=60.0, callback_within=600.0, standing=True,
    abandon_quiet=7200.0, ring_timeout=30.0, machine_detection=True,
    pacing=PacingConfig(mode=DialMode.PREDICTIVE, abandon_cap_pct=2.5, hold=1.5),
    seat=SeatTargets(min_dials=50, max_dials=90),
)  # fmt: skip
KEYS = {QueueConfig: ("id",), AgentProfile: ("id",), NotReadyReason: ("code",)}


@pytest.mark.parametrize(
    ("bounds", "reason"),
    [
        (Bounds(ge=1), "must be at least 1"),
        (Bounds(ge=0), "must not be negative"),
        (Bounds(gt=0), "must be positive"),
        (Bounds(ge=15, unit="s"), "must be at least 15 s"),
        (Bounds(ge=0, le=9), "must be 0-9"),
        (Bounds(gt=0, lt=100, unit="%"), "must be in (0, 100) %"),
        (Bounds(ge=0, lt=1), "must be in [0, 1)"),
        (Bounds(), "must be a finite number"),
    ],
)
def test_bounds_say_why_a_value_is_refused(bounds: Bounds, reason: str) -> None:
    assert bounds.reason() == reason


def test_a_float_setting_must_be_finite_and_the_error_names_it() -> None:
    with pytest.raises(SettingError) as refused:
        replace(QUEUE, ring_cadence=float("inf")).validate()

    assert (refused.value.field, str(refused.value)) == (
        "ring_cadence",
        "queue sales: ring_cadence must be in (0, 60] s",
    )


def test_a_part_refused_is_named_from_the_whole() -> None:
    with pytest.raises(SettingError) as refused:
        replace(CAMPAIGN, seat=SeatTargets(min_dials=120, max_dials=90)).validate()

    assert refused.value.field == "seat"


@pytest.mark.parametrize("value", [QUEUE, AGENT, REASON], ids=lambda v: type(v).__name__)
def test_a_configuration_value_reads_back_unchanged_from_its_json(value: object) -> None:
    key = KEYS[type(value)]
    model = model_of(type(value), omit=key)
    body = {k: v for k, v in plain_object(value).items() if k not in key}

    base = type(value)(**{key[0]: getattr(value, key[0])})
    read = updated(base, model.model_validate_json(json.dumps(body)))

    assert read == value


def test_a_campaign_reads_back_unchanged_from_its_json_and_its_document() -> None:
    model = model_of(CampaignConfig, omit=("id",))
    body = {k: v for k, v in plain_object(CAMPAIGN).items() if k != "id"}
    base = CampaignConfig(id=CAMPAIGN.id, queue=CAMPAIGN.queue)

    assert updated(base, model.model_validate_json(json.dumps(body))) == CAMPAIGN
    assert read_document(base, body, ("id",), "campaign renewals") == CAMPAIGN
    assert body["window"] == {"start": "09:00", "end": "20:30"}


def test_a_part_given_in_part_keeps_the_rest_of_the_base() -> None:
    model = model_of(CampaignConfig, omit=("id",))
    base = CampaignConfig(id=CAMPAIGN.id, queue=CAMPAIGN.queue)  # pacing: progressive

    read = updated(base, model.model_validate_json('{"queue": "q1", "pacing": {"hold": 1}}'))

    assert (read.pacing.mode, read.pacing.hold) == (DialMode.PROGRESSIVE, 1.0)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ('{"queue": "q1", "pacing": {"speed": 3}}', 400, "pacing.speed"),
        ('{"queue": "q1", "seat": {"max_dials": "many"}}', 400, "seat.max_dials"),
        ('{"queue": "q1", "window": {"start": "25:00"}}', 422, "window.start"),
        ('{"queue": "q1", "retries": {"bogus": null}}', 400, "retries.bogus"),
        ('{"queue": "q1", "ring_timeout": 1e999}', 400, "ring_timeout"),  # no inf or NaN
        ("{}", 400, "queue"),
    ],
)
def test_validation_errors_name_the_field_and_tell_400_from_422(
    body: str, status: int, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        model_of(CampaignConfig, omit=("id",)).model_validate_json(body)

    found = refusal(refused.value)
    assert (found.status, found.field) == (status, field)
    assert field in found.reason


def test_readers_follow_the_declared_type() -> None:
    queue = readers(QueueConfig)

    assert queue["dispositions"] is codes
    assert reader_of(dict[str, RetryRule]) is None
    assert queue["skill"] is optional_text
    assert readers(AgentProfile)["skills"] is levels
    assert queue["strategy"]("skills") is Strategy.SKILLS
    assert queue["ring_limit"]("4") == 4
    assert "pacing" not in readers(CampaignConfig)  # a part: no cell of its own
