"""A real PostgreSQL server for the tests that need one (storage, and the lab's outage test).

The server is initdb'd into a temporary directory and started with pg_ctl on a free
loopback port (as the `postgres` user when running as root, since PostgreSQL refuses root).
If it cannot be started, the tests that need it fail with the reason; they never skip.
Tests may stop and start it again (an outage), and create a fresh database each.
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
from collections.abc import Iterator
from pathlib import Path

import pytest


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
        pytest.fail(f"could not start PostgreSQL for the tests: {exc}")
    yield server
    with contextlib.suppress(RuntimeError):  # a test left it stopped, or it died
        server.stop()
    shutil.rmtree(root, ignore_errors=True)
