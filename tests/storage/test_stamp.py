"""The spool's stamp against real SQLite and PostgreSQL: a database that vanished (gone,
new, or another one) is refused before anything is created or written, naming the
database, the stamp and the spool; a first start, and a database older than the stamp,
open as before."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from cti.cli.admin import run_admin_command
from cti.storage import spool_file
from cti.storage.database import DatabaseVanished, open_database
from cti.storage.stamp import read_expectation, remember, stamp_of
from tests.storage.conftest import history_at
from tests.storage.samples import make_visit


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def stamped(url: str, spool: Path) -> str:
    """A server's first start: the database opened, the stamp written; the database's id."""
    database = await open_database(url, spool=spool)
    await remember(spool, database.identity, database.where)
    await database.close()
    return database.identity


async def test_a_first_start_opens_and_stamps_and_the_next_start_opens_again(
    database_url: str, tmp_path: Path
) -> None:
    spool = tmp_path / "history.spool"

    identity = await stamped(database_url, spool)
    again = await open_database(database_url, spool=spool)

    assert again.identity == identity and len(identity) == 32
    assert read_expectation(spool).database_id == identity
    assert json.loads(stamp_of(spool).read_text())["database_id"] == identity
    await again.close()


async def test_a_database_file_gone_is_refused_and_not_created_again(tmp_path: Path) -> None:
    path, spool = tmp_path / "data" / "cti.db", tmp_path / "history.spool"
    identity = await stamped(sqlite_url(path), spool)
    for leftover in path.parent.iterdir():
        leftover.unlink()
    path.parent.rmdir()

    with pytest.raises(DatabaseVanished) as refused:
        await open_database(sqlite_url(path), spool=spool)

    message = str(refused.value)
    assert f"the database {path} is gone" in message
    assert (
        f"{stamp_of(spool)} says the history spool {spool} belongs to database {identity}"
        in message
    )
    assert message.endswith("every token issued before stops working)")
    assert not path.parent.exists()  # neither the file nor its directory was made


async def test_another_database_at_the_path_is_refused(tmp_path: Path) -> None:
    path, other, spool = tmp_path / "cti.db", tmp_path / "other.db", tmp_path / "history.spool"
    await stamped(sqlite_url(path), spool)
    foreign = await open_database(sqlite_url(other))
    await foreign.close()
    os.replace(other, path)

    with pytest.raises(DatabaseVanished, match=f"is another one \\(id {foreign.identity}\\)"):
        await open_database(sqlite_url(path), spool=spool)


@pytest.mark.postgres
async def test_a_new_postgres_database_is_refused_and_left_empty(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    spool = tmp_path / "history.spool"
    await remember(spool, "0123456789abcdef0123456789abcdef", "postgresql://elsewhere/cti")

    with pytest.raises(DatabaseVanished, match="is new \\(it has no id\\)"):
        await open_database(fresh_postgres_url, spool=spool)

    engine = create_async_engine(fresh_postgres_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(lambda c: inspect(c).get_table_names()) == []
    finally:
        await engine.dispose()


async def test_a_spool_with_records_and_no_stamp_refuses_a_missing_database(
    tmp_path: Path,
) -> None:
    path, spool = tmp_path / "cti.db", tmp_path / "history.spool"
    spool_file.append(spool, [make_visit(1)])

    with pytest.raises(DatabaseVanished, match="holds records written to a database"):
        await open_database(sqlite_url(path), spool=spool)

    assert not path.exists()


async def test_a_database_older_than_the_stamp_opens_with_its_spool_and_is_stamped(
    database_url: str, tmp_path: Path
) -> None:
    spool = tmp_path / "history.spool"
    await history_at(database_url, "0007", [make_visit(1)])
    spool_file.append(spool, [make_visit(2)])

    identity = await stamped(database_url, spool)

    assert read_expectation(spool).database_id == identity


async def test_an_unreadable_stamp_is_refused_naming_it(tmp_path: Path) -> None:
    spool = tmp_path / "history.spool"
    stamp_of(spool).write_text("{half a stamp")

    with pytest.raises(DatabaseVanished, match=f"{stamp_of(spool)} is not JSON"):
        await open_database(sqlite_url(tmp_path / "cti.db"), spool=spool)


def test_cti_admin_refuses_a_database_that_vanished_and_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path, spool = tmp_path / "cti.db", tmp_path / "history.spool"
    monkeypatch.delenv("CTI_CONFIG", raising=False)
    monkeypatch.setenv("CTI_DATABASE_URL", sqlite_url(path))
    monkeypatch.setenv("CTI_DATABASE_SPOOL", str(spool))
    assert run_admin_command(["reason", "set", "lunch"]) == 0
    assert not stamp_of(spool).exists()  # rule 5: the CLI checks the stamp, never writes it
    stamp_of(spool).write_text(json.dumps({"database_id": "x" * 32, "database": "cti.db"}))
    for leftover in tmp_path.glob("cti.db*"):
        leftover.unlink()
    capsys.readouterr()

    status = run_admin_command(["reason", "set", "break"])

    _, err = capsys.readouterr()
    assert status == 1 and err.startswith(f"cti admin: the database {path} is gone")
    assert err.count("\n") == 1
    assert not path.exists()
