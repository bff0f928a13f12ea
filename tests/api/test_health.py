"""/healthz tells the truth about the database, against a real `cti serve` on SQLite (no
Asterisk: AMI is down, so /healthz is always 503 here, and its body says why): a locked
file is not writable and writes answer 503; a file moved away is reported and no write
is acknowledged into it; a restart on a database gone refuses to start and creates none."""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable

from cti.api.answers import Health
from cti.api.openapi import document
from cti.storage.stamp import stamp_of
from tests.faults import exclusive_lock
from tests.lab.server import ServerProcess, eventually

LUNCH = {"label": "Lunch"}


async def health(served: ServerProcess) -> tuple[int, Health]:
    """The status and the body, which must match the declared shape whatever the status."""
    status, body = await served.get("/healthz")
    return status, Health.model_validate(body)


def database(
    served: ServerProcess, check: Callable[[Health], bool]
) -> Callable[[], Awaitable[Health | None]]:
    async def found() -> Health | None:
        _, body = await health(served)
        return body if check(body) else None

    return found


def writable(body: Health) -> bool:
    return body.database.writable


async def admin_token(served: ServerProcess) -> str:
    return (await served.admin("token", "create", "--role", "admin", "--name", "ops")).strip()


async def test_the_database_is_reported_writable_while_ami_is_down(
    served: ServerProcess,
) -> None:
    status, body = await health(served)

    assert (status, body.status, body.ami.connected) == (503, "degraded", False)
    assert body.database.model_dump() == {
        "reachable": True,
        "writable": True,
        "file": "same",
        "reason": None,
    }


def test_the_document_says_healthz_answers_503_with_the_same_body() -> None:
    responses = document()["paths"]["/healthz"]["get"]["responses"]  # type: ignore[index]

    assert responses["503"]["content"] == responses["200"]["content"]
    assert responses["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Health"
    }


async def test_a_locked_file_is_not_writable_and_writes_answer_503_until_it_is_released(
    served: ServerProcess,
) -> None:
    token = await admin_token(served)

    with exclusive_lock(served.workdir / "cti.db"):
        locked = await eventually(
            database(served, lambda b: not writable(b)), within=10, what="reported locked"
        )
        status, answer = await served.request(
            "PUT", "/api/v1/admin/reasons/lunch", LUNCH, token=token
        )

    assert (locked.database.reachable, locked.database.file) == (True, "same")
    assert locked.database.reason == "not writable: OperationalError: database is locked"
    assert (status, answer) == (503, {"error": "storage unavailable"})
    await eventually(database(served, writable), within=10, what="writable again")
    status, _ = await served.request("PUT", "/api/v1/admin/reasons/lunch", LUNCH, token=token)
    assert status == 200


async def test_a_file_moved_away_is_reported_no_write_goes_into_it_and_no_restart_on_none(
    served: ServerProcess,
) -> None:
    token = await admin_token(served)
    path, away = served.workdir / "cti.db", served.workdir / "cti.db.away"
    stored = await served.request("PUT", "/api/v1/admin/reasons/lunch", LUNCH, token=token)
    assert stored[0] == 200

    path.rename(away)
    moved = await eventually(
        database(served, lambda b: b.database.file == "moved"), within=10, what="moved"
    )
    status, answer = await served.request(
        "PUT", "/api/v1/admin/reasons/tea", {"label": "Tea"}, token=token
    )
    await served.kill(signal.SIGTERM)
    spool = served.workdir / "history.spool"
    kept = (spool.read_bytes() if spool.exists() else b"", stamp_of(spool).read_bytes())
    code, _, said = await served.run("serve", within=30)  # must exit by itself

    assert moved.database.model_dump() == {
        "reachable": False,
        "writable": False,
        "file": "moved",
        "reason": "no file at the database's path: it was moved away or deleted",
    }
    assert (status, answer) == (503, {"error": "storage unavailable"})
    assert code == 1
    assert f"the database {path} is gone, but {stamp_of(spool)}" in said
    assert not path.exists()  # nothing created in its place, nothing else written
    assert (spool.read_bytes() if spool.exists() else b"", stamp_of(spool).read_bytes()) == kept
    away.rename(path)
    await served.start(ami=False)
    _, config = await served.get("/api/v1/admin/config", token=token)
    assert sorted(reason["code"] for reason in config["reasons"]) == ["break", "lunch"]
    await eventually(database(served, writable), within=10, what="writable after the restart")
