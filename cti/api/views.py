"""JSON views of live state and stored history: what the API and the WebSocket hub send.

Rule 1: pure functions of values (state, records, `now`); nothing here awaits or reads a clock.
Rule 2: instants are epoch seconds (floats); durations are seconds rounded to milliseconds.
Rule 3: phone numbers are shown whole only to those who need them (P22): supervisors and
admins, and an agent for its own calls. Everyone else sees `mask(number)`.
Rule 4: an agent who is not logged in is shown as logged_out, with no device or call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from cti.domain.agent import Agent
from cti.domain.config import AcdConfig, AgentProfile, NotReadyReason, QueueConfig
from cti.domain.ids import AgentId, CallId, Instant, QueueId
from cti.domain.outbound.pacing import DialMode
from cti.domain.records import AgentState, CallRecord, SegmentKind
from cti.domain.state import AcdState, TimerKind
from cti.schema.plain import plain as plain
from cti.schema.plain import plain_object
from cti.storage.figures import AgentFigures
from cti.storage.queries import CallDetail, CallSummary, QueueFigures

Json = dict[str, object]
SHOWN_DIGITS: Final = 4  # a masked number keeps its last four characters


def mask(number: str) -> str:
    """All but the last four characters hidden; short numbers entirely (P22)."""
    if len(number) <= SHOWN_DIGITS:
        return "*" * len(number)
    return "*" * (len(number) - SHOWN_DIGITS) + number[-SHOWN_DIGITS:]


def number(value: str, shown: bool) -> str:
    return value if shown else mask(value)


def seconds(value: float) -> float:
    return round(max(0.0, value), 3)


# Agents ---------------------------------------------------------------------------------


def agent_ids(state: AcdState) -> list[AgentId]:
    """Every configured agent, and any logged in whose profile was removed since."""
    return sorted({*state.config.agents, *state.agents})


LOGGED_OUT: Final[Json] = {
    "state": AgentState.LOGGED_OUT.value,
    "reason": None,
    "status": None,
    "since": None,
    "state_seconds": None,
    "device": None,
    "address": None,
    "logged_in_at": None,
    "call": None,
    "calls_answered": 0,
    "misses_in_row": 0,
}


def agent_view(state: AcdState, agent_id: AgentId, now: Instant, *, numbers: bool) -> Json:
    """One agent's live state (C7, C8); `numbers` shows its caller's number whole."""
    profile = state.config.agents.get(agent_id)
    agent = state.agents.get(agent_id)
    view: Json = {
        "agent": agent_id,
        "name": profile.name if profile else "",
        "queues": sorted(profile.queues) if profile else [],
    }
    if agent is None:
        return view | LOGGED_OUT
    return view | {
        "state": agent.state.value,
        "reason": agent.shown_reason,
        "status": {"ready": agent.ready, "reason": agent.reason, "by": agent.reason_by},
        "since": agent.since,
        "state_seconds": seconds(now - agent.since),
        "device": agent.device,
        "address": agent.address,
        "logged_in_at": agent.logged_in_at,
        "call": _current_call(state, agent, now, numbers),
        "calls_answered": agent.answered,
        "misses_in_row": agent.misses_in_row,
        "outbound": _outbound(state, agent, numbers),
        "previews": _previews(state, profile),
        "wrap_up": _wrap_up(state, agent),
    }


def _previews(state: AcdState, profile: AgentProfile | None) -> list[str]:
    """The running preview campaigns this agent can take a contact of (P25): those of its
    queues, for the desktop's "Next contact"."""
    queues = profile.queues if profile else {}
    return sorted(
        c.id
        for c in state.campaigns.values()
        if c.running and c.config.mode is DialMode.PREVIEW and c.config.queue in queues
    )


def _wrap_up(state: AcdState, agent: Agent) -> Json | None:
    """While in wrap-up: the queue's dispositions, whether one is required, and when the
    queue's maximum ends it (C4), for the desktop's wrap-up panel."""
    if agent.state is not AgentState.WRAP_UP:
        return None
    queue = state.config.queues.get(agent.queue) if agent.queue else None
    return {
        "queue": agent.queue,
        "dispositions": list(queue.dispositions) if queue else [],
        "required": bool(queue and queue.disposition_required),
        "ends_at": state.timers.get((TimerKind.WRAP_UP, agent.id)),
    }


def _outbound(state: AcdState, agent: Agent, numbers: bool) -> Json | None:
    """The campaign contact this agent previews, waits for, or talks to (P25): the
    campaign's script and the contact's fields the campaign shows, nothing else."""
    dial = state.dials.get(agent.channel) if agent.channel else None
    found = (dial.campaign, dial.contact, False) if dial else None
    for previewing in state.campaigns.values() if found is None else ():
        contact = previewing.previews.get(agent.id)
        if contact is not None:
            found = (previewing.id, contact, True)
    if found is None:
        return None
    campaign, contact, preview = found
    live = state.campaigns.get(campaign)
    if live is None:
        return None
    shown = {
        name: contact.fields[name] for name in live.config.shown_fields if name in contact.fields
    }
    return {
        "campaign": live.id,
        "contact": contact.id,
        "number": number(contact.number, numbers),
        "fields": shown,
        "script": live.config.script,
        "preview": preview,
    }


def _current_call(state: AcdState, agent: Agent, now: Instant, numbers: bool) -> Json | None:
    if agent.call is None:
        return None
    progress = state.calls.get(agent.call)
    waiting = state.waiting.get(agent.channel) if agent.channel else None
    caller = progress.caller if progress else waiting.caller if waiting else ""
    return {
        "call_id": agent.call,
        "caller": number(caller, numbers),
        "queue": agent.queue,
        "waited_seconds": waited(state, agent.call, now),
        "consult": _consult(state, agent),
    }


def _consult(state: AcdState, agent: Agent) -> Json | None:
    """The consultation on this agent's call (P8), seen from either agent: who consults
    whom, and whether the consulted agent has answered (the transfer can complete)."""
    consult = state.consults.get(agent.channel) if agent.channel else None
    if consult is None:
        return None
    return {
        "by": consult.agent,
        "agent": consult.offer.agent,
        "answered": consult.talking,
    }


def waited(state: AcdState, call: CallId, now: Instant) -> float:
    """Time the call spent waiting in queues so far: closed visits plus the open one."""
    progress = state.calls.get(call)
    total = 0.0
    if progress is not None:
        total = sum(s.seconds for s in progress.segments if s.kind is SegmentKind.QUEUE)
    for entry in state.waiting:
        if entry.call == call:
            total += max(0.0, now - entry.queued_at)
    return seconds(total)


# Queues ---------------------------------------------------------------------------------


def queue_ids(state: AcdState) -> list[QueueId]:
    return sorted({*state.known_queues, *state.config.queues})


def queue_view(state: AcdState, queue: QueueId, now: Instant, *, numbers: bool) -> Json:
    """A queue's callers in serve order, its members by state and its open offers (C8)."""
    calls = state.waiting.in_queue(queue)
    offered = {o.channel: o.agent for o in state.offers.values()}
    return {
        "queue": queue,
        "name": state.config.queues[queue].name if queue in state.config.queues else "",
        "waiting": len(calls),
        "oldest_wait_seconds": seconds(max((now - c.entered_at for c in calls), default=0.0)),
        "calls": [
            {
                "position": position,
                "call_id": c.call,
                "caller": number(c.caller, numbers),
                "priority": c.priority,
                "entered_at": c.entered_at,
                "waited_seconds": seconds(now - c.entered_at),
                "offered_to": offered.get(c.channel),
            }
            for position, c in enumerate(calls, start=1)
        ],
        "agents": _members_by_state(state, queue),
        "offers": [
            {
                "call_id": o.call,
                "agent": o.agent,
                "offered_at": o.offered_at,
                "ringing_since": o.ring_started_at,
                "rings": o.rings(now),
                "ring_limit": o.ring_limit,
            }
            for o in sorted(state.offers.values(), key=lambda o: (o.offered_at, o.channel))
            if o.queue == queue
        ],
    }


def _members_by_state(state: AcdState, queue: QueueId) -> dict[str, list[AgentId]]:
    members = sorted(a.id for a in state.config.agents.values() if queue in a.queues)
    grouped: dict[str, list[AgentId]] = {s.value: [] for s in AgentState}
    for member in members:
        agent = state.agents.get(member)
        grouped[(agent.state if agent else AgentState.LOGGED_OUT).value].append(member)
    return grouped


# Configuration --------------------------------------------------------------------------


def queue_config_view(queue: QueueConfig) -> Json:
    return plain_object(queue)


def agent_profile_view(agent: AgentProfile) -> Json:
    return plain_object(agent)


def reason_view(reason: NotReadyReason) -> Json:
    return plain_object(reason)


def config_view(config: AcdConfig) -> Json:
    return {
        "queues": [queue_config_view(config.queues[q]) for q in sorted(config.queues)],
        "agents": [agent_profile_view(config.agents[a]) for a in sorted(config.agents)],
        "reasons": [reason_view(config.reasons[r]) for r in sorted(config.reasons)],
    }


# History --------------------------------------------------------------------------------


def call_record_view(record: CallRecord, *, numbers: bool) -> Json:
    """A stored call with its segments and its outcome (cti.domain.records rule 4)."""
    body = plain(record)
    assert isinstance(body, dict)
    return body | {"caller": number(record.caller, numbers), "outcome": record.outcome.value}


def call_detail_view(detail: CallDetail, *, numbers: bool) -> Json:
    return {
        "call": call_record_view(detail.record, numbers=numbers),
        "offers": plain(detail.offers),
    }


def took_part(detail: CallDetail, agent: AgentId) -> bool:
    """Whether the agent was offered, talked to or wrapped up the call."""
    segments = (s.agent for s in detail.record.segments)
    return agent in segments or any(o.agent == agent for o in detail.offers)


def summaries_view(calls: Iterable[CallSummary]) -> list[object]:
    return [plain(c) for c in calls]


def _optional_seconds(value: float | None) -> float | None:
    return None if value is None else seconds(value)


def queue_figures_view(figures: QueueFigures, since: Instant, until: Instant) -> Json:
    """A queue's figures (cti.storage.queue_figures) over [since, until)."""
    return {
        "queue": figures.queue,
        "since": since,
        "until": until,
        "service_level_seconds": figures.threshold,
        "offered": figures.offered,
        "answered": figures.answered,
        "abandoned": figures.abandoned,
        "by_outcome": {outcome.value: n for outcome, n in figures.visits.items()},
        "answered_within": figures.answered_within,
        "service_level": figures.service_level,
        "abandon_rate": figures.abandon_rate,
        "asa_seconds": _optional_seconds(figures.asa_seconds),
        "handled": figures.wrap_ups,
        "talk_seconds": seconds(figures.talk_seconds),
        "hold_seconds": seconds(figures.hold_seconds),
        "wrap_up_seconds": seconds(figures.wrap_up_seconds),
        "aht_seconds": _optional_seconds(figures.aht_seconds),
    }


def figures_view(agent: AgentId, since: Instant, until: Instant, found: list[AgentFigures]) -> Json:
    figures = found[0] if found else AgentFigures(agent=agent)
    body = plain(figures)
    assert isinstance(body, dict)
    return body | {"since": since, "until": until}
