"""Campaigns, contacts and dial attempts for storage tests.

Every instant is exact to the microsecond (what a timestamp column keeps), and sums of
whole seconds from T0 stay exact, so values read back from SQL equal the ones written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from types import MappingProxyType

from cti.domain.ids import AgentId, Instant, QueueId
from cti.domain.outbound.attempt import AttemptId, DialAttempt
from cti.domain.outbound.campaign import (
    AttemptResult,
    CallingWindow,
    CampaignConfig,
    CampaignId,
    CampaignStatus,
    RetryRule,
    SeatTargets,
)
from cti.domain.outbound.contact import Contact
from cti.domain.outbound.contact_rows import read_contacts
from cti.domain.outbound.pacing import DialMode, PacingConfig
from cti.storage.campaign_store import CampaignStore

S = CampaignStatus
CAMPAIGN = CampaignConfig(id=CampaignId("renewals"), queue=QueueId("sales"))
EVERY_SETTING = CampaignConfig(
    id=CampaignId("winback"), name="Win back", queue=QueueId("outbound"),
    caller_id="+442079460000", script="Hello, {name}", shown_fields=("name", "plan"),
    window=CallingWindow(start=time(9, 30), end=time(20, 15, 30)), timezone="Asia/Shanghai",
    retries=MappingProxyType({
        AttemptResult.BUSY: RetryRule(delay=600.5, max_attempts=4),
        AttemptResult.MACHINE: RetryRule(delay=0.0, max_attempts=1),
    }),
    follow_up_within=3600.0, abandon_quiet=7200.25, ring_timeout=30.5, machine_detection=True,
    callback_grace=120.5, callback_within=1800.0, standing=True,
    pacing=PacingConfig(mode=DialMode.PREDICTIVE, abandon_cap_pct=2.5, window=2_592_000.0,
                        hold=1.5, max_lines_per_agent=2.5, max_risk=0.1, careful_from=0.4,
                        full_room=5.0),
    seat=SeatTargets(min_dials=50, max_dials=90, min_successes=40, max_successes=70),
)  # fmt: skip
T0 = Instant(1_800_000_000.5)  # binary-exact


def contact(n: int, campaign: CampaignConfig = CAMPAIGN, **change: object) -> Contact:
    """The n-th of a family of distinct contacts of the campaign."""
    text = f"number,timezone,name\n+44163296{n:04d},Europe/London,Customer {n}\n"
    (made,) = read_contacts(text, campaign, known=()).contacts
    return replace(made, **change)  # type: ignore[arg-type]


def contacts(numbers: range, campaign: CampaignConfig = CAMPAIGN) -> list[Contact]:
    return [contact(n, campaign) for n in numbers]


def attempt(n: int, made: Contact, **change: object) -> DialAttempt:
    """A no-answer dial of `made` by agent 1001 that starts at T0 + n minutes."""
    started = Instant(T0 + 60 * n)
    plain = DialAttempt(
        id=AttemptId(f"dial-{n}"), campaign=made.campaign, contact=made.id, number=made.number,
        agent=AgentId("1001"), mode=DialMode.PROGRESSIVE, started_at=started,
        ended_at=Instant(started + 25.25), result=AttemptResult.NO_ANSWER, person=False,
    )  # fmt: skip
    return replace(plain, **change)  # type: ignore[arg-type]


def answered(n: int, made: Contact, result: AttemptResult, **change: object) -> DialAttempt:
    """An attempt a person answered 5 s in, connected 1 s later if CONNECTED; ends at 50 s."""
    start = Instant(T0 + 60 * n)
    connected = Instant(start + 6) if result is AttemptResult.CONNECTED else None
    return attempt(n, made, answered_at=Instant(start + 5), connected_at=connected,
                   ended_at=Instant(start + 50), result=result, person=True, **change)  # fmt: skip


async def started(store: CampaignStore, config: CampaignConfig = CAMPAIGN) -> list[Contact]:
    """The campaign saved with three contacts and running."""
    await store.save(config)
    batch = contacts(range(3), config)
    await store.add_contacts(config.id, batch)
    await store.set_status(config.id, S.RUNNING)
    return batch
