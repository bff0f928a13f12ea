"""End to end, durable attempts (issue 12, item 2; C5, P12): dial attempts are records of
the spooled history, so an outage of the database followed by a crash loses none of them.

A real PostgreSQL holds the server's store. Contacts are claimed, then PostgreSQL stops;
the attempts end while it is down (one connected call, abandoned calls, a busy number),
their records go to the spool file, and the server is SIGKILLed. PostgreSQL comes back,
the server restarts: every attempt is stored exactly once, and the abandon window the
pacer holds after the restart (rebuilt from stored attempts) counts exactly the calls that
were answered and abandoned before the crash, so the 3 % cap is spent on the truth.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cti.domain.outbound.campaign import AttemptResult
from cti.domain.outbound.contact import ContactStatus
from cti.lab.instance import LabInstance
from cti.lab.sipp import CustomerKind, Customers, Softphone, customer_number
from tests import waiting
from tests.lab.scenarios import (
    CAMPAIGN,
    admin_token,
    campaign_body,
    contact_of,
    history_written,
    outbound_yaml,
    phones,
    set_up_campaign,
    store_of,
)
from tests.lab.server import EventTap, ServerProcess, eventually
from tests.postgres import PostgresServer

pytestmark = pytest.mark.lab

LATER = {"delay": 3600, "max_attempts": 2}  # a retry the test never reaches
PERSON = frozenset({AttemptResult.CONNECTED, AttemptResult.ABANDONED})


@contextlib.asynccontextmanager
async def outage(postgres: PostgresServer) -> AsyncIterator[None]:
    """PostgreSQL stopped for the block, and running again after it whatever happened."""
    await asyncio.to_thread(postgres.stop)
    try:
        yield
    finally:
        await asyncio.to_thread(postgres.start)


async def attempts_counted(server: ServerProcess) -> dict[str, int]:
    """The server's own count of attempts ended (this process's lifetime), by result."""
    counted = {}
    for result in AttemptResult:
        value = await server.metric("cti_campaign_attempts_total", campaign=CAMPAIGN, result=result)
        if value:
            counted[result.value] = int(value)
    return counted


async def window(server: ServerProcess) -> tuple[float | None, float | None]:
    """The abandon window the core's pacer holds now: (answered, abandoned)."""
    return (
        await server.metric("cti_campaign_window_answered", campaign=CAMPAIGN),
        await server.metric("cti_campaign_window_abandoned", campaign=CAMPAIGN),
    )


async def all_spooled(server: ServerProcess) -> bool:
    """Every record not committed is in the spool file (none only in memory)."""
    pending = await server.metric("cti_history_records_pending") or 0
    return pending > 0 and await server.metric("cti_history_records_spooled_total") == pending


async def test_attempts_ended_while_the_database_is_down_survive_a_kill(
    lab: LabInstance, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    await asyncio.to_thread(lab.cli, "channel request hangup all")
    database = postgres_server.create_database()
    server = ServerProcess(lab, tmp_path, database_url=postgres_server.url(database))
    # 1001 talks 4 s and hangs up; 1002's phone rings unanswered, so the customer it was
    # dialled for is abandoned 2 s after answering (law: an agent within 2 s).
    kinds: list[tuple[CustomerKind, int]] = [
        ("busy", 1),
        ("answer_after_ring", 2),
        ("answer_after_ring", 3),
        ("answer_after_ring", 4),
    ]
    numbers = [customer_number(kind, serial) for kind, serial in kinds]
    body = campaign_body("progressive")
    body["retries"] = dict.fromkeys(["busy", "congestion", "failed", "abandoned"], LATER)
    body["retries"]["no_answer"] = LATER
    try:
        await server.configure(outbound_yaml(["1001", "1002"]))
        admin = await admin_token(server)
        await server.start()
        async with (
            Customers(lab),
            phones(
                Softphone(lab, "1001", "answer_hangup_first", talk_ms=4000),
                Softphone(lab, "1002", "no_answer"),
            ),
        ):
            await server.log_in("1001")
            await server.log_in("1002")
            await set_up_campaign(server, admin, body, numbers)

            async def all_claimed() -> bool:
                async with store_of(server) as store:
                    stored = [await store.contact(contact_of(n)) for n in numbers]
                return all(c is not None and c.claim > 0 for c in stored)

            await eventually(all_claimed, within=15, what="every contact claimed by the core")
            # The API asks the database for tokens; the event stream, open, goes on.
            async with server.events() as tap, outage(postgres_server):

                async def ended() -> bool:
                    return sum((await attempts_counted(server)).values()) == len(numbers)

                await eventually(ended, within=60, what="every contact dialled, every dial ended")
                settled = await waiting.eventually(
                    lambda: last_states(tap), within=15, what="both agents out of their calls"
                )
                await eventually(lambda: all_spooled(server), within=30, what="records spooled")
                happened = await attempts_counted(server)
                answered, abandoned = await window(server)
                await server.kill()  # SIGKILL: no clean stop, no last flush
            await server.start()  # PostgreSQL is back; the phones are still registered

            await eventually(
                lambda: history_written(server),
                within=30,
                what="the spool replayed into PostgreSQL",
            )
            async with store_of(server) as store:
                stored = {n: await store.attempts_of(contact_of(n)) for n in numbers}
                contacts = {n: await store.contact(contact_of(n)) for n in numbers}
            again = await eventually(lambda: _window_held(server), within=15, what="window rebuilt")
            restored = await eventually(
                lambda: presence(server), within=15, what="agents taken back"
            )
    finally:
        await server.kill()
        postgres_server.drop_database(database)

    results = [a.result for attempts in stored.values() for a in attempts]
    assert sorted(results) == sorted(r for r, n in happened.items() for _ in range(n)), stored
    assert all(len(attempts) == 1 for attempts in stored.values()), stored  # each once
    assert stored[numbers[0]][0].result is AttemptResult.BUSY
    assert happened.get(AttemptResult.ABANDONED, 0) >= 1, happened  # 1002 never answers
    assert happened.get(AttemptResult.CONNECTED, 0) >= 1, happened  # 1001 always does
    person = sum(1 for r in results if r in PERSON)
    lost = sum(1 for r in results if r is AttemptResult.ABANDONED)
    assert (answered, abandoned) == (person, lost), happened  # before the crash
    assert again == (person, lost), (again, happened)  # after it: the same window
    # Who is logged in and ready is what it was at the crash (C1).
    assert restored == settled, (restored, settled)
    for number, contact in contacts.items():  # every contact's update came with its attempt
        assert contact is not None and contact.attempts == 1, contact
        kind = kinds[numbers.index(number)][0]
        result = stored[number][0].result
        want = ContactStatus.DONE if result is AttemptResult.CONNECTED else ContactStatus.PENDING
        assert contact.status is want, (kind, result, contact)


AgentStates = dict[str, tuple[str, str | None]]


def _settled(seen: AgentStates) -> AgentStates | None:
    """Each agent's (state, reason) once neither is on a call or wrapping up; else None."""
    done = len(seen) == 2 and all(s in ("available", "not_ready") for s, _ in seen.values())
    return seen if done else None


def last_states(tap: EventTap) -> AgentStates | None:
    return _settled({e["agent"]: (e["state"], e["reason"]) for e in tap.of("agent_changed")})


async def presence(server: ServerProcess) -> AgentStates | None:
    seen = {}
    for agent in ("1001", "1002"):
        _, body = await server.get(f"/api/v1/agents/{agent}")
        seen[agent] = (body["agent"]["state"], body["agent"]["reason"])
    return _settled(seen)


async def _window_held(server: ServerProcess) -> tuple[float, float] | None:
    answered, abandoned = await window(server)
    if answered is None or abandoned is None:
        return None
    return answered, abandoned
