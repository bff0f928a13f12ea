"""`cti admin` run in-process against a temporary SQLite database: the operator's way to
configure queues (C2, C3, C4), agents, reasons (P5) and API tokens (P22)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
import yaml

from cti.cli.admin import run_admin_command
from cti.domain.config import AcdConfig
from cti.domain.ids import AgentId
from cti.storage.config_store import ConfigStore
from cti.storage.database import open_database
from cti.storage.tokens import Role, TokenIdentity
from tests.storage.test_config_import import GOOD_YAML


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("CTI_CONFIG", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cti.sqlite3'}"
    monkeypatch.setenv("CTI_DATABASE_URL", url)
    # the spool (and its stamp, which the CLI checks) of this test, not the working directory's
    monkeypatch.setenv("CTI_DATABASE_SPOOL", str(tmp_path / "cli.spool"))
    return url


def admin(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = run_admin_command(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def stored(url: str) -> AcdConfig:
    async def load() -> AcdConfig:
        database = await open_database(url)
        try:
            return await ConfigStore(database).load()
        finally:
            await database.close()

    return asyncio.run(load())


def identity(url: str, secret: str) -> TokenIdentity | None:
    async def find() -> TokenIdentity | None:
        database = await open_database(url)
        try:
            return await ConfigStore(database).token_identity(secret)
        finally:
            await database.close()

    return asyncio.run(find())


def test_import_then_export_round_trips_without_pins(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "config.yaml"
    source.write_text(GOOD_YAML)

    assert admin(capsys, "import", str(source)) == (
        0,
        "queues: 2 created, 0 updated; agents: 2 created, 0 updated; "
        "reasons: 2 created, 0 updated\n",
        "",
    )
    status, exported, _ = admin(capsys, "export")

    assert status == 0
    assert "pin" not in exported and "scrypt" not in exported
    document = yaml.safe_load(exported)
    assert [q["id"] for q in document["queues"]] == ["sales", "support"]
    copy = tmp_path / "copy.yaml"
    copy.write_text(exported)
    monkeypatch.setenv("CTI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}")
    assert admin(capsys, "import", str(copy))[0] == 0
    assert stored(f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}") == stored(url)


def test_queue_set_changes_only_the_options_given(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    admin(capsys, "queue", "set", "support")

    status, out, _ = admin(
        capsys,
        "queue",
        "set",
        "sales",
        "--name",
        "Sales",
        "--ring-limit",
        "4",
        "--ring-cadence",
        "5",
        "--strategy",
        "skills",
        "--skill",
        "french",
        "--min-skill-level",
        "2",
        "--max-wrap-up",
        "30",
        "--disposition",
        "sale",
        "--disposition",
        "no sale",
        "--disposition-required",
        "--widen-after",
        "20",
        "--overflow-after",
        "90",
        "--overflow-queue",
        "support",
        "--max-wait",
        "600",
        "--max-wait-action",
        "callback",
        "--misses-before-not-ready",
        "2",
    )
    admin(capsys, "queue", "set", "sales", "--ring-limit", "5", "--widen-after", "none")

    assert (status, out) == (0, "queues: 1 created, 0 updated\n")
    sales = stored(url).queues["sales"]
    assert (sales.name, sales.ring_limit, sales.ring_cadence, sales.strategy, sales.skill) == (
        "Sales",
        5,
        5.0,
        "skills",
        "french",
    )
    assert (sales.dispositions, sales.disposition_required, sales.widen_after) == (
        ("sale", "no sale"),
        True,
        None,
    )
    assert (sales.overflow_queue, sales.max_wait, sales.max_wait_action) == (
        "support",
        600.0,
        "callback",
    )
    assert (sales.min_skill_level, sales.max_wrap_up, sales.misses_before_not_ready) == (2, 30, 2)


def test_agents_reasons_and_listing(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    admin(capsys, "queue", "set", "support")
    admin(
        capsys,
        "agent",
        "set",
        "1001",
        "--name",
        "Alice",
        "--pin",
        "0042",
        "--skill",
        "french=5",
        "--skill",
        "billing=2",
        "--queue",
        "support=1",
    )
    admin(capsys, "agent", "set", "1001", "--name", "Alice B")  # keeps skills, queues, PIN
    admin(capsys, "reason", "set", "lunch", "--label", "Lunch", "--max-seconds", "3600")

    status, out, err = admin(capsys, "list")

    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "queue support (-): longest_idle, 3 rings x 6 s, wrap-up up to 60 s",
        "agent 1001 (Alice B): queues support:1; skills billing:2, french:5",
        "reason lunch (Lunch): at most 3600 s",
    ]
    assert admin(capsys, "agent", "delete", "1001") == (0, "agent 1001 deleted\n", "")
    assert admin(capsys, "queue", "delete", "support") == (0, "queue support deleted\n", "")
    assert stored(url).agents == {}


def test_tokens_are_printed_once_and_can_be_revoked(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    admin(capsys, "agent", "set", "1001")

    status, out, err = admin(
        capsys, "token", "create", "--role", "agent", "--name", "alice", "--agent", "1001"
    )

    secret = out.strip()
    assert status == 0 and secret.startswith("cti_")
    assert err == "token 1 created; its secret is shown only this once\n"
    assert identity(url, secret) == TokenIdentity(Role.AGENT, "alice", AgentId("1001"))
    assert secret not in admin(capsys, "list")[1]
    assert admin(capsys, "token", "revoke", "1") == (0, "token 1 revoked\n", "")
    assert identity(url, secret) is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["queue", "set", "q1", "--ring-limit", "0"], "queue q1: ring_limit must be 1-50"),
        (
            ["queue", "set", "q1", "--ring-cadence", "fast"],
            "--ring-cadence: expected a number of seconds, got 'fast'",
        ),
        (["queue", "set", "q1", "--strategy", "random"], "argument --strategy: invalid choice"),
        (["queue", "delete", "nowhere"], "queue nowhere does not exist"),
        (["agent", "set", "1", "--pin", "12"], "a PIN is 4 to 12 digits (0-9)"),
        (
            ["agent", "set", "1", "--skill", "french"],
            "argument --skill: expected name=number, got 'french'",
        ),
        (["agent", "set", "1", "--queue", "nowhere=1"], "agent 1: queue nowhere is not configured"),
        (
            ["reason", "set", "x", "--max-seconds", "0"],
            "reason x: max_seconds must be in (0, 86400] s",
        ),
        (["token", "create", "--role", "agent", "--name", "x"], "an agent token needs --agent"),
        (["token", "revoke", "9"], "token 9 does not exist"),
        (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
        (["queue"], "the following arguments are required: ACTION"),
    ],
)
def test_user_errors_are_one_line_on_stderr_and_exit_2(
    url: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = admin(capsys, *argv)

    assert (status, out) == (2, "")
    assert err.startswith(f"cti admin: {message}")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_an_import_with_errors_prints_each_and_applies_nothing(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "queues.csv"
    bad.write_text("id,ring_limit\nok,3\nbad,0\n,2\n")

    status, out, err = admin(capsys, "import", str(bad))

    assert (status, out) == (2, "")
    assert err.splitlines() == [
        "cti admin: queues.csv:3: queue bad: ring_limit must be 1-50",
        "cti admin: queues.csv:4: queue: missing id",
    ]
    assert stored(url) == AcdConfig()


def test_the_database_url_comes_from_the_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CTI_DATABASE_URL", raising=False)
    monkeypatch.delenv("CTI_CONFIG", raising=False)
    path = tmp_path / "from-file.sqlite3"
    config = tmp_path / "cti.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{path}"\n')

    assert admin(capsys, "reason", "set", "lunch", "--config", str(config))[0] == 0

    assert "lunch" in stored(f"sqlite+aiosqlite:///{path}").reasons
    assert admin(capsys, "list", "--config", str(tmp_path / "missing.toml"))[0] == 2


def test_a_database_that_cannot_be_used_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CTI_CONFIG", raising=False)
    monkeypatch.setenv("CTI_DATABASE_URL", "mysql+aiomysql://u@127.0.0.1/cti")
    status, _, err = admin(capsys, "list")
    assert (status, err) == (2, "cti admin: history needs sqlite or postgresql, but got 'mysql'\n")

    monkeypatch.setenv("CTI_DATABASE_URL", "sqlite+aiosqlite:////proc/no/such/dir/db.sqlite3")
    status, _, err = admin(capsys, "list")
    assert status == 1 and err.startswith("cti admin: could not open history database")
    assert err.count("\n") == 1


@pytest.mark.parametrize("before", [True, False])
def test_config_file_is_honoured_before_or_after_the_command(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    before: bool,
) -> None:
    monkeypatch.delenv("CTI_CONFIG", raising=False)
    monkeypatch.delenv("CTI_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'from-toml.db'}"
    toml = tmp_path / "cti.toml"
    toml.write_text(f'[database]\nurl = "{url}"\n')
    command = ["token", "create", "--role", "supervisor", "--name", "ops"]
    argv = ["--config", str(toml), *command] if before else [*command, "--config", str(toml)]

    status, out, _ = admin(capsys, *argv)

    assert status == 0
    assert identity(url, out.strip()) == TokenIdentity(Role.SUPERVISOR, "ops", None)
    assert not (tmp_path / "cti.db").exists()


def verified(url: str, name: str, password: str) -> Role | None:
    async def verify() -> Role | None:
        database = await open_database(url)
        try:
            return await ConfigStore(database).verify_password(name, password)
        finally:
            await database.close()

    return asyncio.run(verify())


def test_a_supervisor_is_added_with_a_password_from_stdin_listed_and_removed(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The password is never an argument (rule 3a): the first line of stdin here."""
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\nignored\n"))

    status, out, err = admin(capsys, "supervisor", "add", "ann", "--role", "admin")

    assert (status, err) == (0, ""), err
    assert out == "supervisor ann set (admin); any session of theirs has ended\n"
    assert verified(url, "ann", "correct horse battery") is Role.ADMIN
    assert "supervisor ann: admin\n" in admin(capsys, "list")[1]

    assert admin(capsys, "supervisor", "remove", "ann")[:2] == (
        0, "supervisor ann removed; their sessions ended\n"
    )  # fmt: skip
    assert verified(url, "ann", "correct horse battery") is None
    assert "supervisor ann: admin (removed)\n" in admin(capsys, "list")[1]


def test_a_password_too_short_is_refused_in_one_line_and_nothing_is_stored(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))

    status, out, err = admin(capsys, "supervisor", "add", "ann")

    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and "a password is 10 to 200 characters" in err, err
    assert "supervisor ann" not in admin(capsys, "list")[1]


def test_a_viewer_is_added_for_a_wall_display(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """P22: the role that only watches the wallboard, numbers masked."""
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))

    status, out, err = admin(capsys, "supervisor", "add", "lobby", "--role", "viewer")

    assert (status, err) == (0, ""), err
    assert out == "supervisor lobby set (viewer); any session of theirs has ended\n"
    assert verified(url, "lobby", "correct horse battery") is Role.VIEWER
    assert "supervisor lobby: viewer\n" in admin(capsys, "list")[1]


def test_a_supervisors_phone_is_set_listed_cleared_and_checked(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """C8: the phone that listen, whisper and barge call."""
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    admin(capsys, "supervisor", "add", "ann")

    assert admin(capsys, "supervisor", "phone", "ann", "2001")[:2] == (
        0, "supervisor ann monitors calls on PJSIP/2001\n"
    )  # fmt: skip
    assert "supervisor ann: supervisor, phone PJSIP/2001\n" in admin(capsys, "list")[1]
    status, out, err = admin(capsys, "supervisor", "phone", "ann", "PJSIP/20,01")
    assert (status, out) == (2, "") and "not a dial string" in err, err
    status, _, err = admin(capsys, "supervisor", "phone", "bob", "2001")
    assert status != 0 and "supervisor bob does not exist" in err, err
    assert admin(capsys, "supervisor", "phone", "ann", "none")[1] == (
        "supervisor ann monitors calls on no phone\n"
    )
    assert "supervisor ann: supervisor\n" in admin(capsys, "list")[1]
