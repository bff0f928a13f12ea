"""Contacts read from a CSV upload: good rows kept, each bad row reported (issue 4, C5).

Rule 1: the first row is the header. `number` is required; `timezone` (IANA name; the
campaign's when empty) and `due` (ISO 8601; without an offset it is the contact's local
time) are optional; every other column is a contact field, shown to the agent when the
campaign lists it (P25). Header names are trimmed and compared without case.
Rule 2: each bad row gets one error, "line <n>: <reason>", with the file's own line number
(a quoted field spanning lines counts from where its row starts); good rows are kept.
Rule 3: nothing is imported twice: a contact's id is "<campaign>:<number>", a number
repeated in the file is reported with the line that has it first, and a number the
campaign already has is counted as already there, not imported again.
Rule 4: pure: the text, the campaign and the numbers it already has come in; the shell
stores what comes out.
Rule 5 (issue 13): a header of more than MAX_COLUMNS columns refuses the file, and every
check of the header is linear in its width, so no header costs more than reading it; an
error names at most a few columns, never the whole header back.
Rule 6 (issue 13): no row costs more than a bounded piece of work: a line of the file
longer than MAX_LINE characters (a header longer than MAX_HEADER) refuses the file before
the CSV reader splits it (a 10 MB line of commas would be millions of fields at once);
`reading` is the reader one row at a time, a generator the shell steps through in slices
of its choosing (cti/storage/contact_upload.py), and `read_contacts` is it run whole.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cti.domain.ids import Instant
from cti.domain.outbound.campaign import CampaignConfig
from cti.domain.outbound.contact import (
    Contact,
    ContactError,
    ContactId,
    id_of,
    make_contact,
    normalize_number,
    zone,
)

NUMBER: Final = "number"
TIMEZONE: Final = "timezone"
DUE: Final = "due"
MAX_FIELD: Final = 1000  # characters in one field; longer is a bad row, not a truncation
MAX_COLUMNS: Final = 200  # columns in the header (rule 5)
MAX_HEADER: Final = 64 * 1024  # characters of the header's line (rule 6)
MAX_LINE: Final = MAX_COLUMNS * (MAX_FIELD + 3)  # characters of any other line (rule 6)
NAMED: Final = 5  # columns an error names at the most (rule 5)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactBatch:
    contacts: tuple[Contact, ...]
    errors: tuple[str, ...]  # "line <n>: <reason>", in file order
    already: int  # rows whose number the campaign had already (rule 3)
    refused: bool = False  # the whole file was refused (empty, or no usable header)


def contact_id(campaign: CampaignConfig, number: str) -> ContactId:
    return id_of(campaign.id, number)


def read_contacts(text: str, campaign: CampaignConfig, known: Iterable[str]) -> ContactBatch:
    """The contacts of a CSV text for `campaign`, given the numbers it already has."""
    steps = reading(text, campaign, known)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            batch: ContactBatch = done.value
            return batch


Reading = Generator[None, None, ContactBatch]


def reading(text: str, campaign: CampaignConfig, known: Iterable[str]) -> Reading:
    """read_contacts one row at a time (rule 6): yields after each row, returns the batch."""
    try:
        return (yield from _read(text, campaign, known))
    except _LineTooLong as long:
        return _refused(str(long))


def _read(text: str, campaign: CampaignConfig, known: Iterable[str]) -> Reading:
    rows = _rows(text)
    header = next(rows, None)
    if header is None:
        return _refused("line 1: the file is empty")
    if isinstance(header[1], ContactError):
        return _refused(f"line {header[0]}: {header[1]}")
    names = [name.strip().lower() for name in header[1]]
    problem = _header_problem(names)
    if problem is not None:
        return _refused(f"line {header[0]}: {problem}")
    known_numbers, first_line = set(known), dict[str, int]()
    contacts: list[Contact] = []
    errors: list[str] = []
    already = 0
    for line, values in rows:
        yield
        if not isinstance(values, ContactError) and not any(v.strip() for v in values):
            continue
        try:
            contact = _contact(values, names, campaign)
        except ContactError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        if contact.number in known_numbers:
            already += 1
        elif contact.number in first_line:
            errors.append(
                f"line {line}: number {contact.number} repeats line {first_line[contact.number]}"
            )
        else:
            first_line[contact.number] = line
            contacts.append(contact)
    return ContactBatch(contacts=tuple(contacts), errors=tuple(errors), already=already)


class _LineTooLong(Exception):
    """Rule 6: a line the file may not have; its message is the refusal."""


def _lines(text: str) -> Iterator[str]:
    """The file's lines for the CSV reader, each within its bound (rule 6)."""
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if number == 1 and len(line) > MAX_HEADER:
            raise _LineTooLong(f"line 1: the header is longer than {MAX_HEADER} characters")
        if len(line) > MAX_LINE:
            why = f"a row has at most {MAX_COLUMNS} fields of {MAX_FIELD} characters"
            raise _LineTooLong(f"line {number}: longer than {MAX_LINE} characters ({why})")
        yield line


def _refused(error: str) -> ContactBatch:
    return ContactBatch(contacts=(), errors=(error,), already=0, refused=True)


Row = tuple[int, list[str] | ContactError]  # the line the row starts on, and its values


def _rows(text: str) -> Iterator[Row]:
    """Each row with the line it starts on; a row that is not CSV comes as its error."""
    reader = csv.reader(_lines(text.lstrip("\ufeff")), strict=True)
    line = 1
    while True:
        try:
            values: list[str] | ContactError = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            values = ContactError(f"not CSV: {exc}")
        yield line, values
        line = reader.line_num + 1


def _header_problem(names: list[str]) -> str | None:
    if len(names) > MAX_COLUMNS:
        return f"the header has {len(names)} columns; at most {MAX_COLUMNS}"
    if NUMBER not in names:
        return f"no {NUMBER!r} column in the header {_some(names)}"
    repeated = sorted(name for name, n in Counter(names).items() if n > 1)
    if repeated:
        return f"columns named more than once: {_some(repeated)}"
    if "" in names:
        return "a column without a name in the header"
    return None


def _some(names: list[str]) -> str:
    """At most NAMED of the names, and how many more (rule 5)."""
    shown = ", ".join(repr(name[:40]) for name in names[:NAMED])
    more = len(names) - NAMED
    return f"[{shown}{f', and {more} more' if more > 0 else ''}]"


def _contact(
    values: list[str] | ContactError, names: list[str], campaign: CampaignConfig
) -> Contact:
    if isinstance(values, ContactError):
        raise values
    if len(values) != len(names):
        raise ContactError(f"{len(values)} values for {len(names)} columns")
    row = dict(zip(names, values, strict=True))
    too_long = [name for name, value in row.items() if len(value) > MAX_FIELD]
    if too_long:
        raise ContactError(f"{too_long[0]} is longer than {MAX_FIELD} characters")
    if not row[NUMBER].strip():
        raise ContactError("number is empty")
    number = normalize_number(row[NUMBER])
    timezone = row.get(TIMEZONE, "").strip() or campaign.timezone
    due_text = row.get(DUE, "").strip()
    return make_contact(
        id=contact_id(campaign, number),
        campaign=campaign,
        number=number,
        timezone=timezone,
        fields={k: v.strip() for k, v in row.items() if k not in (NUMBER, TIMEZONE, DUE)},
        due=_due(due_text, timezone) if due_text else None,
    )


def _due(text: str, timezone: str) -> Instant:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ContactError(f"due {text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(timezone))
    return Instant(moment.timestamp())
