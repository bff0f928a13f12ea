"""The demo's outbound side: a campaign per dial mode, kept dialling, and the preview agent.

Rule 1 (unless --no-outbound): a queue per dial mode with its own agents (the devices after
the inbound ones: they answer, talk a few seconds, hang up) and a campaign per mode,
created, loaded (CSV) and started through the API with an admin token, as a user would.
Customers behind the trunk do what each number's last digit says (CUSTOMER_DIGITS): by
MIX most answer, some are busy, some never answer, some fail. The demo is the preview
agent (with its own token): it takes the next contact, shows it, skips a lapsed customer
the first time it sees one, and dials the others.
Rule 2: dialling never runs dry: a campaign with under LOW_WATER contacts pending or
dialling gets another batch; one that finished between two looks is followed by a new one
of its mode (<mode>-<n+1>). Campaigns an earlier run left unfinished in the demo's queues
are finished before the server starts, so they never dial again.
Rule 3: at close nothing new is dialled (the campaigns are paused); calls in progress end.
Rule 4: the progressive and predictive agents are on a nailed-up line (issue 18): their
phones answer once, for the line, and stay up; each call is ended from the agent's desk
(the API's hang-up, with the agent's own token) after TALK_S seconds plus a second per
agent, as an agent would, so the line outlives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Mapping, Sequence
from typing import Final

import aiohttp

from cti.api.client import ApiClient
from cti.demo.status import API, FAILURES, by_status, campaign_view
from cti.domain.outbound.campaign import CampaignStatus
from cti.lab.sipp import CustomerKind, customer_number
from cti.storage.campaign_store import CampaignStore

AGENTS: Final = {"preview": 1, "progressive": 2, "predictive": 3}  # agents per dial mode
NAILED: Final = frozenset({"progressive", "predictive"})  # rule 4
TALK_S: Final = 4.0
DESK_EVERY_S: Final = 0.5  # how often the nailed-up agents' desks look (rule 4)
PREFIX: Final = "outbound-"  # the demo's outbound queues are outbound-<mode>
WRAP_UP_S: Final = 3
EVERY_S: Final = 2.0  # the preview agent's and the campaign keeper's round
PREVIEW_READ_S: Final = 1.5  # the preview agent reads the contact and the script
LOW_WATER: Final = 8
MIX: Final[tuple[CustomerKind, ...]] = (  # a batch: 14 answer, 3 busy, 1 never, 2 fail
    *("answer", "answer_after_ring", "busy", "answer", "answer_after_ring"),
    *("unavailable", "answer", "answer_after_ring", "no_answer", "answer"),
    *("answer_after_ring", "busy", "answer", "answer_after_ring", "answer"),
    *("unavailable", "answer_after_ring", "answer", "busy", "answer_after_ring"),
)
PLANS: Final = ("basic", "lapsed", "plus", "premium")  # the preview agent skips "lapsed"


def agents_by_queue(devices: Sequence[str]) -> dict[str, str]:
    """Device (agent id) to outbound queue, for the devices after the inbound ones."""
    queues = [PREFIX + mode for mode, n in AGENTS.items() for _ in range(n)]
    return dict(zip(devices, queues, strict=False))


def preview_agent(agents: Mapping[str, str]) -> str:
    return next(agent for agent, queue in agents.items() if queue == PREFIX + "preview")


def queues_yaml() -> str:
    """The outbound queues, as entries of the demo's `queues:` list."""
    return "".join(
        f"  - {{id: {PREFIX}{mode}, max_wrap_up: {WRAP_UP_S}, agent_line: {_line(mode)}}}\n"
        for mode in AGENTS
    )


def _line(mode: str) -> str:
    return "nailed" if mode in NAILED else "ring"


def nailed_agents(agents: Mapping[str, str]) -> list[str]:
    """Rule 4: the agents whose queue keeps them on a nailed-up line."""
    return [a for a, q in agents.items() if q.removeprefix(PREFIX) in NAILED]


async def finish_leftovers(campaigns: CampaignStore) -> None:
    """Rule 2: an earlier run's campaigns would dial again as soon as the server starts."""
    for stored in await campaigns.list_campaigns():
        queue, status = stored.config.queue, stored.status
        if queue.startswith(PREFIX) and status is not CampaignStatus.FINISHED:
            await campaigns.set_status(stored.config.id, CampaignStatus.FINISHED)


def campaign_body(mode: str) -> dict[str, object]:
    """Dial all day (UTC); retry busy, unanswered and failed dials once, 20 s later; an
    abandoned call is not retried (its number would be quiet for 72 h anyway)."""
    retry = {"delay": 20, "max_attempts": 2}
    return {
        "name": f"Demo {mode}",
        "queue": PREFIX + mode,
        "caller_id": "5550100",
        "script": "Hello, this is the demo calling about your plan.",
        "shown_fields": ["name", "plan"],
        "ring_timeout": 15,
        "window": {"start": "00:00", "end": "23:59:59"},
        "retries": {result: retry for result in ("busy", "no_answer", "congestion", "failed")},
        "pacing": {"mode": mode},
    }


class Outbound:
    """The campaign keeper (rule 2) and the preview agent (rule 1), through the API."""

    def __init__(
        self,
        admin: ApiClient,
        agent: ApiClient,
        preview: str,
        desks: Mapping[str, ApiClient] | None = None,
    ) -> None:
        self.admin, self.agent, self.preview_agent = admin, agent, preview
        self.desks = dict(desks or {})  # rule 4: nailed-up agent -> its own API client
        self.current: dict[str, str] = {}  # dial mode -> its campaign now
        self.serials = itertools.count()  # contacts' numbers, unique within a run
        self.skipped: set[object] = set()  # contacts the preview agent skipped once
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def begin(
        cls,
        admin: ApiClient,
        agent: ApiClient,
        preview: str,
        desks: Mapping[str, ApiClient] | None = None,
    ) -> Outbound:
        """Start a campaign per mode and keep them dialling; `agent` is the preview agent,
        `desks` the nailed-up agents' own clients (rule 4)."""
        self = cls(admin, agent, preview, desks)
        for mode in AGENTS:
            await self._new_campaign(mode)
        self.task = asyncio.create_task(self._run(), name="demo-outbound")
        return self

    @property
    def campaigns(self) -> list[str]:
        return list(self.current.values())

    async def close(self) -> None:
        """Rule 3."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        for campaign in self.current.values():
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                await self.admin.request("POST", f"{API}/campaigns/{campaign}/pause", {})

    async def _run(self) -> None:
        while True:
            try:
                await self._keep_dialling()
                await self._preview()
            except FAILURES as exc:
                print(f"[demo] outbound: {exc!r}")
            for _ in range(round(EVERY_S / DESK_EVERY_S)):
                await self._end_talks()
                await asyncio.sleep(DESK_EVERY_S)

    async def _end_talks(self) -> None:
        """Rule 4: each nailed-up agent ends its call from the desk after its talk."""
        for n, (agent, desk) in enumerate(sorted(self.desks.items())):
            try:
                status, answer = await desk.request("GET", f"{API}/agents/{agent}")
                if status != 200 or not isinstance(answer, dict):
                    continue
                view = answer["agent"]
                if view["state"] == "on_call" and time.time() - view["since"] >= TALK_S + n:
                    await desk.request("POST", f"{API}/agents/{agent}/hangup", {})
            except FAILURES as exc:
                print(f"[demo] outbound: agent {agent}'s desk: {exc!r}")

    async def _new_campaign(self, mode: str) -> None:
        listed = await self.admin.expect("GET", f"{API}/campaigns")
        assert isinstance(listed["campaigns"], list)
        taken = {c["id"] for c in listed["campaigns"]}
        campaign = next(f"{mode}-{n}" for n in itertools.count(1) if f"{mode}-{n}" not in taken)
        await self.admin.expect("PUT", f"{API}/campaigns/{campaign}", campaign_body(mode))
        await self._load(campaign)
        await self.admin.expect("POST", f"{API}/campaigns/{campaign}/start", {})
        self.current[mode] = campaign
        print(f"[demo] campaign {campaign} started ({mode} dialling, {len(MIX)} contacts)")

    async def _load(self, campaign: str) -> None:
        rows = []
        for serial in itertools.islice(self.serials, len(MIX)):
            number = customer_number(MIX[serial % len(MIX)], serial)
            rows.append(f"{number},Customer {serial},{PLANS[serial % len(PLANS)]}\n")
        csv = "number,name,plan\n" + "".join(rows)
        await self.admin.expect("POST", f"{API}/campaigns/{campaign}/contacts", csv=csv)

    async def _keep_dialling(self) -> None:
        """Rule 2."""
        for mode, campaign in list(self.current.items()):
            view = await campaign_view(self.admin, campaign)
            counts = by_status(view)
            if view["status"] == CampaignStatus.FINISHED:
                await self._new_campaign(mode)
            elif counts["pending"] + counts["dialling"] < LOW_WATER:
                await self._load(campaign)
                print(f"[demo] campaign {campaign}: {len(MIX)} more contacts loaded")

    async def _preview(self) -> None:
        """The preview agent's turn: the next contact, read, then dialled or skipped."""
        path = f"{API}/agents/{self.preview_agent}/preview"
        status, answer = await self.agent.request(
            "POST", path, {"campaign": self.current["preview"]}
        )
        if status != 200 or not isinstance(answer, dict):
            return  # busy on a call, wrapping up, or nothing due: the next round
        shown = answer["agent"]["outbound"]
        fields = shown["fields"]
        skip = fields.get("plan") == "lapsed" and shown["contact"] not in self.skipped
        choice = "skips it (lapsed)" if skip else "dials"
        who = f"{shown['number']}, {fields.get('name')}, plan {fields.get('plan')}"
        print(f"[demo] preview: agent {self.preview_agent} sees {who}; {choice}")
        await asyncio.sleep(PREVIEW_READ_S)
        if not skip and await self._dial(path):
            return
        self.skipped.add(shown["contact"])
        await self.agent.expect("POST", path + "/skip", {})

    async def _dial(self, path: str) -> bool:
        status, answer = await self.agent.request("POST", path + "/dial", {})
        if status != 200:
            print(f"[demo] preview: the dial was refused ({answer}); skipping it")
        return status == 200
