"""The dialer's shell (issue 4; issue 12, item 1): plain I/O between the core's campaigns
and the campaign store. It never reads the engine's state: it acts on what the core tells
it (ContactsWanted, CampaignDrained, CallbackWanted) and on what the store holds.

Rule 1: the store is the truth about a campaign's status, the core about what it dials.
Every `interval` seconds the feeder reconciles the two: RunCampaign (with the abandon
window rebuilt from stored attempts) for a running campaign the feeder has not told the
core about, or whose configuration changed; HaltCampaign for one it told that no longer
runs. The API tells the core at once as well (through run_campaign); telling it twice is
harmless. The window is read only once every history record accepted until then is
committed: attempts still on their way to the store (spooled during an outage, or left
in the spool by a crash) would be missing from it, and the pacer would spend that
undercount against the abandon cap. Until then the core is not told; a later round is.
Rule 2: the do-not-call list is read every round and the core told what was added
(BlockNumbers) or removed (UnblockNumbers) since, so a number added behind the server's
back (the CLI on the database) reaches the core's dial check within a round.
Rule 3: contacts reach the core claimed. The core says how many more a campaign wants;
due contacts are checked (do-not-call, calling window in their time zone, the quiet period
after an abandoned call) and moved to DIALLING in the store, one atomic claim each, before
the core sees them. A contact that may not be dialled now is moved on to when it may
(never left at the head of the due list); one on the do-not-call list is closed.
Rule 4: each round the store's count of a running campaign's contacts pending or dialling
goes to the core (TallyContacts), which finishes a drained campaign itself; a campaign the
core drained is not run again while the store has yet to record its finish.
Rule 5: attempts, contacts handed back and finishes are history records (durable, in
order: cti/domain/outbound/outbound_records.py); the feeder writes only what the core asks for
callbacks (CallbackWanted), by one writer, retried after a pause, never dropped unless it
cannot be kept (a number that is not one, a finished callbacks campaign: logged). They are
not spooled: a callback to a number being dialled waits for that dial's attempt, which
would be behind it in the history's order.
Rule 6: at start, once the history left in the spool by the previous run is committed
(it may settle the contacts its attempts dialled), contacts still left DIALLING (the server
stopped without handing them back) are pending again only after RESTART_QUIET seconds:
one may have been dialled as the server stopped, and no contact is dialled twice on a
guess. At a clean stop the campaigns the feeder told the core about are halted first, so
their buffers are handed back.
Rule 7 (P9, P18): every round the store's overdue callbacks and follow-ups go to the core
(FlagOverdue), each once per due instant while the server runs, and only once every
history record accepted before the search is committed (so a callback whose attempt is
still on its way is not taken for one never dialled).
Rule 8 (issue 18): numbers are quiet across campaigns (cti/domain/outbound/quiet.py). A
due contact is checked against its number's last abandoned call and machine in the store,
over every campaign, before its claim; at start (before any contact reaches the core) and
every QUIET_REFRESH the core is told the whole book (QuietNumbers), which it merges with
what it learnt since and prunes to the horizon.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Final, Protocol

from cti.domain.callback import wanted_contact
from cti.domain.commands import (
    BlockNumbers,
    Command,
    FeedContacts,
    FlagOverdue,
    HaltCampaign,
    QuietNumbers,
    RunCampaign,
    TallyContacts,
    UnblockNumbers,
)
from cti.domain.effects import CallbackWanted, CampaignDrained, ContactsWanted
from cti.domain.ids import Instant
from cti.domain.outbound.campaign import CampaignConfig, CampaignId, CampaignStatus
from cti.domain.outbound.contact import (
    Blocked,
    Contact,
    ContactError,
    ContactEvent,
    ContactId,
    ContactStatus,
    dial_check,
    moved,
    overdue,
    reopens_at,
)
from cti.domain.outbound.quiet import NumberQuiet
from cti.domain.state import Decision
from cti.logs import Repeats
from cti.storage.callback_store import CallbackRefused, CallbackStore
from cti.storage.campaign_store import CampaignStore, StoredCampaign
from cti.storage.errors import CampaignRefused
from cti.storage.spool import Progress, settled

logger = logging.getLogger(__name__)

RESTART_QUIET: Final = 3600.0  # seconds before a contact left dialling is tried again
RETRY_PAUSE: Final = 2.0  # seconds before a failed write is tried again
SETTLE_WITHIN: Final = 2.0  # seconds the overdue search waits for history to be committed
QUIET_REFRESH: Final = 3600.0  # rule 8: seconds between rebuilds of the core's quiet book
DAY: Final = 86400.0
MIN_QUIET: Final = 72 * 3600.0  # the law's 72 hours, whatever the campaigns say


def quiet_horizon(configs: Iterable[CampaignConfig]) -> float:
    """How far back an abandoned call or a machine can still keep a number quiet: the
    longest abandon quiet period (72 h at least) and a day more for a machine's day in
    the farthest time zone."""
    return max([MIN_QUIET, *(c.abandon_quiet for c in configs)]) + DAY


class Engine(Protocol):
    async def execute(self, command: Command, *, within: float = 5.0) -> Decision: ...


class Dialer:
    """The campaign feeder (rules 1-4, 6, 7) and the core's LiveFeed (rule 5)."""

    def __init__(
        self,
        engine: Engine,
        store: CampaignStore,
        callbacks: CallbackStore,
        history: Progress,
        now: Callable[[], Instant],
        *,
        interval: float = 1.0,
    ) -> None:
        self._engine, self._store, self._callbacks = engine, store, callbacks
        self._history, self._now, self._interval = history, now, interval
        self._told: dict[CampaignId, CampaignConfig] = {}  # rule 1: running, as told
        self._drained: set[CampaignId] = set()  # rule 4: finished, not yet in the store
        self._wanted: dict[CampaignId, int] = {}  # rule 3: as the core last said
        self._lined: dict[CampaignId, bool] = {}  # ... with a member on a nailed-up line
        self._blocked: frozenset[str] | None = None  # rule 2: as the core was last told
        self._flagged: set[tuple[ContactId, Instant | None]] = set()  # rule 7
        self._quiet_told = Instant(0.0)  # rule 8: when the core was last told the book
        self._writes: asyncio.Queue[CallbackWanted] = asyncio.Queue()
        self.rounds = 0  # rounds completed (cti_dialer_rounds_total): what "a round later" means
        self.failed_rounds = 0

    # LiveFeed: called by the engine after every decision; never blocks.
    def publish(self, decision: Decision) -> None:
        for effect in decision.effects:
            if isinstance(effect, ContactsWanted):
                self._wanted[effect.campaign] = effect.count
                self._lined[effect.campaign] = effect.guaranteed
            elif isinstance(effect, CampaignDrained):
                self._drained.add(effect.campaign)
                self._told.pop(effect.campaign, None)
                self._wanted.pop(effect.campaign, None)
                self._lined.pop(effect.campaign, None)
            elif isinstance(effect, CallbackWanted):
                self._writes.put_nowait(effect)

    async def run(self) -> None:
        writer = asyncio.create_task(self._write_forever(), name="dialer-writer")
        try:
            await self._start()
            failures = Repeats(logger, "dialer round failed")
            while True:
                try:
                    await self.step()
                except Exception as exc:  # the store or the engine failed this round: next
                    self.failed_rounds += 1
                    failures.failed(exc)
                else:
                    self.rounds += 1
                    failures.succeeded()
                await asyncio.sleep(self._interval)
        finally:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    async def close(self, within: float = 5.0) -> None:
        """Clean stop (rule 6): halt the campaigns told, write the callbacks pending."""
        for campaign in sorted(self._told):
            try:
                await self._engine.execute(HaltCampaign(at=self._now(), campaign=campaign))
            except Exception:
                logger.exception("could not halt campaign %s at stop", campaign)
        self._told.clear()
        try:
            async with asyncio.timeout(within):
                while not self._writes.empty():
                    await self._store_callback(self._writes.get_nowait())
        except Exception:
            logger.exception("callbacks left unwritten at stop: %d", self._writes.qsize())

    async def _start(self) -> None:
        """Rule 6, once per start, after the previous run's history is committed (retried
        each round until it is, and the store answers)."""
        failures = Repeats(logger, "dialer start: the store could not be reconciled")
        while True:
            try:
                if await self._history_settled():
                    await self._reconcile()
                    failures.succeeded()
                    return
            except Exception as exc:
                failures.failed(exc)
            await asyncio.sleep(self._interval)

    async def _tell_quiet(self, campaigns: list[StoredCampaign]) -> None:
        """Rule 8: the book of quiet numbers, rebuilt from the stored attempts."""
        now = self._now()
        horizon = Instant(now - quiet_horizon([c.config for c in campaigns]))
        numbers = await self._store.quiet_numbers(horizon)
        await self._engine.execute(QuietNumbers(at=now, numbers=numbers, horizon=horizon))
        self._quiet_told = now

    async def _reconcile(self) -> None:
        not_before = Instant(self._now() + RESTART_QUIET)
        stored_campaigns = await self._store.list_campaigns()
        await self._tell_quiet(stored_campaigns)
        for stored in stored_campaigns:
            released = await self._store.release_dialling(stored.config.id, not_before=not_before)
            if released:
                logger.warning(
                    "campaign %s: %d contacts left dialling are pending again after %g s",
                    stored.config.id,
                    released,
                    RESTART_QUIET,
                )

    async def step(self) -> None:
        """One round: do-not-call (rule 2), statuses (rule 1), contacts (rules 3, 4),
        overdue callbacks (rule 7)."""
        do_not_call = await self._store.dnc_numbers()
        await self._tell_blocked(do_not_call)
        stored = await self._store.list_campaigns()
        if self._now() - self._quiet_told >= QUIET_REFRESH:
            await self._tell_quiet(stored)
        running = [c for c in stored if c.status is CampaignStatus.RUNNING]
        self._drained &= {c.config.id for c in running}
        for campaign in stored:
            await self._tell_status(campaign)
        for campaign in running:
            if campaign.config.id in self._told:
                await self._feed(campaign.config, do_not_call)
        await self._flag_overdue()

    async def _tell_blocked(self, numbers: frozenset[str]) -> None:
        before = self._blocked or frozenset()
        added, removed = numbers - before, before - numbers
        if added or self._blocked is None:
            await self._engine.execute(BlockNumbers(at=self._now(), numbers=added))
        if removed:
            await self._engine.execute(UnblockNumbers(at=self._now(), numbers=removed))
        self._blocked = numbers

    async def _tell_status(self, stored: StoredCampaign) -> None:
        campaign = stored.config.id
        if stored.status is CampaignStatus.RUNNING and campaign not in self._drained:
            if self._told.get(campaign) != stored.config:
                await self.run_campaign(stored.config)
        elif campaign in self._told:
            await self._engine.execute(HaltCampaign(at=self._now(), campaign=campaign))
            self._told.pop(campaign)
            self._wanted.pop(campaign, None)
            self._lined.pop(campaign, None)

    async def run_campaign(self, config: CampaignConfig) -> Decision | None:
        """RunCampaign with the window rebuilt from stored attempts (rule 1); None, the core
        not told, while the history has not settled."""
        if not await self._history_settled():
            logger.debug("campaign %s: waiting for the history to be written", config.id)
            return None
        now = self._now()
        window = await self._store.pacing_window(config, now)
        decision = await self._engine.execute(RunCampaign(at=now, config=config, window=window))
        self._told[config.id] = config
        return decision

    async def _feed(self, config: CampaignConfig, do_not_call: frozenset[str]) -> None:
        want = self._wanted.get(config.id, 0)
        claimed = await self._claim(config, want, do_not_call) if want > 0 else ()
        if claimed:
            command = FeedContacts(at=self._now(), campaign=config.id, contacts=claimed)
            await self._engine.execute(command)
        progress = await self._store.progress(config.id)
        left = progress.get(ContactStatus.PENDING, 0) + progress.get(ContactStatus.DIALLING, 0)
        await self._engine.execute(TallyContacts(at=self._now(), campaign=config.id, left=left))

    async def _claim(
        self, config: CampaignConfig, want: int, do_not_call: frozenset[str]
    ) -> tuple[Contact, ...]:
        now = self._now()
        due = await self._store.due_contacts(config.id, now, want)
        since = Instant(now - quiet_horizon([config]))
        book = await self._store.quiet_numbers(since, [c.number for c in due])
        claimed = []
        for contact in due:
            quiet = book.get(contact.number)
            # quiet.py rule 3: only an agent on a nailed-up line is a guarantee; the core
            # holds such contacts until one is free (pacer rule 3).
            sure = self._lined.get(config.id, False)
            blocked = dial_check(
                contact, config, now, do_not_call, quiet=quiet, agent_guaranteed=sure
            )
            if blocked is None:
                got = await self._store.claim(contact.id)
                if got is not None:
                    claimed.append(got)
            else:
                await self._put_off(contact, config, blocked, now, quiet)
        return tuple(claimed)

    async def _put_off(
        self,
        contact: Contact,
        config: CampaignConfig,
        blocked: Blocked,
        now: Instant,
        quiet: NumberQuiet | None,
    ) -> None:
        if blocked is Blocked.DO_NOT_CALL:
            later = moved(contact, ContactEvent.BLOCK)
        else:
            later = replace(contact, next_at=reopens_at(contact, config, now, quiet))
        await self._store.update_contact(later, expected=ContactStatus.PENDING)
        logger.info("contact %s not dialled now: %s", contact.id, blocked.value)

    # Rule 7 ----------------------------------------------------------------------------

    async def _flag_overdue(self) -> None:
        if not await self._history_settled():
            return
        now = self._now()
        found = [
            c for c in await self._callbacks.overdue(now) if (c.id, c.due) not in self._flagged
        ]
        fresh = []
        for contact in found:
            again = await self._store.contact(contact.id)  # it may have moved meanwhile
            if again is not None and overdue(again, now):
                fresh.append(again)
        if fresh:
            await self._engine.execute(FlagOverdue(at=now, contacts=tuple(fresh)))
            self._flagged.update((c.id, c.due) for c in fresh)

    async def _history_settled(self) -> bool:
        return await settled(self._history, SETTLE_WITHIN)

    # Rule 5 ----------------------------------------------------------------------------

    async def _write_forever(self) -> None:
        while True:
            wanted = await self._writes.get()
            while True:
                try:
                    await self._store_callback(wanted)
                    break
                except Exception:
                    logger.exception("callback write failed; retrying in %g s", RETRY_PAUSE)
                    await asyncio.sleep(RETRY_PAUSE)

    async def _store_callback(self, wanted: CallbackWanted) -> None:
        """A failure of the store is raised (retried); a callback that cannot be kept is
        logged and dropped."""
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
