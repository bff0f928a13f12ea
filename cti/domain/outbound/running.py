"""A running campaign's life in the core (issue 4, C5).

Rule 1: RunCampaign brings a campaign in (with its abandon window rebuilt from stored
attempts) or takes a new configuration for one the core runs already.
Rule 2: HaltCampaign stops dialling at once: the buffer and the contacts in preview go
back to the shell (ContactsReturned) and preview agents are released; calls in flight end
normally, and the campaign leaves the core when none is left (`forget_if_idle`).
Rule 3: contacts fed to a campaign that does not run go straight back; a contact the core
holds already (buffered, in preview or being dialled) is not taken twice.
Rule 4: the core holds the do-not-call list and checks every dial against it. Numbers put
on it leave every buffer and preview at once (ContactsReturned, "do not call"); a preview
agent is released and told by its view.
Rule 5: the core keeps each running campaign's buffer of claimed contacts at
BUFFER_PER_AGENT per logged-in member of its queue (MIN_BUFFER at least; none while no
member is logged in) by telling the shell how many more it wants (ContactsWanted) whenever
that number changes, and whether a member is on a nailed-up line (then contacts inside
their numbers' quiet periods may be claimed too); the shell claims them and feeds them.
Rule 6: a running campaign that is not standing is drained once the shell counts no
contact pending or dialling in the store and the core holds none (buffered, in preview,
in flight): it halts and its finish is recorded (CampaignDrained). A contact the core
ended or handed back is dialling in the store until that write lands, so a count of zero
comes only after every such write.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Final

from cti.domain.commands import (
    BlockNumbers,
    FeedContacts,
    HaltCampaign,
    QuietNumbers,
    RunCampaign,
    TallyContacts,
    UnblockNumbers,
)
from cti.domain.effects import CampaignDrained, ContactsReturned, ContactsWanted, Ignored
from cti.domain.outbound.campaign import CampaignId
from cti.domain.outbound.dial import LiveCampaign
from cti.domain.outbound.quiet import forget_before, merged
from cti.domain.outbound.reservation import release
from cti.domain.pmap import drop, empty
from cti.domain.state import TimerKind
from cti.domain.work import Work

BUFFER_PER_AGENT: Final = 2
MIN_BUFFER: Final = 4


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
    for number in sorted(command.numbers):
        work.do_not_call[number] = True
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


def on_quiet(work: Work, command: QuietNumbers) -> None:
    """quiet.py rule 4: the store's book merged in, the book pruned to the horizon."""
    for number, quiet in sorted(command.numbers.items()):
        work.quiet[number] = merged(work.quiet.get(number), quiet)
    for number in forget_before(work.quiet.items(), command.horizon):
        work.quiet.pop(number)


def on_unblock(work: Work, command: UnblockNumbers) -> None:
    for number in sorted(command.numbers):
        work.do_not_call.pop(number)


def on_tally(work: Work, command: TallyContacts) -> None:
    """Rule 6."""
    live = work.campaigns.get(command.campaign)
    if live is None or not live.running:
        work.notes.append(Ignored(reason=f"campaign {command.campaign} is not running"))
        return
    work.campaigns[live.id] = live = replace(live, left=command.left)
    in_flight = (*work.dials.values(), *work.adopted.values())  # adopted: after a restart
    held = live.buffer or live.previews or any(d.campaign == live.id for d in in_flight)
    if command.left or held or live.config.standing:
        return
    work.emit(CampaignDrained(campaign=live.id, at=work.at))
    work.campaigns[live.id] = replace(live, running=False)
    work.set_timer(TimerKind.PACE, live.id, None)
    forget_if_idle(work, live.id)


def ask_for_contacts(work: Work) -> None:
    """Rule 5, after a decision that changed agents, configuration or campaigns."""
    running = [work.campaigns[c] for c in sorted(work.campaigns) if work.campaigns[c].running]
    if not running:
        return
    queues = {live.config.queue for live in running}
    members = Counter(
        queue
        for agent in work.agents
        if (profile := work.config.agents.get(agent)) is not None
        for queue in profile.queues
        if queue in queues
    )
    lined_queues = {
        queue: True
        for agent in work.lines
        if (profile := work.config.agents.get(agent)) is not None
        for queue in profile.queues
        if queue in queues
    }
    for live in running:
        count = members[live.config.queue]
        target = max(MIN_BUFFER, BUFFER_PER_AGENT * count) if count else 0
        want = max(0, target - len(live.buffer))
        lined = lined_queues.get(live.config.queue, False)
        if want != live.wanted or lined != live.lined:
            work.campaigns[live.id] = replace(live, wanted=want, lined=lined)
            work.emit(ContactsWanted(campaign=live.id, count=want, guaranteed=lined))


def forget_if_idle(work: Work, campaign: CampaignId) -> None:
    """Rule 2: a halted campaign leaves the core once its last call ended."""
    live = work.campaigns.get(campaign)
    if live is None or live.running:
        return
    if not any(d.campaign == campaign for d in work.dials.values()):
        work.campaigns.pop(campaign)
