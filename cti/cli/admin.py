"""`cti admin`: the configuration store (queues, agents, reasons, tokens, supervisors) from
a shell.

Rule 1: errors a user can fix (arguments, values, files, unknown ids, settings) print one
clear line per problem to stderr and exit 2, with no traceback; a database that cannot be
reached prints one line and exits 1.
Rule 2: each command loads the settings as `cti serve` does (--config, CTI_CONFIG, then
CTI_DATABASE_URL ...), opens the database (which applies migrations) and closes it after;
a database that is not the one the server's spool belongs to is refused, as by `cti
serve` (cti/storage/stamp.py rule 5: checked, never written).
Rule 4: with a server configured (`server.url`), changes go through its API and reading
stays on the database (cti/cli/server.py); an import, which the API has no route for, is
stored here and the server told to reload.
Rule 3: what scripts read goes to stdout (export YAML, a token's secret, listings,
summaries); notes go to stderr. A PIN or token secret is never printed, except a new
token's secret, once.
Rule 3a: a supervisor's password is never an argument (other users see a process's
arguments): it is typed twice at a terminal, or read as the first line of stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import MappingProxyType
from typing import Final, NoReturn, TypeAlias

import yaml
from sqlalchemy.exc import ArgumentError

from cti import settings
from cti.ami.control import DEVICE_RULE
from cti.api.client import ApiClient
from cti.api.shapes import device_of
from cti.cli.options import add_options, changed
from cti.cli.server import Server, through
from cti.domain.config import (
    AcdConfig,
    AgentProfile,
    ConfigError,
    NotReadyReason,
    QueueConfig,
)
from cti.domain.ids import AgentId, QueueId
from cti.domain.outbound.contact import ContactError
from cti.storage.config_import import ImportFailed, document, import_files
from cti.storage.config_store import ChangeSummary, ConfigChange, ConfigStore
from cti.storage.database import Database, DatabaseUnavailable, open_database
from cti.storage.dialect import UnsupportedDatabase
from cti.storage.supervisors import PAGE_ROLES
from cti.storage.tokens import Role

PROG: Final = "cti admin"
Command = Callable[[argparse.Namespace, ConfigStore], Coroutine[object, object, None]]
Runner = Callable[[argparse.Namespace, Database], Coroutine[object, object, int]]


class UsageError(Exception):
    """A command line that cannot be parsed."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def run_admin_command(argv: list[str]) -> int:
    """Runs `cti admin ARGV...`; returns the exit status (0 ok, 2 user error, 1 database)."""
    return run_cli(PROG, _parser, argv, _with_config_store)


async def _with_config_store(args: argparse.Namespace, database: Database) -> int:
    await args.command(args, ConfigStore(database, timeout=database.timeout))
    return 0


def run_cli(prog: str, parser: Callable[[], Parser], argv: list[str], run: Runner) -> int:
    """Parses ARGV, loads the settings and hands `run` the open database (rules 1 and 2)."""
    try:
        args = parser().parse_args(argv)
        conf = settings.load(getattr(args, "config", None))
        args.server = _server(conf.server)
        return asyncio.run(_run(run, args, conf.database))
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else 0
    except ImportFailed as exc:
        for error in exc.errors:
            print(f"{prog}: {error}", file=sys.stderr)
        return 2
    except (
        UsageError,
        ConfigError,
        ContactError,
        settings.SettingsError,
        UnsupportedDatabase,
    ) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except ArgumentError as exc:
        print(f"{prog}: bad database.url: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1


def _server(conf: settings.ServerSettings) -> Server | None:
    """Rule 4: the server to change things through, if one is configured."""
    if not conf.url:
        return None
    if not conf.token:
        raise UsageError("server.url is set but not server.token (an admin token)")
    return Server(ApiClient(conf.url, conf.token))


async def _run(run: Runner, args: argparse.Namespace, conf: settings.DatabaseSettings) -> int:
    # The spool's stamp is checked, never written (cti/storage/stamp.py rule 5).
    database = await open_database(conf.url, spool=Path(conf.spool))
    try:
        return await run(args, database)
    finally:
        await database.close()


# Commands -----------------------------------------------------------------------------


async def _import(args: argparse.Namespace, store: ConfigStore) -> None:
    print(_summary(await import_files(store, [Path(f) for f in args.files])))
    await through(args.server, lambda server: server.reload())


async def _export(_args: argparse.Namespace, store: ConfigStore) -> None:
    text = yaml.safe_dump(document(await store.load()), sort_keys=False, allow_unicode=True)
    sys.stdout.write(text)


async def _queue_set(args: argparse.Namespace, store: ConfigStore) -> None:
    queue = QueueId(args.id)
    base = (await store.load()).queues.get(queue) or QueueConfig(id=queue)
    value = changed(base, args)
    if await through(args.server, lambda server: server.put_queue(value)) is not None:
        print(f"queue {queue} stored by the server")
        return
    print(_summary(await store.apply(ConfigChange(queues=(value,)))))


async def _queue_delete(args: argparse.Namespace, store: ConfigStore) -> None:
    if await through(args.server, lambda server: server.delete("queues", args.id)) is None:
        await store.delete_queue(QueueId(args.id))
    print(f"queue {args.id} deleted")


async def _agent_set(args: argparse.Namespace, store: ConfigStore) -> None:
    agent = AgentId(args.id)
    base = (await store.load()).agents.get(agent) or AgentProfile(id=agent)
    value = changed(base, args)
    if await through(args.server, lambda server: server.put_agent(value, args.pin)) is not None:
        print(f"agent {agent} stored by the server")
        return
    pins = {} if args.pin is None else {agent: args.pin}
    change = ConfigChange(agents=(value,), pins=MappingProxyType(pins))
    print(_summary(await store.apply(change)))


async def _agent_delete(args: argparse.Namespace, store: ConfigStore) -> None:
    if await through(args.server, lambda server: server.delete("agents", args.id)) is None:
        await store.delete_agent(AgentId(args.id))
    print(f"agent {args.id} deleted")


async def _reason_set(args: argparse.Namespace, store: ConfigStore) -> None:
    base = (await store.load()).reasons.get(args.code) or NotReadyReason(code=args.code)
    value = changed(base, args)
    if await through(args.server, lambda server: server.put_reason(value)) is not None:
        print(f"reason {args.code} stored by the server")
        return
    print(_summary(await store.apply(ConfigChange(reasons=(value,)))))


async def _reason_delete(args: argparse.Namespace, store: ConfigStore) -> None:
    if await through(args.server, lambda server: server.delete("reasons", args.code)) is None:
        await store.delete_reason(args.code)
    print(f"reason {args.code} deleted")


async def _token_create(args: argparse.Namespace, store: ConfigStore) -> None:
    agent = None if args.agent is None else AgentId(args.agent)
    issued = await store.issue_token(args.name, args.role, agent)
    print(issued.secret)
    print(f"token {issued.id} created; its secret is shown only this once", file=sys.stderr)


async def _token_revoke(args: argparse.Namespace, store: ConfigStore) -> None:
    await store.revoke_token(args.id)
    print(f"token {args.id} revoked")


async def _supervisor_add(args: argparse.Namespace, store: ConfigStore) -> None:
    password = await asyncio.to_thread(_password_from_stdin, args.name)
    await store.put_supervisor(args.name, args.role, password)
    print(f"supervisor {args.name} set ({args.role}); any session of theirs has ended")


def _password_from_stdin(name: str) -> str:
    """Rule 3a: typed twice at a terminal (not echoed), else the first line of stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {name}: ")
    if getpass.getpass("the same again: ") != first:
        raise ConfigError("the two passwords differ; nothing was changed")
    return first


async def _supervisor_remove(args: argparse.Namespace, store: ConfigStore) -> None:
    await store.remove_supervisor(args.name)
    print(f"supervisor {args.name} removed; their sessions ended")


async def _supervisor_phone(args: argparse.Namespace, store: ConfigStore) -> None:
    device = None if args.device == "none" else str(device_of(args.device))
    if device is not None and not DEVICE_RULE.fullmatch(device):
        raise ConfigError(f"device {args.device!r} is not a dial string such as PJSIP/2001")
    await store.set_supervisor_device(args.name, device)
    print(f"supervisor {args.name} monitors calls on {device or 'no phone'}")


async def _list(_args: argparse.Namespace, store: ConfigStore) -> None:
    for line in _listing(await store.load()):
        print(line)
    for token in await store.list_tokens():
        agent = "" if token.agent is None else f" for agent {token.agent}"
        revoked = " (revoked)" if token.revoked_at is not None else ""
        print(f"token {token.id} {token.name}: {token.role}{agent}{revoked}")
    for person in await store.list_supervisors():
        state = "" if person.active else " (removed)"
        phone = f", phone {person.device}" if person.device else ""
        print(f"supervisor {person.name}: {person.role}{phone}{state}")


# Helpers ------------------------------------------------------------------------------


def _summary(summary: ChangeSummary) -> str:
    parts = [
        f"{kind}: {counts.created} created, {counts.updated} updated"
        for kind, counts in (
            ("queues", summary.queues),
            ("agents", summary.agents),
            ("reasons", summary.reasons),
        )
        if counts.created or counts.updated
    ]
    return "; ".join(parts) or "nothing to change"


def _listing(config: AcdConfig) -> list[str]:
    lines = []
    for q in config.queues.values():
        extra = ""
        if q.overflow_queue is not None and q.overflow_after is not None:
            extra = f", overflow to {q.overflow_queue} after {q.overflow_after:g} s"
        lines.append(
            f"queue {q.id} ({q.name or '-'}): {q.strategy}, {q.ring_limit} rings x "
            f"{q.ring_cadence:g} s, wrap-up up to {q.max_wrap_up:g} s{extra}"
        )
    for a in config.agents.values():
        queues = ", ".join(f"{q}:{p}" for q, p in a.queues.items()) or "-"
        skills = ", ".join(f"{s}:{n}" for s, n in a.skills.items()) or "-"
        lines.append(f"agent {a.id} ({a.name or '-'}): queues {queues}; skills {skills}")
    for r in config.reasons.values():
        limit = "no limit" if r.max_seconds is None else f"at most {r.max_seconds:g} s"
        lines.append(f"reason {r.code} ({r.label or '-'}): {limit}")
    return lines


Subcommands: TypeAlias = "argparse._SubParsersAction[Parser]"  # generic only to mypy
COMMON: Final = Parser(add_help=False)
COMMON.add_argument("--config", default=argparse.SUPPRESS, help="TOML file (or CTI_CONFIG)")


def add_command(sub: Subcommands, name: str, run: Callable[..., object], text: str) -> Parser:
    made = sub.add_parser(name, parents=[COMMON], help=text, description=text)
    made.set_defaults(command=run)
    return made


def add_group(sub: Subcommands, name: str, text: str) -> Subcommands:
    group = sub.add_parser(name, help=text, description=text)
    return group.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=Parser)


def _parser() -> Parser:
    parser = Parser(
        prog=PROG,
        parents=[COMMON],
        description="Manage queues, agents, not-ready reasons, API tokens and supervisors.",
    )
    # No set_defaults(config=...) here: parents share their actions, so it would reset the
    # default of every subcommand's --config and drop a --config given before the command.
    sub = parser.add_subparsers(dest="group", metavar="COMMAND", required=True, parser_class=Parser)
    imported = add_command(sub, "import", _import, "import YAML or CSV files (all or nothing)")
    imported.add_argument("files", nargs="+", metavar="FILE")
    add_command(sub, "export", _export, "print the configuration as YAML (without PINs)")
    add_command(sub, "list", _list, "list queues, agents, reasons and tokens")
    queues = add_group(sub, "queue", "create, change or delete queues")
    _queue_options(add_command(queues, "set", _queue_set, "create or change a queue"))
    add_command(queues, "delete", _queue_delete, "delete a queue that has no members").add_argument(
        "id"
    )
    agents = add_group(sub, "agent", "create, change or delete agents")
    _agent_options(add_command(agents, "set", _agent_set, "create or change an agent"))
    add_command(agents, "delete", _agent_delete, "delete an agent").add_argument("id")
    reasons = add_group(sub, "reason", "create, change or delete not-ready reasons")
    reason = add_command(reasons, "set", _reason_set, "create or change a not-ready reason")
    reason.add_argument("code")
    add_options(reason, NotReadyReason, omit=("code",))
    add_command(reasons, "delete", _reason_delete, "delete a not-ready reason").add_argument("code")
    tokens = add_group(sub, "token", "create or revoke API tokens")
    token = add_command(tokens, "create", _token_create, "create an API token and print its secret")
    token.add_argument("--role", required=True, choices=[role.value for role in Role])
    token.add_argument("--name", required=True)
    token.add_argument("--agent", help="the agent the token speaks for (required for agent)")
    add_command(tokens, "revoke", _token_revoke, "revoke an API token").add_argument("id", type=int)
    people = add_group(sub, "supervisor", "add or remove the supervisors who sign in to the pages")
    person = add_command(
        people, "add", _supervisor_add, "add a supervisor or set a new password (read from stdin)"
    )
    person.add_argument("name")
    person.add_argument(
        "--role",
        default="supervisor",
        choices=[role.value for role in PAGE_ROLES],
        help="viewer: the wallboard only, callers' numbers masked (P22)",
    )
    add_command(people, "remove", _supervisor_remove, "remove a supervisor").add_argument("name")
    phone = add_command(
        people, "phone", _supervisor_phone, "the phone that listen, whisper and barge call (C8)"
    )
    phone.add_argument("name")
    phone.add_argument("device", help="e.g. 2001 or PJSIP/2001; none: no phone")
    return parser


def _agent_options(parser: Parser) -> None:
    parser.add_argument("id")
    parser.add_argument("--pin", help="4-12 digits")
    add_options(parser, AgentProfile, omit=("id",))


def _queue_options(parser: Parser) -> None:
    parser.add_argument("id")
    add_options(parser, QueueConfig, omit=("id",))
