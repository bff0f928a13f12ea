"""An agent's nailed-up line as a value, and whose line is nailed (issue 18, C5). The
rules that keep lines are in cti/domain/nailed.py."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from cti.domain.config import AcdConfig, AgentLine, AgentProfile
from cti.domain.ids import AgentId, ChannelId, DeviceId, Instant

STRENGTH: Final = (AgentLine.NAILED, AgentLine.AUTO_ANSWER)  # the queues' setting: first found


class LinePhase(StrEnum):
    CALLING = "calling"  # the phone rings for its line
    UP = "up"  # answered, waiting for a caller
    IN_CALL = "in_call"  # carrying an offer or a talk
    DOWN = "down"  # failed: called again at `retry_at`, or never (rule 4's fallback)
    ENDING = "ending"  # hung up by the core, its Hangup not seen yet


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    agent: AgentId
    channel: ChannelId
    device: DeviceId
    phase: LinePhase
    since: Instant
    failures: int = 0  # in a row (rule 4)
    retry_at: Instant | None = None  # DOWN: when to call again; None: rung instead

    @property
    def waiting(self) -> bool:
        return self.phase is LinePhase.UP


def line_of(profile: AgentProfile, config: AcdConfig) -> AgentLine:
    """The agent's own setting, else the strongest of its queues' (rule 1)."""
    if profile.line is not None:
        return profile.line
    lines = {config.queue(q).agent_line for q in profile.queues}
    return next((line for line in STRENGTH if line in lines), AgentLine.RING)


_cache: tuple[AcdConfig, frozenset[AgentId]] | None = None


def nailed_agents(config: AcdConfig) -> frozenset[AgentId]:
    """The agents whose line is nailed; remembered for the last configuration seen, since
    it is asked after every input."""
    global _cache
    if _cache is None or _cache[0] is not config:
        found = frozenset(
            a for a, p in config.agents.items() if line_of(p, config) is AgentLine.NAILED
        )
        _cache = (config, found)
    return _cache[1]
