"""The pacer's driver: after every input, each running campaign dials what pacing says.

Rule 1 (pacing): each running campaign that has claimed contacts is paced
(cti/domain/outbound/predictive.py) from the live picture of its queue's agents, and only while
the AMI link is up. Predictive campaigns are looked at again every PACE_EVERY seconds,
as forecasts move. Only a tick, or a change to what pacing reads (agents, phones, dials,
campaigns, configuration, the link), can change the answer: other inputs cost nothing.
Rule 2 (reservation): a dial the pacer makes as progressive reserves its agent
(cti/domain/outbound/reservation.py); predictive dials reserve nobody: dispatch serves
them ahead of inbound callers (OUTBOUND_PRIORITY), through the same connect path.
Rule 3 (contacts): each contact is checked again just before its dial (calling window in
its own time zone, its number's quiet periods across campaigns, due time); one that may
not be dialled now goes back to the shell (ContactsReturned). No agent these dials
reserve is a guarantee (cti/domain/outbound/quiet.py rule 3) unless it is on a nailed-up
line (cti/domain/nailed.py rule 5): a contact inside its number's quiet period is dialled
only with such an agent free, reserved for it in any mode, and waits in the buffer for one
while a member of the queue is on a line. A number with a dial in
flight (of any campaign) is not dialled again meanwhile: the contact stays in the buffer,
so a person never gets two of our calls at once and a second abandon inside the first's
quiet period cannot start.
Rule 4 (callbacks, P9): a contact promised by one agent is dialled only with that agent
reserved, in any mode, and waits in the buffer while the agent is not free; the contacts
behind it are dialled meanwhile.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from cti.domain.agent import Agent, Trigger
from cti.domain.dispatch import reachable
from cti.domain.effects import ContactsReturned, OriginateCall
from cti.domain.ids import CallId, ChannelId
from cti.domain.nailed import guaranteed
from cti.domain.outbound.campaign import CampaignConfig, CampaignId
from cti.domain.outbound.contact import Blocked, Contact, ContactStatus, dial_check
from cti.domain.outbound.dial import Dial, LiveCampaign
from cti.domain.outbound.dialing import DIAL_GRACE
from cti.domain.outbound.pacing import DialMode
from cti.domain.outbound.predictive import Busy, Phase, Ringing, Snapshot, pace
from cti.domain.outbound.reservation import waiting_agent
from cti.domain.records import AgentState
from cti.domain.state import TimerKind
from cti.domain.work import Work

QUIET: Final = frozenset({Blocked.ABANDON_QUIET, Blocked.MACHINE_QUIET})
OUTBOUND_PRIORITY: Final = 1000  # answered outbound calls go before inbound callers
PACE_EVERY: Final = 1.0  # seconds between a predictive campaign's looks without news


def pace_all(work: Work, *, tick: bool) -> None:
    """Rule 1."""
    if not work.telephony_up or not work.campaigns:
        return
    if not (tick or pacing_inputs_changed(work)):
        return
    for campaign in sorted(work.campaigns):
        live = work.campaigns[campaign]
        if live.running and live.buffer and live.config.mode is not DialMode.PREVIEW:
            _pace(work, live)


def pacing_inputs_changed(work: Work) -> bool:
    return not work.base.telephony_up or work.changed(
        "config", "agents", "devices", "dials", "campaigns", "lines"
    )


def _pace(work: Work, live: LiveCampaign) -> None:
    members = _members(work, live.config)
    free = _free(work, members)
    snapshot = _snapshot(work, live, members, len(free))
    window = live.window.at(work.at)
    decided = pace(snapshot, config=live.config.pacing, stats=live.stats, window=window)
    work.campaigns[live.id] = replace(live, window=window, last=decided)
    reserve = decided.mode is not DialMode.PREDICTIVE
    for _ in range(decided.dials):
        if reserve and not free:
            break
        picked = next_contact(work, live.id, free, reserve=reserve)
        if picked is None:
            break
        contact, agent = picked
        dial(work, live.config, contact, decided.mode, agent)
    again = live.config.mode is DialMode.PREDICTIVE and work.campaigns[live.id].buffer
    work.set_timer(TimerKind.PACE, live.id, work.at + PACE_EVERY if again else None)


def _members(work: Work, config: CampaignConfig) -> list[Agent]:
    found = []
    for agent in work.agents.values():
        profile = work.config.agents.get(agent.id)
        if profile is not None and config.queue in profile.queues:
            found.append(agent)
    return found


def _free(work: Work, members: list[Agent]) -> list[Agent]:
    """Available members whose phones are idle, longest idle first (ties by id)."""
    free = [a for a in members if a.state is AgentState.AVAILABLE and reachable(work, a)]
    return sorted(free, key=lambda a: (a.since, a.id))


def _snapshot(work: Work, live: LiveCampaign, members: list[Agent], ready: int) -> Snapshot:
    busy = []
    for agent in members:
        if agent.state in (AgentState.OFFERED, AgentState.ON_CALL):
            busy.append(Busy(phase=Phase.TALK, since=agent.since))
        elif agent.state is AgentState.WRAP_UP:
            busy.append(Busy(phase=Phase.WRAP_UP, since=agent.since))
    dials = [d for d in work.dials.values() if d.campaign == live.id]
    return Snapshot(
        now=work.at,
        logged_in=len(members),
        ready=ready,
        busy=tuple(busy),
        ringing=tuple(
            Ringing(since=d.started_at, reserved=_reserved(work, d)) for d in dials if d.ringing
        ),
        waiting=sum(1 for d in dials if d.held and not _reserved(work, d)),
    )


def _reserved(work: Work, dial: Dial) -> bool:
    return waiting_agent(work, dial) is not None


def next_contact(
    work: Work, campaign: CampaignId, free: list[Agent], *, reserve: bool
) -> tuple[Contact, Agent | None] | None:
    """The first buffered contact that may be dialled now, with the agent to reserve for
    it (taken from `free`): the contact's own agent for a callback promised by one (kept
    in the buffer while that agent is not free, rule 4), else the first free agent when
    reserving, else none. The contacts before it that may not be dialled now go back to
    the shell (rule 3)."""
    live = work.campaigns[campaign]
    kept: list[Contact] = []
    buffer = list(live.buffer)
    found: tuple[Contact, Agent | None] | None = None
    while buffer and found is None:
        contact = buffer.pop(0)
        bound = contact.agent is not None
        # quiet.py rule 3: an agent reserved here who must still ring and answer is no
        # guarantee; one on a nailed-up line is (nailed.py rule 5).
        blocked = blocked_now(work, live.config, contact, guaranteed=False)
        if blocked in QUIET:
            lined = _guarantor(work, contact, free)
            if lined is not None and blocked_now(work, live.config, contact, guaranteed=True):
                lined = None
            if lined is not None:
                found = (contact, lined)
                continue
            if _lined_members(work, live.config):
                kept.append(contact)  # waits for an agent on a line to be free
                continue
        if blocked is Blocked.IN_CALL:
            kept.append(contact)
        elif blocked is not None:
            work.emit(ContactsReturned(campaign=campaign, contacts=(contact,), why=blocked.value))
        elif bound:
            agent = next((a for a in free if a.id == contact.agent), None)
            if agent is None:
                kept.append(contact)
            else:
                found = (contact, agent)
        elif not reserve or free:
            found = (contact, free[0] if reserve else None)
        else:
            kept.append(contact)
    if found is not None and found[1] is not None:
        free.remove(found[1])
    work.campaigns[campaign] = replace(live, buffer=(*kept, *buffer))
    return found


def _guarantor(work: Work, contact: Contact, free: list[Agent]) -> Agent | None:
    """A free agent whose nailed-up line is up (the contact's own for a promised callback),
    to reserve for a dial inside the number's quiet period (rule 3)."""
    lined = [a for a in free if guaranteed(work, a)]
    if contact.agent is not None:
        lined = [a for a in lined if a.id == contact.agent]
    return lined[0] if lined else None


def _lined_members(work: Work, config: CampaignConfig) -> bool:
    """Whether any logged-in member of the campaign's queue is on a nailed-up line."""
    return any(a.id in work.lines for a in _members(work, config))


def blocked_now(
    work: Work, config: CampaignConfig, contact: Contact, *, guaranteed: bool
) -> Blocked | None:
    """Rule 3: why a claimed contact may not be dialled at this very moment, if it may not.
    Claimed contacts are DIALLING in the store: this is the check made before the claim,
    made again at the dial, with the do-not-call list the core holds."""
    pending = replace(contact, status=ContactStatus.PENDING)
    quiet = work.quiet.get(contact.number)
    blocked = dial_check(
        pending, config, work.at, work.do_not_call, quiet=quiet, agent_guaranteed=guaranteed
    )
    if blocked is None and _in_flight(work, contact.number):
        return Blocked.IN_CALL
    return blocked


def _in_flight(work: Work, number: str) -> bool:
    dials = (*work.dials.values(), *work.adopted.values())
    return any(d.contact.number == number for d in dials)


def dial(
    work: Work, config: CampaignConfig, contact: Contact, mode: DialMode, agent: Agent | None
) -> None:
    channel = _new_channel(work)
    work.dials[channel] = Dial(
        channel=channel,
        campaign=config.id,
        contact=contact,
        mode=mode,
        agent=agent.id if agent else None,
        started_at=work.at,
    )
    if agent is not None:
        waiting = replace(agent, call=CallId(channel), channel=channel, queue=config.queue)
        target = (
            waiting
            if agent.state is AgentState.RESERVED
            else waiting.fire(Trigger.RESERVE, work.at)
        )
        work.put_agent(agent, target)
    work.set_timer(TimerKind.DIAL, channel, work.at + config.ring_timeout + DIAL_GRACE)
    work.emit(
        OriginateCall(
            channel=channel,
            campaign=config.id,
            queue=config.queue,
            number=contact.number,
            caller_id=config.caller_id,
            ring_timeout=config.ring_timeout,
            machine_detection=config.machine_detection,
            priority=OUTBOUND_PRIORITY,
        )
    )


def _new_channel(work: Work) -> ChannelId:
    """Unique across restarts: the millisecond of the dial and the dials since start."""
    work.dialled += 1
    return ChannelId(f"out-{int(work.at * 1000)}-{work.dialled}")
