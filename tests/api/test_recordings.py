"""Recordings through the API (issue 16, P11, P22): listed with their length from the real
file, played as audio/wav (ranges too), refused to agents, every reading audited; and
retention deleting what is past it, on a real SQLite database and real files."""

from __future__ import annotations

import logging
import os
import wave
from pathlib import Path

import pytest

from cti.domain.ids import AgentId, CallId, Instant, QueueId
from cti.domain.recording import Recording, recording_file
from cti.recordings.files import RecordingFiles
from cti.recordings.keeper import RetentionKeeper
from tests.api.harness import Api, bearer, running_api

DAY = 86400.0


def wav(directory: Path, file: str, seconds: float) -> bytes:
    """A WAV as MixMonitor writes it: 8 kHz, 16-bit, mono, a tone's worth of samples."""
    path = directory / file
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = int(8000 * seconds)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes((i * 37) % 256 for i in range(frames * 2)))
    return path.read_bytes()


def recording(call: str, at: float, agent: str = "1001") -> Recording:
    return Recording(
        file=recording_file(CallId(call), Instant(at - 4)),
        call=CallId(call),
        agent=AgentId(agent),
        queue=QueueId("support"),
        started_at=Instant(at),
    )


async def stored(api: Api, *recordings: Recording) -> None:
    await api.database.history().record(list(recordings))


async def test_recordings_are_listed_with_their_length_and_played_by_supervisors_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_api(tmp_path) as api:
        now = api.now()
        first, second = recording("c1", now - 60), recording("c2", now - 30, agent="1002")
        audio = wav(tmp_path / "monitor", first.file, 2.5)
        await stored(api, first, second)  # the second's file never came (a failed disk)

        with caplog.at_level(logging.INFO, logger="cti.audit"):
            status, answer = await api.call("GET", "/api/v1/recordings", api.supervisor)
            assert status == 200, answer
            one, two = answer["recordings"]
            assert (one["call"], one["agent"], one["queue"]) == ("c1", "1001", "support")
            assert (one["seconds"], one["available"], one["deleted_at"]) == (2.5, True, None)
            assert (two["call"], two["seconds"], two["available"]) == ("c2", None, False)
            assert answer["next"] is None

            async with api.client.get(one["audio"], headers=bearer(api.supervisor)) as played:
                assert (played.status, played.content_type) == (200, "audio/wav")
                assert await played.read() == audio
            ranged = {**bearer(api.supervisor), "Range": "bytes=44-99"}
            async with api.client.get(one["audio"], headers=ranged) as part:
                assert (part.status, await part.read()) == (206, audio[44:100])
        lines = [r.getMessage() for r in caplog.records if r.name == "cti.audit"]
        assert f"supervisor:sue listed 2 recordings: {one['id']},{two['id']}" in lines
        assert f"supervisor:sue played recording {one['id']} (call c1, agent 1001)" in lines

        status, answer = await api.call("GET", two["audio"], api.supervisor)
        assert (status, answer["error"]) == (404, f"the file of recording {two['id']} is missing")
        assert (await api.call("GET", "/api/v1/recordings/999/audio", api.admin))[0] == 404
        assert (await api.call("GET", "/api/v1/recordings/x1/audio", api.admin))[0] == 404
        agent = await api.log_in("1001")
        assert (await api.call("GET", "/api/v1/recordings", agent))[0] == 403
        assert (await api.call("GET", one["audio"], agent))[0] == 403

        status, mine = await api.call("GET", "/api/v1/recordings?agent=1002", api.admin)
        assert [r["call"] for r in mine["recordings"]] == ["c2"]
        status, paged = await api.call("GET", "/api/v1/recordings?limit=1", api.admin)
        assert [r["call"] for r in paged["recordings"]] == ["c1"] and paged["next"]
        status, rest = await api.call(
            "GET", f"/api/v1/recordings?limit=1&cursor={paged['next']}", api.admin
        )
        assert [r["call"] for r in rest["recordings"]] == ["c2"]
        status, answer = await api.call("GET", "/api/v1/recordings?colour=red", api.admin)
        assert status == 400, answer


async def test_retention_deletes_files_past_it_and_marks_them_and_spares_the_rest(
    tmp_path: Path,
) -> None:
    async with running_api(tmp_path) as api:
        monitor = tmp_path / "monitor"
        now = api.now()
        old, young = recording("c-old", now - 31 * DAY), recording("c-new", now - DAY)
        gone = recording("c-gone", now - 40 * DAY)  # its file is not there any more
        for kept in (old, young):
            wav(monitor, kept.file, 1.0)
        orphan = recording_file(CallId("c-orphan"), Instant(now - 35 * DAY))
        wav(monitor, orphan, 1.0)
        os.utime(monitor / orphan, (now - 35 * DAY, now - 35 * DAY))
        foreign = monitor / "other" / "pbx-own.wav"  # not the server's: never touched
        wav(monitor, "other/pbx-own.wav", 1.0)
        os.utime(foreign, (now - 400 * DAY, now - 400 * DAY))
        await stored(api, old, young, gone)
        keeper = RetentionKeeper(
            store=api.database.recordings(),
            files=RecordingFiles(monitor),
            retention_days=30,
            now=api.now,
        )

        assert await keeper.expire() == 2  # the old one's file and the orphan
        assert not (monitor / old.file).exists() and not (monitor / orphan).exists()
        assert (monitor / young.file).exists() and foreign.exists()
        _, answer = await api.call("GET", "/api/v1/recordings", api.supervisor)
        by_call = {r["call"]: r for r in answer["recordings"]}
        assert by_call["c-old"]["deleted_at"] is not None and not by_call["c-old"]["available"]
        assert by_call["c-gone"]["deleted_at"] is not None
        assert by_call["c-new"]["deleted_at"] is None and by_call["c-new"]["available"]
        status, answer = await api.call("GET", by_call["c-old"]["audio"], api.supervisor)
        assert (status, answer["error"]) == (
            410,
            f"recording {by_call['c-old']['id']} was deleted by retention",
        )
        assert await keeper.expire() == 0  # nothing twice


def test_only_names_the_core_makes_resolve_to_files(tmp_path: Path) -> None:
    files = RecordingFiles(tmp_path)
    good = recording_file(CallId("1796416490.17"), Instant(1796416500.0))
    assert files.path(good) == (tmp_path / good).resolve()
    for bad in ("../../etc/passwd", "cti/2026/12/04/../../../x.wav", "/etc/shadow", "a.wav"):
        assert files.path(bad) is None, bad
