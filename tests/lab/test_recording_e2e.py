"""Call recording end to end (issue 16, P11, P22), against the lab: a recorded queue's
call is recorded by Asterisk's MixMonitor, one file per agent who answered, each as long
as that agent's talk segment, with the caller's audio in it; a blind transfer closes the
first agent's file and opens the next one's; on a nailed-up line the file is made on the
caller's side and closed by the transfer too (dialplan contract v10); a queue that does
not record writes nothing. The files are read through the API (audited) and on disk."""

from __future__ import annotations

import array
import asyncio
import math
import wave
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cti.lab.instance import LabInstance
from cti.lab.sipp import Softphone, place_call
from cti.lab.sound import beeps
from tests.lab.scenarios import phones, start
from tests.lab.server import EventTap, ServerProcess, eventually

pytestmark = pytest.mark.lab
TONE = beeps(beep_s=1.0, every_s=1.0, level=0.3)  # a caller who never stops talking
SLACK_S = 0.35  # a file against its talk segment: MixMonitor starts and stops in the dialplan


def yaml(line: str = "ring") -> str:
    return (
        "queues:\n"
        f"  - id: support\n    record: true\n    agent_line: {line}\n    max_wrap_up: 1\n"
        "  - id: sales\n    record: true\n    max_wrap_up: 1\n"
        "  - id: quiet\n    max_wrap_up: 1\n"
        "agents:\n"
        '  - id: "1001"\n    pin: "1234"\n    queues: {support: 0, quiet: 0}\n'
        '  - id: "1002"\n    pin: "1234"\n    queues: {sales: 0}\n'
    )


async def recordings(server: ServerProcess, call: str) -> list[dict[str, Any]]:
    status, body = await server.get(f"/api/v1/recordings?call={call}")
    assert status == 200, body
    return list(body["recordings"])


def loudness(path: Path) -> float:
    """The RMS of the file's samples, 0-1 of full scale."""
    with wave.open(str(path), "rb") as audio:
        assert (audio.getframerate(), audio.getsampwidth()) == (8000, 2)
        samples = array.array("h", audio.readframes(audio.getnframes()))
    return math.sqrt(sum(s * s for s in samples) / max(len(samples), 1)) / 32768


async def transferred_call(
    lab: LabInstance, server: ServerProcess, tap: EventTap, first: str, *, wait: float = 0.0
) -> dict[str, Any]:
    """A caller talking (a tone) to 1001 (logged in, `first` its token) in support,
    blind-transferred after ~2 s to sales, where 1002 (logged in `wait` seconds after the
    transfer, the caller waiting in sales meanwhile) answers; the call's record."""
    call = place_call(lab, "support", "5557001", hangup_after_ms=12_000, media=True, sound=TONE)
    await tap.wait(lambda t: any(o["outcome"] == "answered" for o in t.offers()), within=15,
                   what="1001 answers")  # fmt: skip
    await asyncio.sleep(2.0)  # a talk long enough to measure
    await server.post("/api/v1/agents/1001/transfer", {"queue": "sales"}, token=first)
    await asyncio.sleep(wait)
    await server.log_in("1002")
    await tap.wait(lambda t: len(t.calls()) == 1, within=25, what="the call record")
    assert await call.wait(within_s=15) == 0
    [record] = tap.calls()
    return record


async def check_files(
    lab: LabInstance, server: ServerProcess, record: dict[str, Any]
) -> list[dict[str, Any]]:
    """One recording per talk segment, each file as long as its segment and not silent."""
    talks = [s for s in record["segments"] if s["kind"] == "talk"]
    assert [(s["agent"], s["queue"]) for s in talks] == [("1001", "support"), ("1002", "sales")]

    async def both() -> bool:
        found = await recordings(server, record["call"])
        return len(found) == 2 and all(r["available"] for r in found)

    await eventually(both, within=15, what="two recordings, their files there")
    found = await recordings(server, record["call"])
    assert [(r["agent"], r["queue"]) for r in found] == [("1001", "support"), ("1002", "sales")]
    monitor = lab.home / "spool" / "monitor"
    for talk, made in zip(talks, found, strict=True):
        assert made["started_at"] == pytest.approx(talk["start"], abs=0.05), (talk, made)
        assert made["seconds"] == pytest.approx(talk["end"] - talk["start"], abs=SLACK_S), (
            talk,
            made,
        )
        assert loudness(monitor / made["file"]) > 0.05, made  # the caller's tone is in it
    return found


async def test_a_transferred_call_is_recorded_once_per_agent_and_read_back_audited(
    lab: LabInstance, server: ServerProcess
) -> None:
    tap = await start(server, yaml())
    async with tap, phones(Softphone(lab, "1001", "answer"), Softphone(lab, "1002", "answer")):
        first = await server.log_in("1001")
        record = await transferred_call(lab, server, tap, first)
        found = await check_files(lab, server, record)

        monitor = lab.home / "spool" / "monitor"
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{server.url}{found[0]['audio']}",
                headers={"Authorization": f"Bearer {server.token}"},
            ) as played,
        ):
            assert (played.status, played.content_type) == (200, "audio/wav")
            assert await played.read() == (monitor / found[0]["file"]).read_bytes()
        audit = server.log.read_text()
        assert f"played recording {found[0]['id']} (call {record['call']}, agent 1001)" in audit

        # A queue that does not record: nothing listed, no file written.
        before = sorted(p.name for p in monitor.rglob("*.wav"))
        quiet = place_call(lab, "quiet", "5557002", hangup_after_ms=2500, media=True, sound=TONE)
        await tap.wait(lambda t: len(t.calls()) == 2, within=25, what="the quiet queue's call")
        assert await quiet.wait(within_s=15) == 0
        assert await recordings(server, tap.calls()[1]["call"]) == []
        assert sorted(p.name for p in monitor.rglob("*.wav")) == before


async def test_a_nailed_up_line_records_the_callers_side_and_a_transfer_closes_it(
    lab: LabInstance, server: ServerProcess
) -> None:
    tap = await start(server, yaml(line="nailed"))
    async with tap, phones(Softphone(lab, "1001", "answer"), Softphone(lab, "1002", "answer")):

        async def line_up() -> bool:
            return await server.metric("cti_agent_lines", phase="up") == 1.0

        first = await server.log_in("1001")
        await eventually(line_up, within=15, what="1001's line up")
        # The caller waits in sales after the transfer: its recording (on its own
        # channel) must end at the transfer, not run on while it waits.
        record = await transferred_call(lab, server, tap, first, wait=3.0)
        await check_files(lab, server, record)
        assert await server.metric("cti_agent_lines", phase="up") == 1.0  # the line stays
