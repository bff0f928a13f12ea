"""ComplianceStore: agents' schedules, rule parameters and acknowledgements of findings in
the database (issue 16).

Rule 1 (schedules): a schedule is replaced a period at a time: `replace_schedule(rows,
since, until)` deletes every activity starting in [since, until) and stores the rows, in
one transaction; every row must start in the period, and the rows are checked
(cti.domain.compliance.schedule rule 4) against each other and against the activities kept
outside the period. A fault names its row and nothing is changed.
Rule 2 (parameters): one row per (rule, param, scope, target), replaced when set again;
each is checked by the rulebook before it is stored, and read back checked.
Rule 3 (acknowledgements): a finding is acknowledged once, with a note; the finding row
stays as recorded. Acknowledging one that does not exist is ConfigNotFound, one already
acknowledged ConfigConflict.
Rule 4 (handover notes, P12): the outgoing agent of a handover writes a note for its
successor there; the successor acknowledges it once (the same errors as rule 3).
Rule 5 (QA, P11): an evaluation scores one agent on one call; several may be made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, RowMapping, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from cti.domain.compliance.rulebook import Override, RuleSettings, Scope, check_override, checked
from cti.domain.compliance.schedule import LONGEST, Activity, ScheduleError, check
from cti.domain.ids import AgentId, CallId, Instant
from cti.domain.records import Rule
from cti.storage.client import StoreClient
from cti.storage.errors import ConfigConflict, ConfigNotFound
from cti.storage.models import (
    FindingAckRow,
    FindingRow,
    HandoverNoteRow,
    QaEvaluationRow,
    RuleOverrideRow,
    ScheduleActivityRow,
)
from cti.storage.rows import instant, utc, value

ACTIVITIES = ScheduleActivityRow.__table__
OVERRIDES = RuleOverrideRow.__table__
ACKS = FindingAckRow.__table__
NOTES = HandoverNoteRow.__table__
EVALS = QaEvaluationRow.__table__


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoverNote:
    id: int
    position: str
    author: AgentId
    successor: AgentId
    handover_at: Instant
    written_at: Instant
    text: str
    acknowledged_at: Instant | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    id: int
    call: CallId
    agent: AgentId
    evaluator: str
    score: float
    note: str
    at: Instant


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack:
    finding: int
    by: str
    at: Instant
    note: str


class ComplianceStore(StoreClient):
    async def evaluate(
        self, call: CallId, agent: AgentId, evaluator: str, score: float, note: str
    ) -> Evaluation:
        """Rule 5: a QA evaluation of `agent` on `call`."""
        stamp = self._now()
        row = {"call_id": call, "agent_id": agent, "evaluator": evaluator, "score": score,
               "note": note, "evaluated_at": stamp}  # fmt: skip
        async with self._writing() as connection:
            found = await connection.execute(insert(QaEvaluationRow).returning(EVALS.c.id), row)
            ident = int(found.scalar_one())
        return Evaluation(id=ident, call=call, agent=agent, evaluator=evaluator, score=score,
                          note=note, at=Instant(stamp.timestamp()))  # fmt: skip

    async def evaluations(
        self, since: Instant, until: Instant, agent: AgentId | None = None
    ) -> list[Evaluation]:
        """Evaluations made in [since, until), of `agent` if given, oldest first."""
        where = [EVALS.c.evaluated_at >= utc(since), EVALS.c.evaluated_at < utc(until)]
        if agent is not None:
            where.append(EVALS.c.agent_id == agent)
        query = select(EVALS).where(*where).order_by(EVALS.c.evaluated_at, EVALS.c.id)
        async with self._reading() as connection:
            found = (await connection.execute(query)).mappings().all()
        return [
            Evaluation(
                id=value(r, "id", int),
                call=CallId(value(r, "call_id", str)),
                agent=AgentId(value(r, "agent_id", str)),
                evaluator=value(r, "evaluator", str),
                score=value(r, "score", float),
                note=value(r, "note", str),
                at=instant(r, "evaluated_at"),
            )
            for r in found
        ]

    async def write_note(
        self, position: str, author: AgentId, successor: AgentId, handover_at: Instant, text: str
    ) -> HandoverNote:
        """Rule 4: a note for the successor of a handover."""
        row = {
            "position": position,
            "author": author,
            "successor": successor,
            "handover_at": utc(handover_at),
            "written_at": self._now(),
            "text": text,
            "acknowledged_at": None,
        }
        async with self._writing() as connection:
            found = await connection.execute(insert(HandoverNoteRow).returning(NOTES.c.id), row)
            note_id = int(found.scalar_one())
        return await self._note(note_id)

    async def notes(
        self, since: Instant, until: Instant, agent: AgentId | None = None
    ) -> list[HandoverNote]:
        """Notes written in [since, until), by or for `agent` if given, oldest first."""
        where = [NOTES.c.written_at >= utc(since), NOTES.c.written_at < utc(until)]
        if agent is not None:
            where.append(or_(NOTES.c.author == agent, NOTES.c.successor == agent))
        query = select(NOTES).where(*where).order_by(NOTES.c.written_at, NOTES.c.id)
        async with self._reading() as connection:
            return [_note(row) for row in (await connection.execute(query)).mappings()]

    async def note(self, note_id: int) -> HandoverNote | None:
        async with self._reading() as connection:
            found = await connection.execute(select(NOTES).where(NOTES.c.id == note_id))
            row = found.mappings().first()
        return None if row is None else _note(row)

    async def _note(self, note_id: int) -> HandoverNote:
        found = await self.note(note_id)
        if found is None:
            raise ConfigNotFound(f"handover note {note_id} does not exist")
        return found

    async def acknowledge_note(self, note_id: int) -> HandoverNote:
        """Rule 4: once; ConfigNotFound or ConfigConflict otherwise."""
        async with self._writing() as connection:
            done = await connection.execute(
                update(HandoverNoteRow)
                .where(NOTES.c.id == note_id, NOTES.c.acknowledged_at.is_(None))
                .values(acknowledged_at=self._now())
            )
        if not done.rowcount:
            await self._note(note_id)  # not found: ConfigNotFound
            raise ConfigConflict(f"handover note {note_id} is already acknowledged")
        return await self._note(note_id)

    async def schedule(
        self, since: Instant, until: Instant, agent: AgentId | None = None
    ) -> list[Activity]:
        """Activities overlapping [since, until), by agent then start."""
        where = [ACTIVITIES.c.start_at < utc(until), ACTIVITIES.c.end_at > utc(since)]
        if agent is not None:
            where.append(ACTIVITIES.c.agent_id == agent)
        query = (
            select(ACTIVITIES).where(*where).order_by(ACTIVITIES.c.agent_id, ACTIVITIES.c.start_at)
        )
        async with self._reading() as connection:
            return [_activity(row) for row in (await connection.execute(query)).mappings()]

    async def replace_schedule(
        self,
        rows: Sequence[Activity],
        since: Instant,
        until: Instant,
        agents: Iterable[AgentId],
        by: str,
    ) -> int:
        """Rule 1: the period's activities are now `rows`; returns how many were removed."""
        if not until > since:
            raise ScheduleError("the period ends before it starts", 0, "until")
        for row, found in enumerate(rows, 1):
            if not since <= found.start < until:
                raise ScheduleError("it starts outside the period replaced", row, "start")
        stamp = self._now()
        async with self._writing() as connection:
            reach = utc(until) + timedelta(seconds=LONGEST + 3600)  # the latest a row can end
            outside = [  # kept activities a row of the period may overlap
                ACTIVITIES.c.end_at > utc(since),
                ACTIVITIES.c.start_at < reach,
                or_(ACTIVITIES.c.start_at < utc(since), ACTIVITIES.c.start_at >= utc(until)),
            ]
            near = await connection.execute(select(ACTIVITIES).where(*outside))
            kept = [_activity(row) for row in near.mappings()]
            check(rows, agents, kept)
            inside = and_(ACTIVITIES.c.start_at >= utc(since), ACTIVITIES.c.start_at < utc(until))
            removed = (await connection.execute(delete(ScheduleActivityRow).where(inside))).rowcount
            if rows:
                await connection.execute(
                    insert(ScheduleActivityRow),
                    [
                        {
                            "agent_id": a.agent,
                            "start_at": utc(a.start),
                            "end_at": utc(a.end),
                            "activity": a.activity,
                            "position": a.position,
                            "set_by": by,
                            "set_at": stamp,
                        }
                        for a in rows
                    ],
                )
        return int(removed or 0)

    async def rule_settings(self) -> RuleSettings:
        async with self._reading() as connection:
            found = (await connection.execute(select(OVERRIDES))).mappings().all()
        return checked(
            Override(
                rule=Rule(value(row, "rule", str)),
                param=value(row, "param", str),
                scope=Scope(value(row, "scope", str)),
                target=value(row, "target", str),
                value=value(row, "value", float),
            )
            for row in found
        )

    async def set_override(self, override: Override, by: str) -> None:
        """Rule 2."""
        check_override(override)
        async with self._writing() as connection:
            await connection.execute(delete(RuleOverrideRow).where(*_override_key(override)))
            await connection.execute(
                insert(RuleOverrideRow),
                {
                    "rule": override.rule.value,
                    "param": override.param,
                    "scope": override.scope.value,
                    "target": override.target,
                    "value": override.value,
                    "set_by": by,
                    "set_at": self._now(),
                },
            )

    async def clear_override(self, override: Override) -> bool:
        """The parameter back to the next scope's value; False when it was not set."""
        async with self._writing() as connection:
            done = await connection.execute(delete(RuleOverrideRow).where(*_override_key(override)))
        return bool(done.rowcount)

    async def acknowledge(self, finding: int, by: str, note: str) -> Ack:
        """Rule 3."""
        stamp = self._now()
        try:
            async with self._writing() as connection:
                exists = await connection.execute(
                    select(FindingRow.id).where(FindingRow.id == finding)
                )
                if exists.first() is None:
                    raise ConfigNotFound(f"finding {finding} does not exist")
                row = {"finding_id": finding, "acknowledged_by": by, "acknowledged_at": stamp}
                await connection.execute(insert(FindingAckRow), {**row, "note": note})
        except IntegrityError:
            raise ConfigConflict(f"finding {finding} is already acknowledged") from None
        return Ack(finding=finding, by=by, at=Instant(stamp.timestamp()), note=note)

    async def acks(self, findings: Iterable[int]) -> dict[int, Ack]:
        wanted = list(findings)
        if not wanted:
            return {}
        query = select(ACKS).where(ACKS.c.finding_id.in_(wanted))
        async with self._reading() as connection:
            found = (await connection.execute(query)).mappings().all()
        return {
            value(row, "finding_id", int): Ack(
                finding=value(row, "finding_id", int),
                by=value(row, "acknowledged_by", str),
                at=instant(row, "acknowledged_at"),
                note=value(row, "note", str),
            )
            for row in found
        }


def _note(row: RowMapping) -> HandoverNote:
    acked = row["acknowledged_at"]
    return HandoverNote(
        id=value(row, "id", int),
        position=value(row, "position", str),
        author=AgentId(value(row, "author", str)),
        successor=AgentId(value(row, "successor", str)),
        handover_at=instant(row, "handover_at"),
        written_at=instant(row, "written_at"),
        text=value(row, "text", str),
        acknowledged_at=None if acked is None else instant(row, "acknowledged_at"),
    )


def _override_key(override: Override) -> list[ColumnElement[bool]]:
    c = OVERRIDES.c
    return [
        c.rule == override.rule.value,
        c.param == override.param,
        c.scope == override.scope.value,
        c.target == override.target,
    ]


def _activity(row: RowMapping) -> Activity:
    return Activity(
        agent=AgentId(value(row, "agent_id", str)),
        start=instant(row, "start_at"),
        end=instant(row, "end_at"),
        activity=value(row, "activity", str),
        position=value(row, "position", str),
    )
