"""What the demo's console shows: where to look once, then status lines every few seconds.

Rule 1: the console carries this text and the demo's own `[demo]` lines, nothing else;
the server's log goes to its file, which the where-to-look block names.
Rule 2: the only secrets shown are the tokens the demo made for its user to try, in the
where-to-look block, to be sent as `Authorization: Bearer`; never inside a URL.
Rule 3: every line is read from the public API and /metrics, as any client would, and
reading changes nothing; turning answers into text is pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import aiohttp

from cti.api.client import ApiClient, UnexpectedAnswer

API: Final = "/api/v1"
# What a round of the demo's requests may meet and outlive (the next round tries again):
# the server unreachable or slow, a refusal, an answer without the expected fields.
FAILURES: Final = (aiohttp.ClientError, TimeoutError, UnexpectedAnswer, KeyError, TypeError)
WHERE_TO_LOOK: Final = """
CTI demo running: {inbound} inbound agents logged in (the first never answers), calls coming.
  wallboard:      {base}/   (sign in as {name}, password {password})
  metrics:        {base}/metrics   (cti_queue_*, cti_offers_total, cti_ring_limit_*)
  queues, agents: {base}/api/v1/queues, {base}/api/v1/agents
  live events:    ws://{host}/api/v1/events   (WebSocket)
  health:         {base}/healthz
  server log:     {log}
  supervisor token: {supervisor}
  (send a token as the header `Authorization: Bearer <token>`)"""
WHERE_DESK: Final = """\
Agent desktop:    {base}/desk   (agent {agent}, PIN {pin}, phone "This browser": it rings
                  with the demo's calls once you go ready; your microphone and speaker)"""
WHERE_OUTBOUND: Final = """\
Outbound: agents {agents} serve outbound-preview, -progressive and -predictive.
  campaigns:      {base}/api/v1/campaigns[/<id>] (preview-N, progressive-N, predictive-N)
  metrics:        cti_campaign_attempts_total, cti_campaign_calls, cti_campaign_pacing_mode
  preview:        the demo is agent {preview}: {base}/api/v1/agents/{preview}/preview
  admin token (campaign changes): {admin}"""
STOPPING: Final = (
    "Ctrl-C stops the campaigns, callers, softphones, customers, the server and the lab.\n"
)
SAMPLE: Final = re.compile(r"^(cti_campaign_\w+)\{(.*)\} (\S+)$", re.MULTILINE)
LABEL: Final = re.compile(r'(\w+)="([^"]*)"')


def where_to_look(
    api: ApiClient, log: Path, inbound: int, supervisor: str, sign_in: tuple[str, str]
) -> str:
    base = api.base_url
    return WHERE_TO_LOOK.format(
        base=base,
        host=base.removeprefix("http://"),
        inbound=inbound,
        log=log,
        supervisor=supervisor,
        name=sign_in[0],
        password=sign_in[1],
    )


def where_desk(api: ApiClient, agent: str, pin: str) -> str:
    return WHERE_DESK.format(base=api.base_url, agent=agent, pin=pin)


def where_outbound(api: ApiClient, agents: Iterable[str], preview: str, admin: str) -> str:
    return WHERE_OUTBOUND.format(
        base=api.base_url, agents=", ".join(agents), preview=preview, admin=admin
    )


async def inbound_line(api: ApiClient) -> str:
    """The queues' waiting callers, then every agent's state (and reason)."""
    queues = await api.expect("GET", f"{API}/queues")
    agents = await api.expect("GET", f"{API}/agents")
    return summary(queues, agents)


async def campaign_lines(admin: ApiClient, campaigns: Iterable[str]) -> list[str]:
    """Each campaign's state now, from its API view and its /metrics samples."""
    _, text = await admin.request("GET", "/metrics")
    return [
        campaign_line(await campaign_view(admin, campaign), metrics_of(str(text), campaign))
        for campaign in campaigns
    ]


async def campaign_view(admin: ApiClient, campaign: str) -> dict[str, object]:
    view = (await admin.expect("GET", f"{API}/campaigns/{campaign}"))["campaign"]
    assert isinstance(view, dict)
    return view


def summary(queues: dict[str, object], agents: dict[str, object]) -> str:
    rows, people = queues["queues"], agents["agents"]
    assert isinstance(rows, list) and isinstance(people, list)
    waiting = ", ".join(f"{q['queue']}: {q['waiting']} waiting" for q in rows)
    states = ", ".join(
        f"{a['agent']} {a['state']}" + (f" ({a['reason']})" if a.get("reason") else "")
        for a in people
    )
    return f"{waiting} | {states}"


def metrics_of(text: str, campaign: str) -> dict[str, dict[str, float]]:
    """The campaign's /metrics samples: by metric name, then by its other labels' values."""
    found: dict[str, dict[str, float]] = {}
    for name, labels, value in SAMPLE.findall(text):
        pairs = dict(LABEL.findall(labels))
        if pairs.pop("campaign", None) == campaign:
            found.setdefault(name, {})[",".join(pairs.values())] = float(value)
    return found


def by_status(view: dict[str, object]) -> dict[str, int]:
    """A campaign's contacts by status, from its API view."""
    progress = view["progress"]
    assert isinstance(progress, dict)
    return dict(progress["by_status"])


def campaign_line(view: dict[str, object], metrics: dict[str, dict[str, float]]) -> str:
    attempts = {r: int(n) for r, n in metrics.get("cti_campaign_attempts_total", {}).items() if n}
    calls = metrics.get("cti_campaign_calls", {})
    pacing = [mode for mode, on in metrics.get("cti_campaign_pacing_mode", {}).items() if on]
    rate = metrics.get("cti_campaign_abandon_rate", {}).get("", 0.0)
    by_result = ", ".join(f"{n} {result}" for result, n in sorted(attempts.items()))
    contacts = ", ".join(f"{n} {status}" for status, n in by_status(view).items() if n)
    return (
        f"{view['id']} ({view['status']}): {sum(attempts.values())} attempts"
        + (f" ({by_result})" if by_result else "")
        + f"; {calls.get('ringing', 0):.0f} ringing, {calls.get('held', 0):.0f} held now"
        + f"; pacing {'/'.join(pacing) or '-'}, abandon rate {100 * rate:.1f} %"
        + f"; contacts: {contacts or 'none'}"
    )
