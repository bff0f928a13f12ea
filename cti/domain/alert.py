"""Supervisors' alerts: what the wallboard tells as it happens (issue 14; C3, P5, P10).

Rules:
1. An urgent or VIP caller (P10) is an inbound caller entering a queue with a priority
   above 0 (the trunk's `X-CTI-Priority`, `CTI_PRIORITY`): one alert per queue entered
   (an overflow into another queue is another). An answered outbound call (a campaign's or
   a callback's, whose priority only puts it ahead of inbound callers) is no urgent caller.
2. A ring-limit miss (C3), a not-ready overrun (P5) and an urgent caller still waiting at
   the queue's `urgent_wait` (P10) are alerts when the core raises their findings
   (`C3.ring_limit`, `P5.not_ready_overrun`, `P10.urgent_wait`), with the finding's evidence:
   a miss names its queue (from the offer that ended with it), its agent and call.
3. The longest wait and the service level alert when their level rises (ok to warn, ok or
   warn to alert; cti/domain/thresholds.py): once per rise, never while the level holds,
   and never when it falls. The first levels judged rise from ok.
4. The AMI link alerts when it goes down and when it is back up. The first look is the
   baseline (a server starting before Asterisk answers is not told as an outage); a
   reconnect between two looks (a count of reconnects that grew) is a down and an up;
   "back up" is told only after a "down".
5. Every alert has a kind, a level (an outage, an urgent caller and an overrun are alert;
   a miss is warn; a link back up is ok), the instant, a sentence for people, and the
   queue, agent and call it is about where it has them.
6. Pure: decisions, levels and observations are handed in with the instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from cti.domain.effects import CallWaiting, Effect, FindingRaised, OfferEnded
from cti.domain.ids import AgentId, CallId, Instant, QueueId
from cti.domain.records import Finding, Rule
from cti.domain.state import Decision
from cti.domain.thresholds import Level, QueueLevels, Reading


class AlertKind(StrEnum):
    URGENT_CALLER = "urgent_caller"  # P10
    URGENT_WAIT = "urgent_wait"  # P10: ... still waiting at the queue's urgent_wait
    RING_LIMIT_MISS = "ring_limit_miss"  # C3
    LONGEST_WAIT = "longest_wait"
    SERVICE_LEVEL = "service_level"
    NOT_READY_OVERRUN = "not_ready_overrun"  # P5
    LINK_DOWN = "link_down"
    LINK_UP = "link_up"


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    kind: AlertKind
    level: Level
    at: Instant
    text: str
    queue: QueueId | None = None
    agent: AgentId | None = None
    call: CallId | None = None
    number: str | None = None  # the caller's number the text names, for masking it (P22)


def clock(seconds: float) -> str:
    """A duration as a wallboard shows it: m:ss, h:mm:ss."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# Rules 1 and 2: what a decision tells -----------------------------------------------------


def decision_alerts(decision: Decision, at: Instant) -> list[Alert]:
    """The alerts of one decision of the core, in the order of its effects."""
    return list(_decision_alerts(decision, at))


def _decision_alerts(decision: Decision, at: Instant) -> Iterator[Alert]:
    state = decision.state
    for effect in decision.effects:
        if isinstance(effect, CallWaiting):
            call = effect.call
            outbound = call.channel in state.dials or call.channel in state.adopted
            if call.priority > 0 and not outbound:
                who = call.caller or "unknown number"
                yield Alert(
                    kind=AlertKind.URGENT_CALLER,
                    level=Level.ALERT,
                    at=at,
                    text=f"Urgent caller {who} (priority {call.priority}) waiting in {call.queue}",
                    queue=call.queue,
                    call=call.call,
                    number=call.caller or None,
                )
        elif isinstance(effect, FindingRaised):
            found = _finding_alert(effect.finding, decision.effects, at)
            if found is not None:
                yield found


def _finding_alert(finding: Finding, effects: tuple[Effect, ...], at: Instant) -> Alert | None:
    if finding.rule is Rule.RING_LIMIT:
        queue = _offer_queue(finding, effects)
        rings = int(finding.limit)
        return Alert(
            kind=AlertKind.RING_LIMIT_MISS,
            level=Level.WARN,
            at=at,
            text=f"Agent {finding.agent} did not answer within {rings} rings"
            + (f" in {queue}" if queue else "")
            + ": the call goes to the next agent",
            queue=queue,
            agent=finding.agent,
            call=finding.call,
        )
    if finding.rule is Rule.URGENT_WAIT:
        return Alert(
            kind=AlertKind.URGENT_WAIT,
            level=Level.ALERT,
            at=at,
            text=f"Escalated: {finding.detail} for {clock(finding.measured)}",
            call=finding.call,
        )
    if finding.rule is Rule.NOT_READY_OVERRUN:
        reason = f" ({finding.detail})" if finding.detail else ""
        return Alert(
            kind=AlertKind.NOT_READY_OVERRUN,
            level=Level.ALERT,
            at=at,
            text=f"Agent {finding.agent} not ready{reason} for {clock(finding.measured)}: "
            f"the limit is {clock(finding.limit)}",
            agent=finding.agent,
        )
    return None


def _offer_queue(finding: Finding, effects: tuple[Effect, ...]) -> QueueId | None:
    for effect in effects:
        if (
            isinstance(effect, OfferEnded)
            and effect.offer.call == finding.call
            and effect.offer.agent == finding.agent
        ):
            return effect.offer.queue
    return None


# Rule 3: levels that rise ------------------------------------------------------------------


def level_alerts(before: QueueLevels | None, after: QueueLevels, at: Instant) -> list[Alert]:
    """The longest wait's and the service level's rises since `before` (rule 3)."""
    found: list[Alert] = []
    pairs = (
        (AlertKind.LONGEST_WAIT, before.longest_wait if before else None, after.longest_wait),
        (AlertKind.SERVICE_LEVEL, before.service_level if before else None, after.service_level),
    )
    for kind, was, now in pairs:
        previous = was.level if was is not None else Level.OK
        if now.level.rank > previous.rank:
            found.append(
                Alert(
                    kind=kind,
                    level=now.level,
                    at=at,
                    text=_level_text(kind, after.queue, now),
                    queue=after.queue,
                )
            )
    return found


def _level_text(kind: AlertKind, queue: QueueId, reading: Reading) -> str:
    threshold = reading.alert if reading.level is Level.ALERT else reading.warn
    word = "alert" if reading.level is Level.ALERT else "warning"
    if kind is AlertKind.LONGEST_WAIT:
        return (
            f"{queue}: a caller has waited {clock(reading.value or 0.0)} "
            f"({word} from {clock(threshold)})"
        )
    return (
        f"{queue}: today's service level is {_percent(reading.value or 0.0)} "
        f"({word} below {_percent(threshold)})"
    )


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.1f}".removesuffix(".0") + " %"


# Rule 4: the AMI link ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkWatch:
    """What the last look at the AMI link saw."""

    up: bool
    reconnects: int  # sessions after the first (cti/ami/link.py AmiLink.reconnects)
    down_told: bool = False  # a "down" was told and no "back up" since


def link_alerts(
    before: LinkWatch | None, up: bool, reconnects: int, at: Instant
) -> tuple[LinkWatch, list[Alert]]:
    """The link as seen now, and the alerts since the last look (rule 4)."""
    if before is None:
        return LinkWatch(up=up, reconnects=reconnects), []
    steps: list[bool] = []  # True: came up, False: went down
    if reconnects > before.reconnects:  # it went down and came back at least once
        steps += [False, True] if before.up else [True]
    elif up and not before.up:
        steps.append(True)
    last_up = steps[-1] if steps else before.up
    if last_up and not up:
        steps.append(False)
    told, alerts = before.down_told, []
    for came_up in steps:
        if not came_up:
            alerts.append(_link_alert(AlertKind.LINK_DOWN, at))
            told = True
        elif told:
            alerts.append(_link_alert(AlertKind.LINK_UP, at))
            told = False
    return LinkWatch(up=up, reconnects=reconnects, down_told=told), alerts


def _link_alert(kind: AlertKind, at: Instant) -> Alert:
    if kind is AlertKind.LINK_DOWN:
        text = "The AMI link to Asterisk is down: no call is routed until it is back"
        return Alert(kind=kind, level=Level.ALERT, at=at, text=text)
    return Alert(kind=kind, level=Level.OK, at=at, text="The AMI link to Asterisk is back up")
