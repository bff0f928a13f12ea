"""Spans of time as (start, end) pairs of seconds, and the sessions of agents, as the
compliance evaluators share them."""

from __future__ import annotations

from collections.abc import Iterable

from cti.domain.compliance.attendance import Session
from cti.domain.ids import AgentId

Span = tuple[float, float]


def merged(spans: Iterable[Span]) -> list[Span]:
    """The union of `spans`, in order: what touches or overlaps is one; empty ones go."""
    found: list[Span] = []
    for start, end in sorted(spans):
        if found and start <= found[-1][1]:
            found[-1] = (found[-1][0], max(found[-1][1], end))
        elif end > start:
            found.append((start, end))
    return found


def by_agent(sessions: Iterable[Session]) -> dict[AgentId, list[Session]]:
    found: dict[AgentId, list[Session]] = {}
    for session in sessions:
        found.setdefault(session.agent, []).append(session)
    return found
