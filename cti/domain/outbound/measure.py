"""Measurements: talk and wrap-up of a campaign's agents feed its pacing statistics.

Rule 1: an agent's ON_CALL interval is remembered as its last talk; the WRAP_UP interval
that follows completes one call (talk + wrap-up) in the statistics of every running
campaign whose queue the agent serves (cti/domain/outbound/pacing_stats.py).
"""

from __future__ import annotations

from dataclasses import replace

from cti.domain.effects import StateIntervalEnded
from cti.domain.ids import AgentId
from cti.domain.outbound.dial import LiveCampaign
from cti.domain.pmap import drop, put
from cti.domain.records import AgentState
from cti.domain.work import Work


def observe(work: Work) -> None:
    """Rule 1, over the intervals this decision ended."""
    if not work.campaigns:
        return
    for effect in work.effects:
        if not isinstance(effect, StateIntervalEnded):
            continue
        interval = effect.interval
        if interval.state not in (AgentState.ON_CALL, AgentState.WRAP_UP):
            continue
        profile = work.config.agents.get(interval.agent)
        if profile is None:
            continue
        seconds = interval.end - interval.start
        for live in list(work.campaigns.values()):
            if live.config.queue in profile.queues:
                work.campaigns[live.id] = _measured(live, interval.agent, interval.state, seconds)


def _measured(
    live: LiveCampaign, agent: AgentId, state: AgentState, seconds: float
) -> LiveCampaign:
    if state is AgentState.ON_CALL:
        return replace(live, talked=put(live.talked, agent, seconds))
    talk = live.talked.get(agent)
    if talk is None:
        return live
    stats = live.stats.after_call(talk=talk, wrap_up=seconds)
    return replace(live, stats=stats, talked=drop(live.talked, agent))
