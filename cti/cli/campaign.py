"""`cti campaign` and `cti dnc`: outbound campaigns and the do-not-call list from a shell.

Rule 1: as `cti admin` (cti/cli/admin.py, whose runner this uses): settings as `cti serve`
loads them, the database opened and closed per command, one line per user error on
stderr with exit 2, and exit 1 when the database cannot be reached.
Rule 2: `set` changes only the options given (a new campaign needs --queue, which must be
a configured queue); the whole config is validated by the store, as the API's PUT is. Its
options are the campaign's settings (cti/cli/options.py), the pacing's and seat targets'
prefixed (`--pacing-hold`, `--seat-max-dials`), with the short names of ALIASES.
Rule 3: `upload` prints what it imported and what was there already, then each bad row
as "FILE: line <n>: reason" on stderr; it exits 1 when nothing in the file was usable
(no usable header, or every row bad), else 0.
Rule 4: start, pause and stop move the status only; nothing is dialled yet.
Rule 6: with a server configured, set, upload, start, pause, stop and the do-not-call
changes go through its API (cti/cli/server.py); reading stays on the database.
Rule 5: `stats` and `seats` print the API's figures (cti/api/campaign_stats.py) as
aligned tables: --since and --until as the API takes them (epoch seconds or ISO 8601 with
an offset), --day as YYYY-MM-DD in UTC (today when left out).
Rule 7: `list` says when a campaign's next contact is due ("next due", in UTC) when none
is due now and some are pending (all put off: the campaign stays running); `stats` prints
how many are due now and when the next is ("now" while some are due, "-" with none
pending).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Final, NamedTuple

from cti.api.errors import ApiError
from cti.api.query import instant
from cti.cli.admin import COMMON, Parser, Subcommands, UsageError, add_command, run_cli
from cti.cli.options import add_options, changed
from cti.cli.server import through
from cti.domain.config import ConfigError
from cti.domain.ids import Instant, QueueId
from cti.domain.outbound.abandon_window import AbandonWindow
from cti.domain.outbound.campaign import (
    CallingWindow,
    CampaignConfig,
    CampaignId,
    CampaignStatus,
    SeatTargets,
    new_campaign,
)
from cti.domain.outbound.contact import ContactStatus, normalize_number
from cti.domain.outbound.seats import (
    ADVICE_TEXT,
    Advice,
    SeatFinding,
    SeatReview,
    day_of,
    day_range,
    review,
)
from cti.engine.clock import SystemClock
from cti.storage.campaign_stats import AttemptFigures
from cti.storage.campaign_store import CampaignStore, Due
from cti.storage.config_store import ConfigStore
from cti.storage.contact_upload import Upload, upload_contacts
from cti.storage.database import Database
from cti.storage.errors import ConfigNotFound

CAMPAIGN_PROG: Final = "cti campaign"
DNC_PROG: Final = "cti dnc"
WHEN: Final = "epoch seconds or ISO 8601 with an offset"
Rows = list[tuple[str, ...]]
A = Advice
ALIASES: Final = {  # short names the README uses
    "pacing_mode": "--mode",
    "pacing_abandon_cap_pct": "--abandon-cap",
    "shown_fields": "--show",
}
STATUS_OF: Final = {
    "start": CampaignStatus.RUNNING,
    "pause": CampaignStatus.PAUSED,
    "stop": CampaignStatus.FINISHED,
}


class Stores(NamedTuple):
    config: ConfigStore
    campaigns: CampaignStore


def run_campaign_command(argv: list[str]) -> int:
    """Runs `cti campaign ARGV...`; the exit status (rule 1, and rule 3 for upload)."""
    return run_cli(CAMPAIGN_PROG, _campaign_parser, argv, _with_stores)


def run_dnc_command(argv: list[str]) -> int:
    """Runs `cti dnc ARGV...`; the exit status (rule 1)."""
    return run_cli(DNC_PROG, _dnc_parser, argv, _with_stores)


async def _with_stores(args: argparse.Namespace, database: Database) -> int:
    timeout = database.timeout
    stores = Stores(
        ConfigStore(database, timeout=timeout), CampaignStore(database, timeout=timeout)
    )
    status: int = await args.command(args, stores)
    return status


# Campaigns -------------------------------------------------------------------------------


async def _set(args: argparse.Namespace, stores: Stores) -> int:
    campaign = CampaignId(args.id)
    existing = {c.config.id: c.config for c in await stores.campaigns.list_campaigns()}
    base = existing.get(campaign)
    if base is None:
        if args.queue is None:
            raise UsageError(f"campaign {campaign} is new: --queue is required")
        base = new_campaign(campaign, QueueId(args.queue))
    config = _changed(base, args)
    if config.queue not in (await stores.config.load()).queues:
        raise ConfigError(f"unknown queue '{config.queue}'")
    if await through(args.server, lambda server: server.save_campaign(config)) is not None:
        print(f"campaign {campaign} stored by the server")
        return 0
    created = await stores.campaigns.save(config)
    print(f"campaign {campaign} {'created (draft)' if created else 'updated'}")
    return 0


def _uploaded(answer: object) -> Upload | None:
    """The server's answer to an upload as the store's (None: no answer, rule 4)."""
    if not isinstance(answer, dict):
        return None
    errors = [str(e) for e in answer.get("errors", [])]
    return Upload(
        imported=int(answer.get("imported", 0)), already=int(answer.get("already", 0)),
        errors=tuple(errors), refused=False,
    )  # fmt: skip


def _changed(base: CampaignConfig, args: argparse.Namespace) -> CampaignConfig:
    """The campaign with the options given (rule 2); --window sets both its ends."""
    config = changed(base, args)
    return config if args.window is None else replace(config, window=args.window)


async def _upload(args: argparse.Namespace, stores: Stores) -> int:
    try:
        text = await asyncio.to_thread(Path(args.file).read_text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{args.file} is not UTF-8 text") from None
    answer = await through(args.server, lambda server: server.upload(CampaignId(args.id), text))
    upload = _uploaded(answer) or await upload_contacts(stores.campaigns, CampaignId(args.id), text)
    if not upload.refused:
        print(f"imported {upload.imported}, already there {upload.already}")
    for error in upload.errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    usable = not upload.refused and (upload.imported or upload.already or not upload.errors)
    return 0 if usable else 1


async def _status(args: argparse.Namespace, stores: Stores) -> int:
    status = STATUS_OF[args.action]
    campaign = CampaignId(args.id)
    if await through(args.server, lambda server: server.campaign_action(campaign, args.action)):
        print(f"campaign {args.id} {status}")
        return 0
    acd = await stores.config.load() if status is CampaignStatus.RUNNING else None
    await stores.campaigns.set_status(CampaignId(args.id), status, acd=acd)
    print(f"campaign {args.id} {status}")
    return 0


async def _list(_args: argparse.Namespace, stores: Stores) -> int:
    now = SystemClock().now()
    for stored in await stores.campaigns.list_campaigns():
        c = stored.config
        progress = await stores.campaigns.progress(c.id)
        due = await stores.campaigns.due(c.id, now)
        counts = ", ".join(f"{s} {progress.get(s, 0)}" for s in ContactStatus)
        later = "" if due.due_now or due.next_due is None else f"; next due {_utc(due.next_due)}"
        print(
            f"campaign {c.id} ({c.name or '-'}): queue {c.queue}, {c.mode}, {stored.status}; "
            f"contacts {sum(progress.values())}: {counts}{later}"
        )
    return 0


async def _stats(args: argparse.Namespace, stores: Stores) -> int:
    campaign, store = CampaignId(args.id), stores.campaigns
    if args.since is not None and args.until is not None and args.since >= args.until:
        raise UsageError("--since must be before --until")
    stored, now = await store.get(campaign), SystemClock().now()
    figures = await store.attempt_figures(campaign, args.since, args.until)
    window = await store.abandon_window(campaign, now, stored.config.pacing.window)
    progress, due = await store.progress(campaign), await store.due(campaign, now)
    since, until = _when(args.since, "the first"), _when(args.until, "now")
    kind = f"{stored.config.mode}, {stored.status}"
    print(f"campaign {campaign} ({kind}): attempts from {since} until {until}")
    rows = _figure_rows(figures, progress) + _due_rows(due)
    rows += _window_rows(window, stored.config.pacing.abandon_cap)
    _table(("figure", "value"), rows)
    return 0


def _figure_rows(figures: AttemptFigures, progress: Mapping[ContactStatus, int]) -> Rows:
    return [
        ("attempts", str(figures.attempts)),
        *((f"  {result}", str(n)) for result, n in figures.by_result.items()),
        ("dials", str(figures.dials)),
        ("answered by a person", str(figures.answered_by_person)),
        ("abandon rate", _pct(figures.abandon_rate)),
        ("average ring", _secs(figures.average_ring_seconds)),
        ("average time to connect", _secs(figures.average_connect_seconds)),
        ("contacts", str(sum(progress.values()))),
        *((f"  {status}", str(progress.get(status, 0))) for status in ContactStatus),
    ]


def _due_rows(due: Due) -> Rows:
    """Rule 7: the pending contacts due now, and when the next one is."""
    next_due = "now" if due.due_now else "-" if due.next_due is None else _utc(due.next_due)
    return [("  due now", str(due.due_now)), ("  next due", next_due)]


def _window_rows(window: AbandonWindow, cap: float) -> Rows:
    """The abandon window as the pacer holds it now, with its cap (pacing rule 2)."""
    return [
        (f"abandon window, last {window.length / 3600:g} h", ""),
        ("  answered by a person", str(window.answered)),
        ("  abandoned", str(window.abandoned)),
        ("  abandon rate", _pct(window.rate if window.answered else None)),
        ("  cap", _pct(cap)),
        ("  predictive dials ahead", "yes" if window.room(cap) >= 1.0 else "no"),
    ]


async def _seats(args: argparse.Namespace, stores: Stores) -> int:
    day: date = args.day or day_of(SystemClock().now())
    campaign = None if args.campaign is None else CampaignId(args.campaign)
    targets = SeatTargets()
    if campaign is not None:
        targets = (await stores.campaigns.get(campaign)).config.seat
    counts = await stores.campaigns.seat_day(*day_range(day), campaign)
    found = review(counts.seats, counts.unassigned, targets)
    print(
        f"outbound seats on {day} (UTC), {f'campaign {campaign}' if campaign else 'all campaigns'}:"
        f" targets {targets.min_dials}-{targets.max_dials} dials,"
        f" {targets.min_successes}-{targets.max_successes} successes a seat"
    )
    rows = [
        (
            str(seat.agent),
            str(seat.count.dials),
            str(seat.count.successes),
            _findings(seat.findings),
        )
        for seat in found.seats
    ]
    rows.append(("(no agent)", str(counts.unassigned.dials), str(counts.unassigned.successes), ""))
    _table(("agent", "dials", "successes", "advice"), rows, left=(0, 3))
    print(_staffing(found))
    return 0


def _findings(findings: tuple[SeatFinding, ...]) -> str:
    said = {"min": "<", "max": ">"}
    told = [
        f"{f.measure} {f.value} {said[f.bound]} {f.limit}: {ADVICE_TEXT[f.advice]}"
        for f in findings
    ]
    return "; ".join(told) or "in range"


def _staffing(found: SeatReview) -> str:
    s = found.staffing
    supported = "any number" if s.seats_supported is None else f"at most {s.seats_supported}"
    line = (
        f"total: seats {s.seats}, dials {s.volume.dials}, successes {s.volume.successes};"
        f" seats needed {s.seats_needed}, kept busy {supported}"
    )
    if A.ADD_SEATS in s.advice:
        line += f"; {ADVICE_TEXT[A.ADD_SEATS]}: {s.seats_short} more"
    if A.ADD_DIALLING in s.advice:
        short = f"{s.dials_short} dials, {s.successes_short} successes short"
        line += f"; {ADVICE_TEXT[A.ADD_DIALLING]}: {short}"
    return line


def _table(
    head: Sequence[str], rows: Sequence[Sequence[str]], left: tuple[int, ...] = (0,)
) -> None:
    """Columns padded to their widest cell: the `left` ones (text) left-aligned, the others
    (numbers) right-aligned."""
    widths = [max(map(len, column)) for column in zip(head, *rows, strict=True)]
    for row in (head, *rows):
        cells = [
            cell.ljust(width) if i in left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


def _pct(ratio: float | None) -> str:
    return "-" if ratio is None else f"{100 * ratio:.1f} %"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s"


def _utc(at: Instant) -> str:
    """An instant as ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def _when(at: Instant | None, open_end: str) -> str:
    return open_end if at is None else datetime.fromtimestamp(at, UTC).isoformat()


# Do not call -----------------------------------------------------------------------------


async def _dnc_add(args: argparse.Namespace, stores: Stores) -> int:
    numbers = {normalize_number(number) for number in args.numbers}  # ContactError names it
    answer = await through(args.server, lambda server: server.dnc_add(sorted(numbers), args.note))
    if isinstance(answer, dict) and isinstance(answer.get("added"), int):
        added = int(answer["added"])
    else:
        added = await stores.campaigns.dnc_add(numbers, args.note)
    print(f"{added} added, {len(numbers) - added} listed already")
    return 0


async def _dnc_remove(args: argparse.Namespace, stores: Stores) -> int:
    if await through(args.server, lambda server: server.dnc_remove(args.number)) is not None:
        print(f"{args.number} removed")
        return 0
    if not await stores.campaigns.dnc_remove(args.number):
        raise ConfigNotFound(f"{args.number} is not on the do-not-call list")
    print(f"{args.number} removed")
    return 0


async def _dnc_list(_args: argparse.Namespace, stores: Stores) -> int:
    for number in sorted(await stores.campaigns.dnc_numbers()):
        print(number)
    return 0


# Parsers ---------------------------------------------------------------------------------


def _window(text: str) -> CallingWindow:
    """An argparse type for --window 09:00-20:30."""
    start, dash, end = text.partition("-")
    try:
        if not dash:
            raise ValueError
        return CallingWindow(start=time.fromisoformat(start), end=time.fromisoformat(end))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HH:MM-HH:MM, got {text!r}") from None


def _commands(parser: Parser) -> Subcommands:
    return parser.add_subparsers(
        dest="action", metavar="COMMAND", required=True, parser_class=Parser
    )


def _campaign_parser() -> Parser:
    parser = Parser(prog=CAMPAIGN_PROG, parents=[COMMON], description="Outbound campaigns.")
    sub = _commands(parser)
    _set_options(add_command(sub, "set", _set, "create or change a campaign (a draft)"))
    upload = add_command(sub, "upload", _upload, "add contacts from a CSV file")
    upload.add_argument("id")
    upload.add_argument("file", metavar="FILE.csv")
    for action, status in STATUS_OF.items():
        add_command(sub, action, _status, f"make the campaign {status}").add_argument("id")
    add_command(sub, "list", _list, "list campaigns with their contacts by status")
    stats = add_command(sub, "stats", _stats, "a campaign's attempts, rates and abandon window")
    stats.add_argument("id")
    stats.add_argument("--since", type=_instant, metavar="WHEN", help=WHEN)
    stats.add_argument("--until", type=_instant, metavar="WHEN", help=WHEN)
    seats = add_command(sub, "seats", _seats, "P16: each outbound seat's day against its targets")
    seats.add_argument("--day", type=_day, metavar="YYYY-MM-DD", help="in UTC (default: today)")
    seats.add_argument("--campaign", help="one campaign, against its seat targets")
    return parser


def _instant(text: str) -> Instant:
    """An argparse type: a time as the API's query parameters take it (rule 5)."""
    try:
        found = instant({"when": text}, "when")
    except ApiError:
        found = None
    if found is None:
        raise argparse.ArgumentTypeError(f"expected {WHEN}, got {text!r}")
    return found


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def _set_options(parser: Parser) -> None:
    parser.add_argument("id")
    add_options(parser, CampaignConfig, omit=("id",), aliases=ALIASES)
    parser.add_argument(
        "--window",
        type=_window,
        metavar="HH:MM-HH:MM",
        help="calling window in the called party's local time (both ends at once)",
    )


def _dnc_parser() -> Parser:
    parser = Parser(prog=DNC_PROG, parents=[COMMON], description="The do-not-call list.")
    sub = _commands(parser)
    added = add_command(sub, "add", _dnc_add, "add numbers to the do-not-call list")
    added.add_argument("numbers", nargs="+", metavar="NUMBER")
    added.add_argument("--note", default="", help="why (kept with each new number)")
    removed = add_command(sub, "remove", _dnc_remove, "take a number off the list")
    removed.add_argument("number")
    add_command(sub, "list", _dnc_list, "print the numbers on the list")
    return parser
