"""`cti campaign` and `cti dnc` run in-process against a temporary SQLite database: the
operator's way to set up outbound campaigns (C5), load their contacts and keep the
do-not-call list. Nothing is dialled yet: start, pause and stop move the status."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from cti.cli.admin import run_admin_command
from cti.cli.campaign import run_campaign_command, run_dnc_command
from cti.domain.outbound.campaign import CampaignId, CampaignStatus
from cti.domain.outbound.pacing import DialMode
from cti.storage.campaign_store import CampaignStore, StoredCampaign
from cti.storage.database import open_database
from tests.api.test_campaigns import CSV_WITH_BAD_ROWS

Capture = pytest.CaptureFixture[str]
Ran = tuple[int, str, str]  # exit status, stdout, stderr


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("CTI_CONFIG", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cti.sqlite3'}"
    monkeypatch.setenv("CTI_DATABASE_URL", url)
    # the spool (and its stamp, which the CLI checks) of this test, not the working directory's
    monkeypatch.setenv("CTI_DATABASE_SPOOL", str(tmp_path / "cli.spool"))
    assert run_admin_command(["queue", "set", "outbound", "--ring-limit", "3"]) == 0
    assert run_admin_command(["queue", "set", "nobody", "--ring-limit", "3"]) == 0
    assert (
        run_admin_command(["agent", "set", "1001", "--pin", "4711", "--queue", "outbound=0"]) == 0
    )
    return url


def ran(command: Callable[[list[str]], int], capsys: Capture, argv: tuple[str, ...]) -> Ran:
    capsys.readouterr()
    status = command(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def campaign(capsys: Capture, *argv: str) -> Ran:
    return ran(run_campaign_command, capsys, argv)


def dnc(capsys: Capture, *argv: str) -> Ran:
    return ran(run_dnc_command, capsys, argv)


def stored(url: str) -> StoredCampaign:
    return stored_as(url, "renewals")


def stored_as(url: str, name: str) -> StoredCampaign:
    async def get() -> StoredCampaign:
        database = await open_database(url)
        try:
            return await CampaignStore(database).get(CampaignId(name))
        finally:
            await database.close()

    return asyncio.run(get())


def test_set_creates_a_draft_then_changes_only_the_options_given(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    created = campaign(capsys, "set", "renewals", "--queue", "outbound", "--name", "Renewals",
                       "--mode", "predictive", "--window", "09:00-20:30", "--show", "name",
                       "--timezone", "Europe/London", "--abandon-cap", "2.5")  # fmt: skip
    changed = campaign(capsys, "set", "renewals", "--caller-id", "+442079460000")

    assert created == (0, "campaign renewals created (draft)\n", "")
    assert changed == (0, "campaign renewals updated\n", "")
    found = stored(url)
    config = found.config
    assert found.status is CampaignStatus.DRAFT
    assert (config.name, config.queue, config.timezone) == ("Renewals", "outbound", "Europe/London")
    assert (config.mode, config.pacing.abandon_cap_pct) == (DialMode.PREDICTIVE, 2.5)
    assert (str(config.window.start), str(config.window.end)) == ("09:00:00", "20:30:00")
    assert (config.caller_id, config.shown_fields) == ("+442079460000", ("name",))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["set", "renewals"], "--queue is required"),
        (["set", "renewals", "--queue", "nowhere"], "unknown queue 'nowhere'"),
        (["set", "renewals", "--queue", "outbound", "--timezone", "Mars/Olympus"], "Mars"),
        (["set", "renewals", "--queue", "outbound", "--ring-timeout", "5"], "ring_timeout"),
        (["set", "renewals", "--queue", "outbound", "--window", "9-5"], "HH:MM-HH:MM"),
        (["set", "renewals", "--queue", "outbound", "--abandon-cap", "150"], "abandon_cap_pct"),
        (["start", "nowhere"], "campaign nowhere does not exist"),
    ],
    ids=lambda v: v[-1] if isinstance(v, list) else "",
)
def test_mistakes_are_one_line_and_exit_2(
    url: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = campaign(capsys, *argv)

    assert (status, out) == (2, "")
    assert err.startswith("cti campaign: ") and message in err and err.count("\n") == 1


def test_upload_prints_counts_and_each_bad_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign(capsys, "set", "renewals", "--queue", "outbound")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CSV_WITH_BAD_ROWS)

    first = campaign(capsys, "upload", "renewals", str(contacts))
    again = campaign(capsys, "upload", "renewals", str(contacts))

    assert first[:2] == (0, "imported 2, already there 0\n")
    errors = first[2].splitlines()
    assert [e.split(": ")[1] for e in errors] == ["line 3", "line 4", "line 5", "line 7"]
    assert all(e.startswith(f"{contacts}: line ") for e in errors)
    assert again[:2] == (0, "imported 0, already there 3\n")


def test_a_refused_or_useless_file_exits_1(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign(capsys, "set", "renewals", "--queue", "outbound")
    no_header, all_bad = tmp_path / "no_header.csv", tmp_path / "all_bad.csv"
    no_header.write_text("phone\n+441632960001\n")
    all_bad.write_text("number\nnobody\n")

    refused = campaign(capsys, "upload", "renewals", str(no_header))
    useless = campaign(capsys, "upload", "renewals", str(all_bad))
    missing = campaign(capsys, "upload", "renewals", str(tmp_path / "missing.csv"))

    assert refused[:2] == (1, "") and "line 1: no 'number' column" in refused[2]
    assert useless[:2] == (1, "imported 0, already there 0\n") and "line 2" in useless[2]
    assert missing[0] == 2 and "cannot read" in missing[2]


def test_start_is_refused_while_no_agent_serves_the_queue_as_the_api_refuses_it(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign(capsys, "set", "lonely", "--queue", "nobody")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("number\n+441632960001\n")
    campaign(capsys, "upload", "lonely", str(contacts))

    refused = campaign(capsys, "start", "lonely")

    assert refused == (2, "", "cti campaign: campaign lonely: no agent serves its queue nobody\n")
    assert stored_as(url, "lonely").status is CampaignStatus.DRAFT


def test_start_pause_stop_and_list(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign(capsys, "set", "renewals", "--queue", "outbound", "--name", "Renewals")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("number\n+441632960001\n+441632960002\n")

    empty = campaign(capsys, "start", "renewals")
    campaign(capsys, "upload", "renewals", str(contacts))
    moves = [campaign(capsys, action, "renewals") for action in ("start", "pause", "stop")]
    restart = campaign(capsys, "start", "renewals")
    listing = campaign(capsys, "list")

    assert empty[0] == 2 and "no contacts" in empty[2]
    assert [m[1] for m in moves] == [
        "campaign renewals running\n", "campaign renewals paused\n", "campaign renewals finished\n"
    ]  # fmt: skip
    assert restart[0] == 2 and "finished" in restart[2]
    assert listing == (
        0,
        "campaign renewals (Renewals): queue outbound, progressive, finished; "
        "contacts 2: pending 2, dialling 0, done 0, closed 0\n",
        "",
    )


def test_do_not_call_add_list_remove(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    added = dnc(capsys, "add", "+44 1632 960001", "+12125550100", "--note", "asked")
    again = dnc(capsys, "add", "+441632960001")
    bad = dnc(capsys, "add", "+441632960003", "nobody")
    listed = dnc(capsys, "list")
    removed = dnc(capsys, "remove", "+441632960001")
    absent = dnc(capsys, "remove", "+441632960001")

    assert added == (0, "2 added, 0 listed already\n", "")
    assert again[1] == "0 added, 1 listed already\n"
    assert bad[0] == 2 and "'nobody' is not a phone number" in bad[2]
    assert listed[1] == "+12125550100\n+441632960001\n"
    assert removed == (0, "+441632960001 removed\n", "")
    assert absent[0] == 2 and "not on the do-not-call list" in absent[2]
