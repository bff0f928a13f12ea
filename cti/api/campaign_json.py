"""Campaigns as JSON: the PUT body read into a CampaignConfig, and the views sent back (C5).

Rule 1: the body has CampaignConfig's fields, with `window` {start, end} as "HH:MM",
`retries` {result: {delay, max_attempts}} (null: no retry on that result), `pacing`
{mode, and PacingConfig's numbers} and `seat` {SeatTargets' counts}. A field left out
takes the campaign's default (PUT replaces the whole config); `retries`, when given,
replaces every rule.
Rule 2: as in bodies.py, a missing, mistyped or unknown field is 400 naming it; a
well-formed value the campaign refuses (validation, an unknown time zone or result) is
422, with `field` naming it too.
Rule 3: views are pure functions of stored values; every contact status is counted, zero
included. A campaign's `config` is a valid PUT body, so GET then PUT round-trips.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import time
from functools import partial
from types import MappingProxyType
from typing import Final

from cti.api.bodies import Fields
from cti.api.errors import ApiError
from cti.domain.campaign import (
    CALLBACKS_PREFIX,
    RETRIED,
    AttemptResult,
    CallingWindow,
    CampaignConfig,
    CampaignId,
    RetryRule,
    SeatTargets,
    default_retries,
)
from cti.domain.config import ConfigError
from cti.domain.contact import ContactError, ContactStatus, normalize_number, zone
from cti.domain.ids import QueueId
from cti.domain.pacing import DialMode, PacingConfig
from cti.storage.campaign_rows import campaign_document
from cti.storage.campaign_store import StoredCampaign

Json = dict[str, object]
CLOCK: Final = re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?")
CHECKED_BY_VALIDATE: Final = (
    "ring_timeout",
    "follow_up_within",
    "abandon_quiet",
    "callback_grace",
    "callback_within",
)
DEFAULTS: Final = CampaignConfig(id=CampaignId("-"), queue=QueueId("-"))


def invalid(field: str, reason: object) -> ApiError:
    return ApiError(422, f"field '{field}': {reason}", field=field)


def _checked(field: str, check: Callable[[], object]) -> None:
    try:
        check()
    except (ConfigError, ContactError) as exc:
        raise invalid(field, exc) from None


# The PUT body ----------------------------------------------------------------------------


def campaign_body(campaign: CampaignId, data: Mapping[str, object]) -> CampaignConfig:
    """A whole campaign (PUT replaces it); the queue's existence is the handler's check."""
    f, d = Fields(data), DEFAULTS
    timezone = (f.optional_text("timezone") or "").strip() or d.timezone
    _checked("timezone", lambda: zone(timezone))
    config = CampaignConfig(
        id=campaign,
        name=f.optional_text("name") or "",
        queue=QueueId(f.text("queue").strip()),
        caller_id=f.optional_text("caller_id") or "",
        script=f.optional_text("script") or "",
        shown_fields=f.texts("shown_fields"),
        window=_window(f.section("window")),
        timezone=timezone,
        retries=_retries(f.section("retries")),
        follow_up_within=f.number("follow_up_within", d.follow_up_within),
        callback_grace=f.number("callback_grace", d.callback_grace),
        callback_within=f.number("callback_within", d.callback_within),
        # A queue's callbacks campaign stays standing unless told otherwise (rule 5).
        standing=f.flag("standing", campaign.startswith(CALLBACKS_PREFIX)),
        abandon_quiet=f.number("abandon_quiet", d.abandon_quiet),
        ring_timeout=f.number("ring_timeout", d.ring_timeout),
        machine_detection=f.flag("machine_detection"),
        pacing=_pacing(f.section("pacing")),
        seat=_seat(f.section("seat")),
    )
    f.done()
    try:
        config.validate()
    except ConfigError as exc:  # the checks left to validate() name their field first
        field = next((name for name in CHECKED_BY_VALIDATE if name in str(exc)), None)
        raise ApiError(422, str(exc), field=field) from None
    return config


def _window(f: Fields | None) -> CallingWindow:
    d = CallingWindow()
    if f is None:
        return d
    window = CallingWindow(start=_clock(f, "start", d.start), end=_clock(f, "end", d.end))
    f.done()
    _checked("window", window.validate)
    return window


def _clock(f: Fields, name: str, default: time) -> time:
    text = f.optional_text(name)
    if text is None:
        return default
    try:
        if not CLOCK.fullmatch(text):
            raise ValueError
        return time.fromisoformat(text)
    except ValueError:
        raise invalid(f"window.{name}", f"{text!r} is not a time of day (HH:MM)") from None


def _retries(f: Fields | None) -> Mapping[AttemptResult, RetryRule]:
    if f is None:
        return default_retries()
    rules = {}
    for name in f.names():
        given = f.section(name)
        if given is None:
            continue
        if name not in {result.value for result in RETRIED}:
            choices = ", ".join(sorted(RETRIED))
            raise invalid(f"retries.{name}", f"not a result that is retried ({choices})")
        rule = RetryRule(
            delay=given.number("delay", 0.0, required=True),
            max_attempts=given.integer("max_attempts", 0, required=True),
        )
        given.done()
        _checked(f"retries.{name}", partial(rule.validate, name))
        rules[AttemptResult(name)] = rule
    f.done()
    return MappingProxyType(rules)


def _pacing(f: Fields | None) -> PacingConfig:
    d = DEFAULTS.pacing
    if f is None:
        return d
    mode = f.choice("mode", DialMode, d.mode)
    names = [x.name for x in fields(PacingConfig) if x.name != "mode"]
    numbers = {name: f.number(name, getattr(d, name)) for name in names}
    f.done()
    try:
        return PacingConfig(mode=mode, **numbers)
    except ConfigError as exc:
        raise invalid("pacing", exc) from None


def _seat(f: Fields | None) -> SeatTargets:
    d = DEFAULTS.seat
    if f is None:
        return d
    seat = SeatTargets(**{x.name: f.integer(x.name, getattr(d, x.name)) for x in fields(d)})
    f.done()
    _checked("seat", seat.validate)
    return seat


def dnc_body(data: Mapping[str, object]) -> tuple[list[str], str]:
    """Numbers for the do-not-call list, normalised (422 naming a bad one), and a note."""
    f = Fields(data)
    given, note = f.texts("numbers", required=True), f.optional_text("note") or ""
    f.done()
    try:
        return [normalize_number(number) for number in given], note
    except ContactError as exc:
        raise invalid("numbers", exc) from None


# Views -----------------------------------------------------------------------------------


def progress_view(progress: Mapping[ContactStatus, int]) -> Json:
    counts = {status.value: progress.get(status, 0) for status in ContactStatus}
    return {"contacts": sum(counts.values()), "by_status": counts}


def campaign_summary(stored: StoredCampaign, progress: Mapping[ContactStatus, int]) -> Json:
    config = stored.config
    return {
        "id": config.id,
        "name": config.name,
        "queue": config.queue,
        "mode": config.mode.value,
        "status": stored.status.value,
        "progress": progress_view(progress),
    }


def campaign_view(stored: StoredCampaign, progress: Mapping[ContactStatus, int]) -> Json:
    """Status and progress, and under `config` the whole config as the PUT body takes it."""
    config, window = stored.config, stored.config.window
    return campaign_summary(stored, progress) | {
        "config": {
            "name": config.name,
            "queue": config.queue,
            **campaign_document(config),
            "window": {"start": clock_text(window.start), "end": clock_text(window.end)},
        }
    }


def clock_text(moment: time) -> str:
    return moment.isoformat("seconds" if moment.second else "minutes")
