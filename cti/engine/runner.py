"""Runs a decision's effects. Synchronous: anything slow is handed to a writer or task.

Rule 1: effects run in the order the core listed them.
Rule 2: a failing effect is logged and does not stop the ones after it, nor the engine.
"""

from __future__ import annotations

import logging
from typing import assert_never

from cti.domain.acd import Decision
from cti.domain.effects import CallWaiting, Effect, QueueVisitEnded, ResyncApplied
from cti.engine.ports import VisitRecorder

logger = logging.getLogger(__name__)


class EffectRunner:
    def __init__(self, *, history: VisitRecorder) -> None:
        self._history = history

    def run(self, decision: Decision) -> None:
        for note in decision.notes:
            logger.debug("ignored: %s", note.reason)
        for effect in decision.effects:
            try:
                self._run(effect)
            except Exception:
                logger.exception("effect failed: %r", effect)

    def _run(self, effect: Effect) -> None:
        match effect:
            case CallWaiting(call=call):
                logger.info(
                    "call %s waiting in %s (priority %d)", call.call, call.queue, call.priority
                )
            case QueueVisitEnded(visit=visit):
                logger.info(
                    "call %s left %s: %s after %.1f s",
                    visit.call,
                    visit.queue,
                    visit.outcome,
                    visit.wait_seconds,
                )
                self._history.put(visit)
            case ResyncApplied():
                logger.info(
                    "resync: %d added, %d removed, %d changed",
                    effect.added,
                    effect.removed,
                    effect.changed,
                )
            case _:
                assert_never(effect)
