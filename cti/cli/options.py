"""Command line options derived from a value's settings: `set` commands change what is given.

Rule 1: every setting with a reader (cti/schema/cells.py) is an option named after it
(`ring_limit` is `--ring-limit`), its help the setting's meaning; a part (a campaign's
pacing) adds its settings with the part's name before theirs (`--pacing-hold`). A
setting without a reader (a mapping of parts: retry rules) is left to the API and files.
Rule 2: by type: true/false is `--x`/`--no-x`; an enum offers its values; a list or a
mapping is a repeatable option in the singular (`--disposition CODE`, `--skill
NAME=LEVEL`) that replaces it whole, with `--no-<setting>` to empty it; an optional
setting is cleared with the word `none`.
Rule 3: `changed(base, args)` is the base value with the options given, read by the
same readers as an import, so a value is refused in the same words ("--ring-cadence:
expected a number of seconds, got 'fast'"); bounds are the value's validate().
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import replace
from enum import Enum
from types import MappingProxyType
from typing import Final, TypeVar, cast

from cti.domain.config import ConfigError
from cti.schema.cells import codes, levels, reader_of, whole
from cti.schema.hints import Declared, base, declared, is_dataclass_type, optional

T = TypeVar("T")
NONE: Final = "none"  # clears an optional setting


def add_options(
    parser: argparse.ArgumentParser,
    cls: type,
    *,
    omit: tuple[str, ...] = (),
    aliases: Mapping[str, str] = MappingProxyType({}),
    prefix: str = "",
) -> None:
    """Rule 1 and 2: an option for each setting of `cls` but `omit`."""
    for d in declared(cls):
        dest = prefix + d.name
        if d.name in omit:
            continue
        part = optional(d.type)[0]
        if is_dataclass_type(part):
            add_options(parser, part, aliases=aliases, prefix=f"{dest}_")
        elif reader_of(d.type) is not None:
            _add(parser, d, dest, aliases.get(dest))


def _add(parser: argparse.ArgumentParser, d: Declared, dest: str, alias: str | None) -> None:
    read, (inner, nullable) = reader_of(d.type), optional(d.type)
    flags = [_flag(dest), *([alias] if alias else [])]
    text = d.setting.doc.replace("%", "%%") or None  # argparse formats help with %
    kind = base(inner)
    if kind is bool:
        parser.add_argument(*flags, dest=dest, action=argparse.BooleanOptionalAction, help=text)
    elif isinstance(kind, type) and issubclass(kind, Enum):
        parser.add_argument(*flags, dest=dest, choices=[str(m.value) for m in kind], help=text)
    elif read in (codes, levels):
        single = _flag(dest.removesuffix("s")) if alias is None else alias
        pairs = read is levels
        parser.add_argument(
            single,
            dest=dest,
            action="append",
            help=f"{text}; repeatable, replaces them all",
            metavar="NAME=NUMBER" if pairs else "VALUE",
            type=_name_number if pairs else str,
        )
        parser.add_argument(_flag(f"no_{dest}"), dest=f"no_{dest}", action="store_true")
    else:
        cleared = f"; {NONE} clears it" if nullable else ""
        parser.add_argument(*flags, dest=dest, metavar="VALUE", help=f"{text}{cleared}")


def changed(value: T, args: argparse.Namespace, prefix: str = "") -> T:
    """Rule 3: `value` with the options given (parts updated, not replaced)."""
    changes: dict[str, object] = {}
    for d in declared(cast(type, type(value))):
        dest = prefix + d.name
        part = optional(d.type)[0]
        if is_dataclass_type(part) and isinstance(getattr(value, d.name), part):
            updated = changed(getattr(value, d.name), args, f"{dest}_")
            if updated != getattr(value, d.name):
                changes[d.name] = updated
        elif hasattr(args, dest):
            found = _given(d, dest, args)
            if found is not _LEFT:
                changes[d.name] = found
    return replace(value, **changes) if changes else value  # type: ignore[type-var]


_LEFT: Final = object()  # the option was not given


def _given(d: Declared, dest: str, args: argparse.Namespace) -> object:
    raw = getattr(args, dest)
    if raw is None:
        emptied = getattr(args, f"no_{dest}", False)
        return _read(d, dest, []) if emptied else _LEFT
    if optional(d.type)[1] and isinstance(raw, str) and raw.lower() == NONE:
        return None
    return _read(d, dest, raw)


def _read(d: Declared, dest: str, raw: object) -> object:
    read = reader_of(d.type)
    assert read is not None  # only settings with a reader have options
    try:
        return read(dict(raw) if read is levels and isinstance(raw, list) else raw)
    except ValueError as exc:
        raise ConfigError(f"{_flag(dest)}: {exc}") from None


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _name_number(text: str) -> tuple[str, int]:
    """An argparse type for NAME=NUMBER options (--skill billing=3, --queue sales=1)."""
    name, equals, number = text.partition("=")
    try:
        if not equals or not name.strip():
            raise ValueError
        return name.strip(), whole(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected name=number, got {text!r}") from None
