"""History records for storage tests: families of distinct records of every type.

Every instant is exact to the microsecond (what a timestamp column keeps), so a record
read back from SQL equals the one written.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory

from cti.domain.effects import Record
from cti.domain.ids import AgentId, CallId, ChannelId, DeviceId, Instant, QueueId
from cti.domain.recording import Recording, recording_file
from cti.domain.records import (
    AgentState,
    CallRecord,
    Finding,
    LoginEnd,
    LoginSession,
    OfferOutcome,
    OfferRecord,
    Presence,
    QueueVisit,
    Rule,
    Segment,
    SegmentKind,
    Side,
    StateInterval,
    VisitOutcome,
)
from cti.storage.database import MIGRATIONS

BASE = 1_700_000_000.123456
# The newest migration: what a database is upgraded to (read from the scripts, so that a new
# migration does not need every test that checks an upgrade changed).
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


def at(n: int, offset: float = 0.0) -> Instant:
    # round() gives the float nearest the decimal microsecond, as a timestamp column returns it.
    return Instant(round(BASE + n * 1.000001 + offset, 6))


def make_visit(n: int, *, queue: str = "sales") -> QueueVisit:
    """The n-th of a family of distinct visits."""
    return QueueVisit(
        call=CallId(f"call-{n}"),
        channel=ChannelId(f"1700000000.{n}"),
        queue=QueueId(queue),
        caller=f"+3361234{n:04d}",
        priority=n % 3,
        entered_at=at(n),
        left_at=at(n, 12.654321),
        outcome=VisitOutcome.CONNECTED if n % 2 else VisitOutcome.ABANDONED,
    )


def make_visits(count: int, *, start: int = 0, queue: str = "sales") -> list[QueueVisit]:
    return [make_visit(n, queue=queue) for n in range(start, start + count)]


def make_offer(
    n: int, *, agent: str = "1001", outcome: OfferOutcome = OfferOutcome.ANSWERED
) -> OfferRecord:
    return OfferRecord(
        call=CallId(f"call-{n}"),
        queue=QueueId("sales"),
        agent=AgentId(agent),
        device=DeviceId(f"PJSIP/{agent}"),
        offered_at=at(n, 1.5),
        ring_started_at=None if outcome is OfferOutcome.FAILED else at(n, 1.75),
        ended_at=at(n, 9.25),
        rings=2,
        outcome=outcome,
    )


def make_call(
    n: int,
    *,
    caller: str = "+33612340000",
    agents: tuple[str, ...] = ("1001",),
    survey: int | None = 4,
    queue: str = "sales",
) -> CallRecord:
    """An answered call: a queue segment, then a talk and a wrap-up per agent."""
    segments = [
        Segment(
            kind=SegmentKind.QUEUE,
            start=at(n),
            end=at(n, 10),
            queue=QueueId(queue),
            outcome=VisitOutcome.CONNECTED.value,
        )
    ]
    for i, agent in enumerate(agents):
        talk_start = at(n, 10 + i * 100)
        segments += [
            Segment(
                kind=SegmentKind.TALK,
                start=talk_start,
                end=at(n, 70 + i * 100),
                queue=QueueId(queue),
                agent=AgentId(agent),
                outcome="caller",
            ),
            Segment(
                kind=SegmentKind.WRAP_UP,
                start=at(n, 70 + i * 100),
                end=at(n, 85 + i * 100),
                agent=AgentId(agent),
                outcome="ended",
                disposition="sale",
            ),
        ]
    return CallRecord(
        call=CallId(f"call-{n}"),
        caller=caller,
        queue=QueueId(queue),
        entered_at=at(n),
        ended_at=at(n, 85 + (len(agents) - 1) * 100),
        segments=tuple(segments),
        offers=len(agents),
        answered=True,
        abandoned=False,
        abandon_wait=None,
        released_by=Side.CALLER,
        survey_score=survey,
        disposition="sale",
    )


def make_abandoned_call(n: int, *, caller: str = "+33612340000") -> CallRecord:
    return CallRecord(
        call=CallId(f"call-{n}"),
        caller=caller,
        queue=QueueId("support"),
        entered_at=at(n),
        ended_at=at(n, 33.000001),
        segments=(
            Segment(
                kind=SegmentKind.QUEUE,
                start=at(n),
                end=at(n, 33.000001),
                queue=QueueId("support"),
                outcome="abandoned",
            ),
        ),
        offers=0,
        answered=False,
        abandoned=True,
        abandon_wait=33.000001,
        released_by=None,
        survey_score=None,
        disposition=None,
    )


def make_interval(n: int, *, agent: str = "1001") -> StateInterval:
    not_ready = n % 2 == 0
    return StateInterval(
        agent=AgentId(agent),
        state=AgentState.NOT_READY if not_ready else AgentState.ON_CALL,
        reason="lunch" if not_ready else None,
        start=at(n),
        end=at(n, 0.999999),
        call=None if not_ready else CallId(f"call-{n}"),
    )


def make_session(n: int, *, agent: str = "1001") -> LoginSession:
    return LoginSession(
        agent=AgentId(agent),
        device=DeviceId(f"PJSIP/{agent}"),
        address=f"192.0.2.{n % 250}",
        start=at(n),
        end=at(n, 3600.5),
        ended=LoginEnd.TAKEN_OVER if n % 2 else LoginEnd.LOGGED_OUT,
        by="supervisor-1" if n % 2 else agent,
    )


def make_finding(n: int, *, agent: str = "1001", rule: Rule = Rule.RING_LIMIT) -> Finding:
    return Finding(
        rule=rule,
        agent=AgentId(agent),
        at=at(n),
        measured=18.5 + n,
        limit=18.0,
        call=CallId(f"call-{n}") if n % 2 else None,
        detail=f"rang {n} times",
    )


def make_presence(
    n: int, *, agent: str = "1001", ready: bool = True, reason: str | None = None
) -> Presence:
    """Agent logged in at at(n) on its own phone, as of at(n, 0.5) (a status change later)."""
    return Presence(
        agent=AgentId(agent),
        at=at(n, 0.5),
        device=DeviceId(f"PJSIP/{agent}"),
        address=f"192.0.2.{n % 250}",
        logged_in_at=at(n),
        ready=ready,
        reason=reason,
        reason_by="supervisor-1" if reason else agent,
    )


def make_logout(n: int, *, agent: str = "1001") -> Presence:
    return Presence(agent=AgentId(agent), at=at(n, 0.5))


def make_recording(n: int, *, agent: str = "1001") -> Recording:
    return Recording(
        file=recording_file(CallId(f"call-{n}"), at(n, 3.0)),
        call=CallId(f"call-{n}"),
        agent=AgentId(agent),
        queue=QueueId("sales"),
        started_at=at(n, 7.25),
    )


def one_of_each(n: int) -> list[Record]:
    """A mixed batch: one record of every type, all about call n."""
    return [
        make_visit(n),
        make_offer(n),
        make_call(n),
        make_interval(n),
        make_session(n),
        make_finding(n),
        make_presence(n),
        make_recording(n),
    ]
