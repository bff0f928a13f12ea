"""A running campaign's life in the core (issue 4, C5).

Rule 1: RunCampaign brings a campaign in (with its abandon window rebuilt from stored
attempts) or takes a new configuration for one the core runs already.
Rule 2: HaltCampaign stops dialling at once: the buffer and the contacts in preview go
back to the shell (ContactsReturned) and preview agents are released; calls in flight end
normally, and the campaign leaves the core when none is left (`forget_if_idle`).
Rule 3: contacts fed to a campaign that does not run go straight back; a contact the core
holds already (buffered, in preview or being dialled) is not taken twice.
Rule 4: numbers put on the do-not-call list leave every buffer and preview at once
(ContactsReturned, "do not call"); a preview agent is released and told by its view.
"""

from __future__ import annotations

from dataclasses import replace

from cti.domain.campaign import CampaignId
from cti.domain.commands import BlockNumbers, FeedContacts, HaltCampaign, RunCampaign
from cti.domain.dial import LiveCampaign
from cti.domain.effects import ContactsReturned, Ignored
from cti.domain.outbound.reservation import release
from cti.domain.pmap import drop, empty
from cti.domain.state import TimerKind
from cti.domain.work import Work


def on_run(work: Work, command: RunCampaign) -> None:
    config = command.config
    live = work.campaigns.get(config.id)
    if live is None:
        live = LiveCampaign(config=config, window=command.window.at(command.at))
    else:
        live = replace(live, config=config, running=True)
    work.campaigns[config.id] = live


def on_halt(work: Work, command: HaltCampaign) -> None:
    live = work.campaigns.get(command.campaign)
    if live is None:
        work.notes.append(Ignored(reason=f"campaign {command.campaign} is not dialled"))
        return
    for agent_id in sorted(live.previews):
        release(work, agent_id, None)
    held = (*live.buffer, *live.previews.values())
    if held:
        work.emit(ContactsReturned(campaign=live.id, contacts=held, why="campaign halted"))
    work.campaigns[live.id] = replace(live, running=False, buffer=(), previews=empty())
    work.set_timer(TimerKind.PACE, live.id, None)
    forget_if_idle(work, live.id)


def on_feed(work: Work, command: FeedContacts) -> None:
    live = work.campaigns.get(command.campaign)
    if live is None or not live.running:
        why = "campaign not running"
        work.emit(ContactsReturned(campaign=command.campaign, contacts=command.contacts, why=why))
        return
    known = {c.id for c in live.buffer} | {c.id for c in live.previews.values()}
    known |= {d.contact.id for d in work.dials.values() if d.campaign == live.id}
    fresh = tuple(c for c in command.contacts if c.id not in known)
    work.campaigns[live.id] = replace(live, buffer=live.buffer + fresh)


def on_block(work: Work, command: BlockNumbers) -> None:
    for live in list(work.campaigns.values()):
        for agent_id, contact in sorted(live.previews.items()):
            if contact.number in command.numbers:
                live = replace(live, previews=drop(live.previews, agent_id))
                work.campaigns[live.id] = live
                release(work, agent_id, None)
                returned = (contact,)
                work.emit(ContactsReturned(campaign=live.id, contacts=returned, why="do not call"))
        blocked = tuple(c for c in live.buffer if c.number in command.numbers)
        if blocked:
            kept = tuple(c for c in live.buffer if c.number not in command.numbers)
            work.campaigns[live.id] = replace(live, buffer=kept)
            work.emit(ContactsReturned(campaign=live.id, contacts=blocked, why="do not call"))


def forget_if_idle(work: Work, campaign: CampaignId) -> None:
    """Rule 2: a halted campaign leaves the core once its last call ended."""
    live = work.campaigns.get(campaign)
    if live is None or live.running:
        return
    if not any(d.campaign == campaign for d in work.dials.values()):
        work.campaigns.pop(campaign)
