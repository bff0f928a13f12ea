"""Preview dialling (P25): the agent looks at the next contact, then dials or skips it.

Rule 1: PreviewNext is allowed to an available agent of the campaign's queue while the
telephony link is up; it reserves the agent with the next contact that may be dialled now
(the contacts before it that may not go back to the shell, cti/domain/outbound/pacer.py
rule 3). The agent is reserved until it dials or skips.
Rule 2: PreviewDial checks the contact again (do-not-call, window, quiet period) just
before the dial; a contact that may not be dialled now is refused, to be skipped.
Rule 3: PreviewSkip records a `skipped` attempt (not a dial) and frees the agent.
"""

from __future__ import annotations

from dataclasses import replace

from cti.domain.agent import Trigger
from cti.domain.commands import PreviewDial, PreviewNext, PreviewSkip
from cti.domain.desk import CommandRefused, agent_of
from cti.domain.effects import AttemptEnded
from cti.domain.ids import AgentId
from cti.domain.nailed import guaranteed
from cti.domain.outbound.attempt import AttemptId, DialAttempt
from cti.domain.outbound.campaign import AttemptResult
from cti.domain.outbound.contact import Contact, after_attempt
from cti.domain.outbound.dial import LiveCampaign
from cti.domain.outbound.pacer import blocked_now, dial, next_contact
from cti.domain.outbound.pacing import DialMode
from cti.domain.outbound.reservation import release
from cti.domain.pmap import drop, put
from cti.domain.records import AgentState
from cti.domain.work import Work


def on_preview_next(work: Work, command: PreviewNext) -> None:
    agent = agent_of(work, command.agent)
    live = work.campaigns.get(command.campaign)
    if live is None or not live.running:
        raise CommandRefused(f"campaign {command.campaign} is not running", "conflict")
    if live.config.mode is not DialMode.PREVIEW:
        raise CommandRefused(f"campaign {live.id} dials by itself ({live.config.mode})", "invalid")
    profile = work.config.agents.get(agent.id)
    if profile is None or live.config.queue not in profile.queues:
        raise CommandRefused(
            f"agent {agent.id} does not serve queue {live.config.queue}", "conflict"
        )
    if agent.state is not AgentState.AVAILABLE:
        raise CommandRefused(f"agent {agent.id} is {agent.state}, not available", "conflict")
    if not work.telephony_up:
        raise CommandRefused("the telephony link is down: nothing can be dialled", "conflict")
    picked = next_contact(work, live.id, [agent], reserve=True)
    if picked is None:
        raise CommandRefused(f"campaign {live.id} has no contact to dial now", "conflict")
    contact = picked[0]
    live = work.campaigns[live.id]
    previews = put(live.previews, agent.id, contact)
    work.campaigns[live.id] = replace(live, previews=previews)
    waiting = replace(agent, call=None, channel=None, queue=live.config.queue)
    work.put_agent(agent, waiting.fire(Trigger.RESERVE, work.at))


def previewing(work: Work, agent_id: AgentId) -> tuple[LiveCampaign, Contact]:
    agent = agent_of(work, agent_id)
    for live in work.campaigns.values():
        contact = live.previews.get(agent.id)
        if contact is not None:
            return live, contact
    raise CommandRefused(f"agent {agent_id} has no contact in preview", "conflict")


def on_preview_dial(work: Work, command: PreviewDial) -> None:
    live, contact = previewing(work, command.agent)
    if not work.telephony_up:
        raise CommandRefused("the telephony link is down: nothing can be dialled", "conflict")
    # quiet.py rule 3: the dial rings the customer first, and the agent after the answer,
    # so only an agent on a nailed-up line is a guarantee (nailed.py rule 5).
    sure = guaranteed(work, work.agents.get(command.agent))
    blocked = blocked_now(work, live.config, contact, guaranteed=sure)
    if blocked is not None:
        reason = f"contact {contact.id} may not be dialled now ({blocked}): skip it"
        raise CommandRefused(reason, "conflict")
    work.campaigns[live.id] = replace(live, previews=drop(live.previews, command.agent))
    dial(work, live.config, contact, DialMode.PREVIEW, work.agents[command.agent])


def on_preview_skip(work: Work, command: PreviewSkip) -> None:
    live, contact = previewing(work, command.agent)
    work.campaigns[live.id] = replace(live, previews=drop(live.previews, command.agent))
    skip = DialAttempt(
        id=AttemptId(f"skip-{int(work.at * 1000)}-{command.agent}"),
        campaign=live.id,
        contact=contact.id,
        number=contact.number,
        agent=command.agent,
        mode=DialMode.PREVIEW,
        started_at=work.at,
        ended_at=work.at,
        result=AttemptResult.SKIPPED,
        person=False,
    )
    after = after_attempt(contact, live.config, AttemptResult.SKIPPED, work.at)
    work.emit(AttemptEnded(attempt=skip, contact=after))
    release(work, command.agent, None)
