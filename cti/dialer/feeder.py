"""The dialer's shell (issue 4): keeps the core's campaigns in step with the store.

Rule 1: the store is the truth about a campaign's status. Every `interval` seconds the
feeder reads it and tells the core (RunCampaign when running, with the abandon window
rebuilt from stored attempts; HaltCampaign when paused or stopped). The API only changes
the store, so a restarted server picks up exactly where the store says.
Rule 2: contacts reach the core claimed. Due contacts are checked (do-not-call list,
calling window in their time zone, the quiet period after an abandoned call) and moved to
DIALLING in the store, one atomic claim each, before the core sees them; the core keeps a
small buffer: BUFFER_PER_AGENT per logged-in agent of the campaign's queue, MIN_BUFFER at
least. A contact that may not be dialled now is moved on to when it may (never left at the
head of the due list); one on the do-not-call list is closed.
Rule 3: what the core reports is written in order by one writer: each attempt with its
contact (idempotent), and contacts handed back (pending again). A write that fails is
retried after a pause, never dropped. An attempt with no contact is one the core re-adopted
after a restart (cti/domain/adopt.py): its result goes onto the stored contact, which the
restart left dialling or pending (rule 4), and only then is the attempt written.
Rule 4: at start, contacts left DIALLING (the server stopped without handing them back)
are pending again only after RESTART_QUIET seconds: one may have been dialled as the
server stopped, and no contact is dialled twice on a guess. At a clean stop the running
campaigns are halted in the core first, so their buffers are handed back at once.
Rule 5: a running campaign with no contact pending or dialling, and none in the core, is
finished, unless it is standing (a queue's callbacks).
Rule 6 (P9, P18): callbacks and follow-ups the core asks for (CallbackWanted) are written
by the same writer, into the queue's callbacks campaign (cti/storage/callback_store.py);
one that cannot be kept (a number that is not one, a finished callbacks campaign) is
logged and dropped, as retrying cannot help. Every round the store's overdue callbacks and
follow-ups go to the core (FlagOverdue), each once per due instant while the server runs
(the finding's key makes a second one after a restart a no-op).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Final, Protocol

from cti.domain.attempt import DialAttempt
from cti.domain.callback import wanted_contact
from cti.domain.campaign import CampaignConfig, CampaignId, CampaignStatus
from cti.domain.commands import Command, FeedContacts, FlagOverdue, HaltCampaign, RunCampaign
from cti.domain.contact import (
    OPEN,
    Blocked,
    Contact,
    ContactError,
    ContactId,
    ContactStatus,
    after_attempt,
    dial_check,
    overdue,
    reopens_at,
)
from cti.domain.dial import LiveCampaign
from cti.domain.effects import AttemptEnded, CallbackWanted, ContactsReturned
from cti.domain.ids import Instant
from cti.domain.pacing import DialMode, tally
from cti.domain.state import AcdState, Decision
from cti.storage.callback_store import CallbackRefused, CallbackStore
from cti.storage.campaign_store import CampaignStore, StoredCampaign
from cti.storage.errors import CampaignRefused

logger = logging.getLogger(__name__)

BUFFER_PER_AGENT: Final = 2
MIN_BUFFER: Final = 4
RESTART_QUIET: Final = 3600.0  # seconds before a contact left dialling is tried again
RETRY_PAUSE: Final = 2.0  # seconds before a failed write is tried again


class Engine(Protocol):
    @property
    def state(self) -> AcdState: ...

    async def execute(self, command: Command, *, within: float = 5.0) -> Decision: ...


# An attempt with its contact (None: re-adopted, rule 3), a hand-back, or a callback.
Write = tuple[DialAttempt, Contact | None] | Contact | CallbackWanted


class Dialer:
    """The campaign feeder (rules 1, 2, 4, 5) and the core's LiveFeed writer (rule 3)."""

    def __init__(
        self,
        engine: Engine,
        store: CampaignStore,
        callbacks: CallbackStore,
        now: Callable[[], Instant],
        *,
        interval: float = 1.0,
    ) -> None:
        self._engine = engine
        self._store = store
        self._callbacks = callbacks
        self._flagged: set[tuple[ContactId, Instant | None]] = set()  # rule 6
        self._writing = False  # the writer holds an item it has not written yet
        self._now = now
        self._interval = interval
        self._writes: asyncio.Queue[Write] = asyncio.Queue()
        # Contacts pending or dialling per running campaign, as of the last round (metrics).
        self.remaining: dict[CampaignId, int] = {}

    # LiveFeed: called by the engine after every decision; never blocks (rule 3).
    def publish(self, decision: Decision) -> None:
        for effect in decision.effects:
            if isinstance(effect, AttemptEnded):
                self._writes.put_nowait((effect.attempt, effect.contact))
            elif isinstance(effect, ContactsReturned):
                for contact in effect.contacts:
                    self._writes.put_nowait(contact)
            elif isinstance(effect, CallbackWanted):
                self._writes.put_nowait(effect)

    async def run(self) -> None:
        writer = asyncio.create_task(self._write_forever(), name="dialer-writer")
        try:
            await self._reconcile()
            while True:
                try:
                    await self.step()
                except Exception:  # the store or the engine failed this round: next one
                    logger.exception("dialer round failed")
                await asyncio.sleep(self._interval)
        finally:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    async def close(self, within: float = 5.0) -> None:
        """Clean stop (rule 4): halt the running campaigns, write what is pending."""
        for campaign in list(self._engine.state.campaigns):
            try:
                await self._engine.execute(HaltCampaign(at=self._now(), campaign=campaign))
            except Exception:
                logger.exception("could not halt campaign %s at stop", campaign)
        try:
            async with asyncio.timeout(within):
                while not self._writes.empty():
                    await self._write(self._writes.get_nowait())
        except Exception:
            logger.exception("dialer writes left unwritten at stop: %d", self._writes.qsize())

    async def _reconcile(self) -> None:
        """Rule 4, once per start."""
        not_before = Instant(self._now() + RESTART_QUIET)
        for stored in await self._store.list_campaigns():
            released = await self._store.release_dialling(stored.config.id, not_before=not_before)
            if released:
                logger.warning(
                    "campaign %s: %d contacts left dialling are pending again after %g s",
                    stored.config.id,
                    released,
                    RESTART_QUIET,
                )

    async def step(self) -> None:
        """One round: statuses to the core (rule 1), then contacts (rules 2, 5)."""
        stored = await self._store.list_campaigns()
        live = self._engine.state.campaigns
        for campaign in stored:
            current = live.get(campaign.config.id)
            if campaign.status is CampaignStatus.RUNNING:
                if current is None or not current.running or current.config != campaign.config:
                    await self._run(campaign.config)
            elif current is not None and current.running:
                await self._engine.execute(HaltCampaign(at=self._now(), campaign=current.id))
        running = [c for c in stored if c.status is CampaignStatus.RUNNING]
        self.remaining = {c.config.id: self.remaining.get(c.config.id, 0) for c in running}
        if running:
            do_not_call = await self._store.dnc_numbers()
            for campaign in running:
                await self._feed(campaign, do_not_call)
        await self._flag_overdue()

    async def _flag_overdue(self) -> None:
        """Rule 6. A callback the core is dialling, dialled by its due instant, is kept
        though the store still says "dialling, no attempt"; one whose attempt is still to
        be written waits for the next round, and each is read again before it is flagged
        (the store may have changed while it was being searched)."""
        now = self._now()
        found = [
            c for c in await self._callbacks.overdue(now) if (c.id, c.due) not in self._flagged
        ]
        fresh = []
        for contact in found:
            if not self._settled():
                return
            dialled = next(
                (d for d in self._engine.state.dials.values() if d.contact.id == contact.id), None
            )
            if (
                dialled is not None
                and contact.due is not None
                and dialled.started_at <= contact.due
            ):
                continue
            again = await self._store.contact(contact.id)
            if again is not None and overdue(again, now) and self._settled():
                fresh.append(again)
        if fresh:
            await self._engine.execute(FlagOverdue(at=now, contacts=tuple(fresh)))
            self._flagged.update((c.id, c.due) for c in fresh)

    def _settled(self) -> bool:
        """Nothing the core reported is waiting to be written."""
        return self._writes.empty() and not self._writing

    async def _run(self, config: CampaignConfig) -> None:
        now = self._now()
        length = config.pacing.window
        attempts = await self._store.attempts_since(config.id, Instant(now - length))
        window = tally(attempts, now, length)
        await self._engine.execute(RunCampaign(at=now, config=config, window=window))

    async def _feed(self, stored: StoredCampaign, do_not_call: frozenset[str]) -> None:
        state = self._engine.state
        live = state.campaigns.get(stored.config.id)
        if live is None or not live.running:
            return
        want = self._target(state, live) - len(live.buffer)
        claimed = await self._claim(live.config, want, do_not_call) if want > 0 else ()
        if claimed:
            command = FeedContacts(at=self._now(), campaign=live.id, contacts=claimed)
            await self._engine.execute(command)
        progress = await self._store.progress(live.id)
        left = progress.get(ContactStatus.PENDING, 0) + progress.get(ContactStatus.DIALLING, 0)
        self.remaining[live.id] = left
        if not left and not live.config.standing:
            await self._finish_if_done(live.id)

    @staticmethod
    def _target(state: AcdState, live: LiveCampaign) -> int:
        agents = state.config.agents
        members = sum(
            1
            for agent in state.agents
            if (profile := agents.get(agent)) is not None and live.config.queue in profile.queues
        )
        return max(MIN_BUFFER, BUFFER_PER_AGENT * members) if members else 0

    async def _claim(
        self, config: CampaignConfig, want: int, do_not_call: frozenset[str]
    ) -> tuple[Contact, ...]:
        now = self._now()
        guaranteed = config.mode is not DialMode.PREDICTIVE
        claimed = []
        for contact in await self._store.due_contacts(config.id, now, want):
            blocked = dial_check(contact, config, now, do_not_call, agent_guaranteed=guaranteed)
            if blocked is None:
                got = await self._store.claim(contact.id)
                if got is not None:
                    claimed.append(got)
            else:
                await self._put_off(contact, config, blocked, now)
        return tuple(claimed)

    async def _put_off(
        self, contact: Contact, config: CampaignConfig, blocked: Blocked, now: Instant
    ) -> None:
        if blocked is Blocked.DO_NOT_CALL:
            later = replace(contact, status=ContactStatus.CLOSED)
        else:
            later = replace(contact, next_at=reopens_at(contact, config, now))
        await self._store.update_contact(later, expected=ContactStatus.PENDING)
        logger.info("contact %s not dialled now: %s", contact.id, blocked.value)

    async def _finish_if_done(self, campaign: CampaignId) -> None:
        """Rule 5, for a campaign with no contact pending or dialling in the store."""
        state = self._engine.state
        live = state.campaigns.get(campaign)
        if live is None or live.buffer or live.previews:
            return
        if any(d.campaign == campaign for d in state.dials.values()):
            return
        if not self._writes.empty():
            return  # an attempt still to be written may reopen a contact
        await self._store.set_status(campaign, CampaignStatus.FINISHED)
        await self._engine.execute(HaltCampaign(at=self._now(), campaign=campaign))
        logger.info("campaign %s finished: every contact is done or closed", campaign)

    # Rule 3 ----------------------------------------------------------------------------

    async def _write_forever(self) -> None:
        while True:
            item = await self._writes.get()
            self._writing = True
            while True:
                try:
                    await self._write(item)
                    break
                except Exception:
                    logger.exception("dialer write failed; retrying in %g s", RETRY_PAUSE)
                    await asyncio.sleep(RETRY_PAUSE)
            self._writing = False

    async def _write(self, item: Write) -> None:
        if isinstance(item, CallbackWanted):
            await self._store_callback(item)
            return
        if isinstance(item, tuple):
            attempt, contact = item
            if contact is None:
                await self._settle_stored_contact(attempt)
            await self._store.record_attempt(attempt, contact)
            return
        pending = replace(item, status=ContactStatus.PENDING)
        await self._store.update_contact(pending, expected=ContactStatus.DIALLING)

    async def _settle_stored_contact(self, attempt: DialAttempt) -> None:
        """Rule 3, for an attempt of a re-adopted call. Once settled the contact is no longer
        open, so a retry after the attempt's own write failed changes it no more."""
        stored = await self._store.contact(attempt.contact)
        if stored is None or stored.status not in OPEN:
            return
        campaign = await self._store.get(attempt.campaign)
        after = after_attempt(stored, campaign.config, attempt.result, attempt.ended_at)
        await self._store.update_contact(after, expected=stored.status)

    async def _store_callback(self, wanted: CallbackWanted) -> None:
        """Rule 6: a failure of the store is raised (retried); a callback that cannot be
        kept is logged and dropped."""
        campaign = await self._callbacks.campaign(wanted.queue)
        try:
            contact = wanted_contact(wanted, campaign)
            await self._callbacks.add(contact)
        except CallbackRefused:
            raise  # its number is being dialled: in a moment it is not
        except (ContactError, CampaignRefused) as exc:
            logger.error(
                "%s for %s on queue %s not kept: %s", wanted.kind, wanted.number, wanted.queue, exc
            )
            return
        logger.info("%s %s stored, due %s", wanted.kind, contact.id, contact.due)
