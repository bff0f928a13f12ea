"""Fixtures for storage tests: a real PostgreSQL server for the session, SQLite per test.

The server is initdb'd into a temporary directory and started with pg_ctl on a free
loopback port (as the `postgres` user when running as root, since PostgreSQL refuses root).
If it cannot be started, PostgreSQL tests fail with the reason; they never skip.
Each test gets a fresh database, so migrations always start from nothing: `database_url`
names it, `database` opens it, and `history_at` builds it at an older revision instead.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Connection, inspect, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from cti.domain.effects import Record
from cti.storage.database import Database, migrate, open_database
from cti.storage.history import SqlHistory


def _bin_dir() -> Path:
    override = os.environ.get("CTI_TEST_PG_BIN")
    if override:
        return Path(override)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        pytest.fail("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    return Path(candidates[-1])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """A throwaway PostgreSQL cluster that tests may stop and start again."""

    def __init__(self, bin_dir: Path, root: Path, port: int) -> None:
        self.bin_dir, self.root, self.port = bin_dir, root, port
        self.data, self.log = root / "data", root / "server.log"
        self._names = itertools.count(1)
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def url(self, database: str = "cti_test") -> str:
        return f"postgresql+asyncpg://cti@127.0.0.1:{self.port}/{database}"

    def run(self, tool: str, *args: str) -> None:
        command = [*self._as_postgres, str(self.bin_dir / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{tool} failed ({done.returncode}): {done.stderr.strip()}\n{log[-2000:]}"
            )

    def init(self) -> None:
        if self._as_postgres:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.run("initdb", "-D", str(self.data), "-U", "cti", "--auth=trust", "-E", "UTF8",
                 "--no-sync", "--no-instructions")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                 "-w", "-t", "30", "start")  # fmt: skip

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    def create_database(self) -> str:
        name = f"cti_test_{next(self._names)}"
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "cti", name)
        return name

    def drop_database(self, name: str) -> None:
        self.run("dropdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "cti", "--force", name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    root = Path(tempfile.mkdtemp(prefix="cti-pg-"))
    server = PostgresServer(_bin_dir(), root, _free_port())
    try:
        server.init()
        server.start()
        server.run("createdb", "-h", "127.0.0.1", "-p", str(server.port), "-U", "cti", "cti_test")
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL for the storage tests: {exc}")
    yield server
    with contextlib.suppress(RuntimeError):  # a test left it stopped, or it died
        server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of the session's PostgreSQL database (created at start)."""
    return postgres_server.url()


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A URL to a database created empty for this test and dropped after it."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty database: an SQLite file under tmp_path, or a fresh PostgreSQL one."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'db' / 'history.sqlite3'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The empty database of database_url, opened (so migrated to the newest revision)."""
    database = await open_database(database_url)
    yield database
    await database.close()


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def history_at(url: str, revision: str, records: Sequence[Record]) -> set[str]:
    """Migrates the empty database at `url` to `revision` only, records history there as a
    server of that revision did, and returns the tables it has then."""
    path = make_url(url).database
    if url.startswith("sqlite") and path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    old = create_async_engine(url)

    class Source:
        engine = old

    try:
        async with old.begin() as connection:
            await connection.run_sync(migrate, revision)
            before = await connection.run_sync(tables)
        await SqlHistory(Source()).record(records)
    finally:
        await old.dispose()
    return before
