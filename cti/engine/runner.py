"""Runs a decision's effects. Synchronous: anything slow is handed to a writer or task.

Rule 1: effects run in the order the core listed them.
Rule 2: a failing effect is logged and does not stop the ones after it, nor the engine.
Rule 3: instructions go to call control; records go to history; every notification also
goes to the live feeds (WebSocket hub, projections), which must not block.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final, get_args

from cti.domain.effects import (
    AttemptEnded,
    CallEnded,
    CampaignDrained,
    ContactsReturned,
    Effect,
    FindingRaised,
    Instruction,
    LoginEnded,
    MonitoringEnded,
    OfferEnded,
    PresenceChanged,
    QueueVisitEnded,
    Record,
    RecordingStarted,
    StateIntervalEnded,
)
from cti.domain.outbound.outbound_records import CampaignFinish, ContactsRelease, EndedAttempt
from cti.domain.state import Decision
from cti.engine.ports import CallControl, HistoryRecorder, LiveFeed

logger = logging.getLogger(__name__)

INSTRUCTIONS: Final = get_args(Instruction)  # the classes of the union, for isinstance


def record_of(effect: Effect) -> Record | None:
    """The history record an effect carries, if any."""
    match effect:
        case QueueVisitEnded(visit=record):
            return record
        case OfferEnded(offer=record):
            return record
        case CallEnded(record=record):
            return record
        case StateIntervalEnded(interval=record):
            return record
        case LoginEnded(session=record):
            return record
        case FindingRaised(finding=record):
            return record
        case PresenceChanged(presence=record):
            return record
        case MonitoringEnded(session=record):
            return record
        case RecordingStarted(recording=record):
            return record
        case AttemptEnded(attempt=attempt, contact=contact):
            return EndedAttempt(attempt=attempt, contact=contact)
        case ContactsReturned(campaign=campaign, contacts=contacts, why=why):
            return ContactsRelease(campaign=campaign, contacts=contacts, why=why)
        case CampaignDrained(campaign=campaign, at=at):
            return CampaignFinish(campaign=campaign, at=at)
    return None


class EffectRunner:
    def __init__(
        self,
        *,
        history: HistoryRecorder,
        control: CallControl,
        feeds: Sequence[LiveFeed] = (),
    ) -> None:
        self._history = history
        self._control = control
        self._feeds = list(feeds)

    def add_feed(self, feed: LiveFeed) -> None:
        self._feeds.append(feed)

    def run(self, decision: Decision) -> None:
        for note in decision.notes:
            logger.debug("note: %s", note)
        for effect in decision.effects:
            try:
                self._run(effect)
            except Exception:
                logger.exception("effect failed: %r", effect)
        for feed in self._feeds:
            try:
                feed.publish(decision)
            except Exception:
                logger.exception("live feed failed")

    def _run(self, effect: Effect) -> None:
        if isinstance(effect, INSTRUCTIONS):
            logger.info("instruction: %s", effect)
            self._control.perform(effect)
            return
        record = record_of(effect)
        if record is not None:
            logger.info("record: %s", type(record).__name__)
            self._history.put(record)
        else:
            logger.debug("notification: %s", effect)
