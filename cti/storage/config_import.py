"""Importing configuration from YAML or CSV files, all or nothing.

Rule 1: every bad entry gets its own error, "<where>: <kind> <id>: <reason>", where <where>
is "file:line" for CSV and "file:line: section[index]" for YAML; all files are read and
every error is collected before anything is decided.
Rule 2: with any error nothing is applied (ImportFailed lists them all); otherwise every
value is upserted in one transaction (ConfigStore.apply, which validates the whole result).
Rule 3: an agent's queues and a queue's overflow queue may name queues of the same import
or queues already stored. An agent given without a PIN keeps the PIN it has.
Rule 4: YAML has top-level sections queues, agents and reasons, each a list of mappings.
A CSV file holds one kind, told by its header row: a `code` column means reasons; `pin`,
`skills` or `queues` means agents; any other queue field means queues; a header of only
id and name falls back to the file's name (agents.csv, queues.csv).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

import yaml

from cti.domain.config import AcdConfig, AgentProfile, ConfigError, NotReadyReason, QueueConfig
from cti.domain.ids import AgentId
from cti.schema.cells import text
from cti.schema.plain import plain_object
from cti.storage.config_fields import FIELDS, Kind, build
from cti.storage.config_store import ChangeSummary, ConfigChange, ConfigStore

_QUEUE_ONLY: Final = frozenset(FIELDS[Kind.QUEUES]) - {"id", "name"}
_AGENT_ONLY: Final = frozenset({"pin", "skills", "queues"})


class ImportFailed(ConfigError):
    """Errors found in the files; nothing was applied."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = tuple(errors)


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One queue, agent or reason as a file describes it, and where."""

    kind: Kind
    where: str
    fields: Mapping[str, object]
    problem: str | None = None  # the entry is unreadable (reported in file order by check)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Parsed:
    kind: Kind
    where: str
    value: QueueConfig | AgentProfile | NotReadyReason
    pin: str | None


async def import_files(store: ConfigStore, paths: Sequence[Path]) -> ChangeSummary:
    """Reads, checks and applies the files; ImportFailed (nothing applied) on any error."""
    entries: list[Entry] = []
    errors: list[str] = []
    for path in paths:
        try:
            content = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{path}: cannot read: {exc}")
            continue
        reader = read_yaml if path.suffix.lower() in {".yaml", ".yml"} else read_csv
        entries.extend(reader(path.name, content, errors))
    change = check(entries, await store.load(), errors)
    if errors:
        raise ImportFailed(errors)
    return await store.apply(change)


def check(entries: Sequence[Entry], current: AcdConfig, errors: list[str]) -> ConfigChange:
    """The change the entries describe; each problem is appended to errors, in file order."""
    queues = set(current.queues) | _declared(entries, Kind.QUEUES)
    seen: dict[tuple[Kind, str], str] = {}
    unique: list[_Parsed] = []
    for entry in entries:
        item = _parse(entry, errors)
        if item is None:
            continue
        key = (item.kind, _key(item.value))
        if key in seen:
            errors.append(f"{item.where}: {_subject(item)}: duplicate id (first at {seen[key]})")
            continue
        seen[key] = item.where
        for missing in sorted(_references(item.value) - queues):
            errors.append(f"{item.where}: {_subject(item)}: queue {missing} is not configured")
        unique.append(item)
    return ConfigChange(
        queues=tuple(p.value for p in unique if isinstance(p.value, QueueConfig)),
        agents=tuple(p.value for p in unique if isinstance(p.value, AgentProfile)),
        reasons=tuple(p.value for p in unique if isinstance(p.value, NotReadyReason)),
        pins=MappingProxyType({AgentId(_key(p.value)): p.pin for p in unique if p.pin is not None}),
    )


def _declared(entries: Sequence[Entry], kind: Kind) -> set[str]:
    """Ids the entries of a kind declare, valid or not (a bad queue is reported once, as
    itself, not again by every agent that names it)."""
    declared = set()
    for entry in entries:
        if entry.kind is kind and entry.fields.get(kind.key) is not None:
            with contextlib.suppress(ValueError):
                declared.add(text(entry.fields[kind.key]))
    return declared


def read_yaml(name: str, content: str, errors: list[str]) -> Iterator[Entry]:
    """Entries of a YAML document; structural problems are appended to errors."""
    try:
        root = yaml.compose(content, Loader=yaml.SafeLoader)
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        errors.append(f"{name}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}")
        return
    if data is None:
        return
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        errors.append(f"{name}: expected sections queues, agents and reasons")
        return
    lines = {str(key.value): value for key, value in root.value}
    for section, items in data.items():
        kind = Kind(section) if section in set(Kind) else None
        if kind is None:
            errors.append(f"{name}: unknown section {section!r} (expected queues, agents, reasons)")
        elif items is not None and not isinstance(items, list):
            errors.append(f"{name}: {section} must be a list of entries")
        else:
            yield from _yaml_entries(name, kind, items or [], lines[str(section)], errors)


def _yaml_entries(
    name: str, kind: Kind, items: list[object], node: yaml.Node, errors: list[str]
) -> Iterator[Entry]:
    for index, item in enumerate(items):
        line = node.value[index].start_mark.line + 1 if isinstance(node.value, list) else 0
        where = f"{name}:{line}: {kind.value}[{index}]"
        if not isinstance(item, dict):
            yield Entry(
                kind=kind,
                where=where,
                fields={},
                problem=f"expected a mapping of fields, got {item!r}",
            )
        else:
            yield Entry(kind=kind, where=where, fields={str(k): v for k, v in item.items()})


def read_csv(name: str, content: str, errors: list[str]) -> Iterator[Entry]:
    """Entries of a CSV file of one kind (told by its header row, see the module rules)."""
    reader = csv.reader(io.StringIO(content))
    rows = ((reader.line_num, [cell.strip() for cell in cells]) for cells in reader)
    try:
        header_line, header = next(((n, row) for n, row in rows if any(row)), (1, []))
        kind = _csv_kind(f"{name}:{header_line}", header, Path(name).stem.lower(), errors)
        if kind is None:
            return
        line = header_line
        for end, cells in rows:
            where, line = f"{name}:{line + 1}", end
            if not any(cells):
                continue
            if len(cells) > len(header):
                problem = f"{len(cells)} values for {len(header)} columns"
                yield Entry(kind=kind, where=where, fields={}, problem=problem)
                continue
            fields = {col: cell for col, cell in zip(header, cells, strict=False) if cell}
            yield Entry(kind=kind, where=where, fields=fields)
    except csv.Error as exc:
        errors.append(f"{name}:{reader.line_num}: not valid CSV: {exc}")


def _csv_kind(where: str, header: list[str], stem: str, errors: list[str]) -> Kind | None:
    columns = set(header)
    if not columns - {""}:
        errors.append(f"{where}: no header row: the first row names the columns")
        return None
    if "code" in columns:
        kind = Kind.REASONS
    elif columns & _AGENT_ONLY:
        kind = Kind.AGENTS
    elif columns & _QUEUE_ONLY:
        kind = Kind.QUEUES
    elif stem in {Kind.AGENTS, Kind.QUEUES}:
        kind = Kind(stem)
    else:
        errors.append(
            f"{where}: cannot tell agents from queues by id,name: name the file "
            "agents.csv or queues.csv"
        )
        return None
    unknown = [column for column in header if column not in FIELDS[kind]]
    if unknown:
        errors.append(f"{where}: unknown {kind.noun} column(s) {', '.join(map(repr, unknown))}")
        return None
    return kind


def _parse(entry: Entry, errors: list[str]) -> _Parsed | None:
    if entry.problem is not None:
        errors.append(f"{entry.where}: {entry.problem}")
        return None
    kind, fields = entry.kind, FIELDS[entry.kind]
    raw_key = entry.fields.get(kind.key)
    subject = f"{kind.noun} {raw_key}" if raw_key not in (None, "") else kind.noun
    problems = [f"missing {kind.key}"] if raw_key in (None, "") else []
    problems += [f"unknown field {name!r}" for name in entry.fields if name not in fields]
    values: dict[str, object] = {}
    for name, raw in entry.fields.items():
        if name in fields and raw is not None:
            try:
                values[name] = fields[name](raw)
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
    if not problems:
        try:
            value = build(kind, values)
        except ConfigError as exc:
            problems.append(str(exc).removeprefix(f"{subject}: "))
    errors.extend(f"{entry.where}: {subject}: {problem}" for problem in problems)
    if problems:
        return None
    pin = values.get("pin")
    return _Parsed(
        kind=kind, where=entry.where, value=value, pin=pin if isinstance(pin, str) else None
    )


def _key(value: QueueConfig | AgentProfile | NotReadyReason) -> str:
    return value.code if isinstance(value, NotReadyReason) else value.id


def _subject(item: _Parsed) -> str:
    return f"{item.kind.noun} {_key(item.value)}"


def _references(value: QueueConfig | AgentProfile | NotReadyReason) -> set[str]:
    if isinstance(value, AgentProfile):
        return set(value.queues)
    if isinstance(value, QueueConfig) and value.overflow_queue is not None:
        return {value.overflow_queue}
    return set()


def document(config: AcdConfig) -> dict[str, list[dict[str, object]]]:
    """The configuration as a YAML import document (what import reads back); no PINs."""
    return {
        Kind.QUEUES.value: [_plain(queue) for queue in config.queues.values()],
        Kind.AGENTS.value: [_plain(agent) for agent in config.agents.values()],
        Kind.REASONS.value: [_plain(reason) for reason in config.reasons.values()],
    }


def _plain(value: QueueConfig | AgentProfile | NotReadyReason) -> dict[str, object]:
    """The value's settings as import reads them; unset optional ones left out."""
    return {name: item for name, item in plain_object(value).items() if item is not None}
