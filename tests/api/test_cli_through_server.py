"""`cti admin`, `cti campaign` and `cti dnc` with a server configured make their changes
through its API (cti/cli/server.py; issue 12, item 1), so the running engine knows at once:
an agent set can log in, a number added is never dialled, a campaign no agent serves is
refused in the API's words. The CLI runs in a thread (it has its own event loop) against
the same database as the running API."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from cti.cli.admin import run_admin_command
from cti.cli.campaign import run_campaign_command, run_dnc_command
from cti.domain.commands import FeedContacts, SetNotReady, SetReady
from cti.domain.effects import OriginateCall
from cti.domain.ids import AgentId
from cti.domain.inputs import Resynced
from cti.domain.outbound.campaign import CampaignId
from cti.domain.outbound.contact import ContactStatus
from tests.api.harness import Api

Cli = Callable[[list[str]], int]


@pytest.fixture
def server(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.delenv("CTI_CONFIG", raising=False)
    monkeypatch.setenv("CTI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cti.sqlite3'}")
    # the spool (and its stamp, which the CLI checks) of this test, not the working directory's
    monkeypatch.setenv("CTI_DATABASE_SPOOL", str(tmp_path / "cli.spool"))
    monkeypatch.setenv("CTI_SERVER_URL", str(api.client.make_url("")))
    monkeypatch.setenv("CTI_SERVER_TOKEN", api.admin)
    return api


async def cli(command: Cli, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = await asyncio.to_thread(command, list(argv))
    out, err = capsys.readouterr()
    return status, out, err


async def test_an_agent_set_while_the_server_runs_can_log_in_at_once(
    server: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    made = await cli(run_admin_command, capsys, "agent", "set", "1003", "--pin", "9876",
                     "--queue", "support=0")  # fmt: skip
    server.register("PJSIP/1003")

    status, answer = await server.call(
        "POST", "/api/v1/agents/1003/login", body={"pin": "9876", "device": "PJSIP/1003"}
    )

    assert made == (0, "agent 1003 stored by the server\n", "")
    assert status == 200, answer


async def test_a_number_added_while_its_contact_is_claimed_is_never_dialled(
    server: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    await running_campaign(server, capsys)
    stored = await server.campaigns.due_contacts(CampaignId("renewals"), server.clock.now(), 10)
    claimed = [await server.campaigns.claim(c.id) for c in stored]
    contacts = tuple(c for c in claimed if c is not None)
    await server.engine.execute(
        FeedContacts(at=server.clock.now(), campaign=CampaignId("renewals"), contacts=contacts)
    )  # the feeder's claim: both wait in the core's buffer while nobody is ready

    added = await cli(run_dnc_command, capsys, "add", "+441632960002")
    await server.engine.execute(SetReady(at=server.clock.now(), agent=AgentId("1001")))

    dialled = [i.number for i in server.control.of(OriginateCall)]
    assert added[0] == 0
    assert dialled == ["+441632960001"]
    assert {c.status for c in contacts} == {ContactStatus.DIALLING}


async def test_a_campaign_no_agent_serves_is_refused_in_the_apis_words(
    server: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    await cli(run_campaign_command, capsys, "set", "lonely", "--queue", "sales")
    status, _, err = await upload_and_start(capsys, "lonely", "+441632960009")

    assert status == 2
    assert err == "cti campaign: campaign lonely: no agent serves its queue sales\n"


async def running_campaign(server: Api, capsys: pytest.CaptureFixture[str]) -> None:
    """Renewals on the support queue, two contacts, started through the server; agent 1001
    logged in but not ready, the telephony link up."""
    await server.log_in("1001")
    await server.engine.execute(
        SetNotReady(at=server.clock.now(), agent=AgentId("1001"), reason="lunch")
    )
    devices = server.engine.state.devices
    server.engine.submit(
        Resynced(at=server.clock.now(), waiting=(), devices=tuple(devices.items()))
    )
    await cli(  # dial at any hour the test runs (the default window is 08:00-21:00)
        run_campaign_command, capsys, "set", "renewals", "--queue", "support",
        "--window-start", "00:00", "--window-end", "23:59:59",
    )  # fmt: skip
    started = await upload_and_start(capsys, "renewals", "+441632960001", "+441632960002")
    assert started[0] == 0, started


async def upload_and_start(
    capsys: pytest.CaptureFixture[str], campaign: str, *numbers: str
) -> tuple[int, str, str]:
    path = Path(os.environ["CTI_DATABASE_URL"].split("///")[1]).with_name(f"{campaign}.csv")
    path.write_text("number\n" + "".join(f"{n}\n" for n in numbers))
    uploaded = await cli(run_campaign_command, capsys, "upload", campaign, str(path))
    assert uploaded[0] == 0, uploaded
    return await cli(run_campaign_command, capsys, "start", campaign)
