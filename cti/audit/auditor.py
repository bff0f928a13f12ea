"""The auditor: judges the rules of the rulebook that are judged over records (issue 16:
attendance, P4, away from the seat, P5, handovers, P12, the monitoring quota, P11) live
and over any past period,
and hands the core each new finding once.

Rule 1: live, every `interval` seconds, the duties that started within `lookback` of now
are judged against the stored login sessions and the logins going on now (the engine's
state); a finding appears within one interval of the fact that makes it (a login after
the grace, the absent threshold passing, a duty's end).
Rule 2: `audit(since, until)` judges the duties that started in any past period the same
way, and the weeks that started in it and ended (the monitoring quota, P11, judged live
once the week is over): re-evaluating a period gives the same findings, and only those
not raised before are raised (their key, (rule, agent, at), is neither stored nor raised
by this process).
Rule 3: a finding is raised through the engine (RaiseFindings), so it is stored, counted
in cti_findings_total and sent to supervisors like the core's own.
Rule 4: a round that fails (the store or the engine did not answer) is logged and the
next one tries again; every await is bounded (the stores' timeouts, the engine's).
Rule 5: what is going on is read from the engine's state first, then the auditor waits
until every record the engine had handed to history by then is committed (`settle`),
then reads the store: a login or not-ready spell that ended just before is in one or the
other, never in neither (history is batched; a session missing for that second would
make an agent who was there absent). History not committed within `settle`'s bound
fails the round (rule 4) rather than judge without it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import tzinfo
from typing import Final

from cti.domain.commands import RaiseFindings
from cti.domain.compliance import attendance, away, handover
from cti.domain.compliance.adherence import GRACE, TARGET, Adherence, StateSpan, adherence
from cti.domain.compliance.audit import Audit
from cti.domain.compliance.rulebook import RULEBOOK, Source
from cti.domain.compliance.schedule import LONGEST, duties
from cti.domain.ids import AgentId, Instant
from cti.domain.monitoring_quota import quotas, shortfalls, week_of
from cti.domain.records import AgentState, Finding, Rule
from cti.domain.state import AcdState
from cti.domain.today import day_of
from cti.engine.engine import EngineBusy
from cti.storage.compliance_store import ComplianceStore
from cti.storage.queries import HistoryQueries

logger = logging.getLogger(__name__)

INTERVAL: Final = 15.0  # seconds between live rounds (rule 1)
LOOKBACK: Final = 2 * 86400.0  # duties started this long ago are still judged live
JUDGED: Final = tuple(r for r, spec in RULEBOOK.items() if spec.source is Source.RECORDS)
REACH: Final = LONGEST + 3600  # a duty's activity ends at most this long after it starts

Key = tuple[Rule, AgentId, Instant]


class Auditor:
    def __init__(
        self,
        *,
        execute: Callable[[RaiseFindings], Awaitable[object]],
        state: Callable[[], AcdState],
        compliance: ComplianceStore,
        history: HistoryQueries,
        now: Callable[[], Instant],
        zone: tzinfo,
        interval: float = INTERVAL,
        target: float = TARGET,
        grace: float = GRACE,
        settle: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._execute = execute
        self._state = state
        self._compliance = compliance
        self._history = history
        self._now = now
        self._zone = zone
        self._interval = interval
        self._target, self._grace = target, grace
        self._settle = settle
        self._raised: set[Key] = set()
        self.adherence_today: dict[AgentId, Adherence] = {}
        self._quota_judged: Instant | None = None
        self.rounds = 0
        self.failed_rounds = 0

    async def run(self) -> None:
        while True:
            try:
                now = self._now()
                await self.audit(Instant(now - LOOKBACK), Instant(now + 1))
                await self._today()
                await self._last_week()
                self.rounds += 1
            except (OSError, TimeoutError, EngineBusy) as exc:
                self.failed_rounds += 1
                logger.warning("compliance round failed: %s; the next one tries again", exc)
            await asyncio.sleep(self._interval)

    async def audit(self, since: Instant, until: Instant) -> Audit:
        """Rule 2: the duties and the ended weeks (P11) that started in [since, until),
        judged as of now."""
        found = await self._duties(since, until)
        weekly = await self.quota_weeks(since, until)
        return replace(found, found=found.found + weekly, raised=found.raised + weekly)

    async def _duties(self, since: Instant, until: Instant) -> Audit:
        now, live = self._now(), await self._settled()
        planned = await self._compliance.schedule(Instant(since - REACH), Instant(until + REACH))
        judged = [d for d in duties(planned) if since <= d.start < until]
        if not judged:
            return Audit(duties=0, found=0, raised=0)
        mine = [a for d in judged for a in d.activities]
        # P12: handovers whose outgoing activity is the period's (its successor's may not be)
        changes = [h for h in handover.handovers(planned) if h.outgoing in mine]
        first = min(d.start for d in judged)
        last = Instant(max([d.end for d in judged] + [h.successor.end for h in changes]) + 1)
        stored = await self._history.sessions_overlapping(first, last)
        sessions = [attendance.Session(agent=s.agent, start=s.start, end=s.end) for s in stored]
        sessions += _live_sessions(live)
        spells = await self._spells(first, last, live)
        settings, teams = await self._compliance.rule_settings(), self._teams()
        found = attendance.judge(judged, sessions, settings, now, self._zone, teams)
        found += away.judge(mine, sessions, spells, settings, now, self._zone, teams)
        found += handover.judge(changes, sessions, settings, now, self._zone, teams)
        known = await self._history.finding_keys(JUDGED, first, last)
        new = [f for f in found if _key(f) not in known and _key(f) not in self._raised]
        if new:
            await self._execute(RaiseFindings(at=now, findings=tuple(new)))
            self._raised.update(map(_key, new))
        return Audit(duties=len(judged), found=len(found), raised=len(new))

    async def quota_weeks(self, since: Instant, until: Instant) -> int:
        """P11 (monitoring_quota.py rule 5): the weeks that started in [since, until) and
        have ended, judged; returns how many findings were new."""
        now, raised = self._now(), 0
        start, end = week_of(since, self._zone)
        if start < since:  # the week holding `since` started before it: the next one
            start, end = week_of(end, self._zone)
        while start < until and end <= now:
            raised += await self._quota_week(start, end)
            start, end = week_of(end, self._zone)
        return raised

    async def _quota_week(self, start: Instant, end: Instant) -> int:
        worked = {s.agent for s in await self._history.sessions_overlapping(start, end)}
        worked |= {a.id for a in self._state().agents.values() if a.logged_in_at < end}
        monitored = await self._history.monitored(start, end)
        evaluated = [(e.agent, e.call) for e in await self._compliance.evaluations(start, end)]
        settings = await self._compliance.rule_settings()
        found = quotas(monitored, self._state().config.agents, evaluated=evaluated)
        teams = self._teams()
        short = shortfalls(
            found,
            worked,
            start,
            lambda a: settings.value(Rule.MONITORING_QUOTA, "calls", a, teams.get(a, "")),
        )
        known = await self._history.finding_keys(
            (Rule.MONITORING_QUOTA,), start, Instant(start + 1)
        )
        new = [f for f in short if _key(f) not in known and _key(f) not in self._raised]
        if new:
            await self._execute(RaiseFindings(at=self._now(), findings=tuple(new)))
            self._raised.update(map(_key, new))
        return len(new)

    async def _last_week(self) -> None:
        """The week before this one, judged once it ended (once per process and week)."""
        this_week, _ = week_of(self._now(), self._zone)
        last_week, _ = week_of(Instant(this_week - 1), self._zone)
        if self._quota_judged != last_week:
            await self.quota_weeks(last_week, this_week)
            self._quota_judged = last_week

    async def adherence(self, since: Instant, until: Instant) -> list[Adherence]:
        """P14: every scheduled agent's adherence in [since, until) so far (adherence.py)."""
        now, live = self._now(), await self._settled()
        planned = await self._compliance.schedule(since, until)
        stored = await self._history.intervals_overlapping(since, until)
        spans = [StateSpan(agent=i.agent, state=i.state, start=i.start, end=i.end) for i in stored]
        spans += [StateSpan(agent=a.id, state=a.state, start=a.since) for a in live.agents.values()]
        return adherence(planned, spans, since, until, now, grace=self._grace, target=self._target)

    async def _today(self) -> None:
        """The adherence of the centre's today so far, for cti_agent_adherence_ratio."""
        today = day_of(self._now(), self._zone)
        found = await self.adherence(today.start, today.end)
        self.adherence_today = {a.agent: a for a in found}

    async def _spells(self, since: Instant, until: Instant, state: AcdState) -> list[away.Spell]:
        """Not-ready spells, stored and going on, each with whether it was an approved break."""
        stored = await self._history.not_ready_overlapping(since, until)
        spells = [
            away.Spell(
                agent=i.agent,
                start=i.start,
                end=i.end,
                reason=i.reason or "",
                approved=bool(i.approved_by),
            )
            for i in stored
        ]
        for agent in state.agents.values():
            if agent.state is AgentState.NOT_READY:
                request = state.breaks.get(agent.id)
                approved = request is not None and request.covers(agent)
                spells.append(
                    away.Spell(
                        agent=agent.id,
                        start=agent.since,
                        end=None,
                        reason=agent.reason or "",
                        approved=approved,
                    )
                )
        return spells

    def _teams(self) -> dict[AgentId, str]:
        """Each configured agent's team, for parameters set per team (rulebook rule 3)."""
        agents = self._state().config.agents.values()
        return {a.id: a.team for a in agents if a.team}

    async def _settled(self) -> AcdState:
        """Rule 5: the engine's state now, once history has every record handed over by then."""
        state = self._state()
        if self._settle is not None and not await self._settle():
            raise TimeoutError("history not yet written to the store; judged next round")
        return state


def _live_sessions(state: AcdState) -> list[attendance.Session]:
    return [
        attendance.Session(agent=agent.id, start=agent.logged_in_at)
        for agent in state.agents.values()
    ]


def _key(finding: Finding) -> Key:
    return (finding.rule, finding.agent, finding.at)
