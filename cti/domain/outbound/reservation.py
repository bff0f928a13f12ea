"""Reservations: an agent kept free for one outbound call (issue 4).

Rule 1: a progressive or preview dial reserves its agent (AVAILABLE -reserve-> RESERVED,
with the dial's channel as the agent's); the answered call is offered to that agent, and
to nobody else while the agent waits for it.
Rule 2: whether an agent waits for a dial is the agent's own state: RESERVED (or OFFERED
that very call) with the dial's channel. A dial only remembers whom it was made for, so
an agent released for any reason (its offer cancelled, the hold passed, a machine) is
free at once, and no two dials can hold one agent.
"""

from __future__ import annotations

from cti.domain.agent import Agent, Trigger
from cti.domain.ids import AgentId, ChannelId
from cti.domain.outbound.dial import Dial
from cti.domain.records import AgentState
from cti.domain.work import Work


def waiting_agent(work: Work, dial: Dial) -> Agent | None:
    """The agent reserved for this dial, while it still waits for it (rule 2)."""
    if dial.agent is None:
        return None
    agent = work.agents.get(dial.agent)
    if agent is None or agent.state is not AgentState.RESERVED or agent.channel != dial.channel:
        return None
    return agent


def release(work: Work, agent_id: AgentId | None, channel: ChannelId | None) -> None:
    """End a reservation that still waits for this dial (or, channel None, a preview)."""
    agent = work.agents.get(agent_id) if agent_id else None
    if agent is not None and agent.state is AgentState.RESERVED and agent.channel == channel:
        work.fire(agent, Trigger.RELEASE)
