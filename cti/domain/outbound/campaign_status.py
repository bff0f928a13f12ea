"""A campaign's lifecycle (C5): its status as a table, and the rules of a status change.

Rule 1: a status moves only along TRANSITIONS: a draft or paused campaign may run, a
running one may pause, any may finish once, and a finished campaign never changes again.
Rule 2: a campaign is not started without contacts, nor while no configured agent serves
its queue (nobody could take its calls): `start_refusal` says why, in the words every
door (the API, the CLI, the store) gives the user.
Rule 3: a refusal is a value (Refusal: the reason and whether the campaign's state or the
request is at fault), so the doors map it to their own error without re-wording it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cti.domain.config import AcdConfig
from cti.domain.outbound.campaign import CampaignConfig, CampaignId, CampaignStatus

S = CampaignStatus
TRANSITIONS: Final = frozenset(
    {
        (S.DRAFT, S.RUNNING),
        (S.RUNNING, S.PAUSED),
        (S.PAUSED, S.RUNNING),
        (S.DRAFT, S.FINISHED),
        (S.RUNNING, S.FINISHED),
        (S.PAUSED, S.FINISHED),
    }
)
BEING: Final[Mapping[CampaignStatus, str]] = {
    S.DRAFT: "a draft",
    S.RUNNING: "running",
    S.PAUSED: "paused",
    S.FINISHED: "finished",
}
BECOMING: Final[Mapping[CampaignStatus, str]] = {
    S.DRAFT: "made a draft again",
    S.RUNNING: "started again",  # only ever refused to a finished campaign
    S.PAUSED: "paused",
    S.FINISHED: "finished again",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    reason: str
    conflict: bool  # True: not in the campaign's current state; False: the request is wrong


def transition_refusal(
    campaign: CampaignId, current: CampaignStatus, wanted: CampaignStatus
) -> Refusal | None:
    """Rule 1: why the campaign may not go from `current` to `wanted`, if it may not."""
    if (current, wanted) in TRANSITIONS:
        return None
    reason = f"campaign {campaign} is {BEING[current]}: it cannot be {BECOMING[wanted]}"
    return Refusal(reason=reason, conflict=True)


def serves(config: AcdConfig, campaign: CampaignConfig) -> bool:
    """A configured agent is a member of the campaign's queue."""
    return any(campaign.queue in agent.queues for agent in config.agents.values())


def start_refusal(
    campaign: CampaignConfig, current: CampaignStatus, *, contacts: int, acd: AcdConfig | None
) -> Refusal | None:
    """Rules 1 and 2: why the campaign may not start now, if it may not. `acd` None skips
    the served check, for the standing callbacks campaign the store starts itself (the
    callback's own door checked its queue)."""
    refused = transition_refusal(campaign.id, current, CampaignStatus.RUNNING)
    if refused is not None:
        return refused
    if contacts == 0:
        reason = f"campaign {campaign.id} has no contacts: add some first"
        return Refusal(reason=reason, conflict=True)
    if acd is not None and not serves(acd, campaign):
        reason = f"campaign {campaign.id}: no agent serves its queue {campaign.queue}"
        return Refusal(reason=reason, conflict=False)
    return None
