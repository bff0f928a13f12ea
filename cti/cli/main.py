"""The `cti` command: serve, admin, campaign, dnc, lab, demo.

Rule 1: errors a user can fix are printed as one clear line and exit 2; no traceback.
Rule 2: `cti serve` on a database it cannot open, or that is not the one its history spool
belongs to (cti/storage/stamp.py), logs one clear line (and prints it, when the log goes
to a file) and exits 1, as `cti admin` does.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from cti import logs, settings


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["lab"]:
        from cti.cli.lab import run_lab_command

        return run_lab_command(args[1:])
    if args[:1] == ["admin"]:
        from cti.cli.admin import run_admin_command

        return run_admin_command(args[1:])
    if args[:1] == ["campaign"]:
        from cti.cli.campaign import run_campaign_command

        return run_campaign_command(args[1:])
    if args[:1] == ["dnc"]:
        from cti.cli.campaign import run_dnc_command

        return run_dnc_command(args[1:])
    if args[:1] == ["demo"]:
        from cti.demo.run import run_demo

        return run_demo(args[1:])
    parser = argparse.ArgumentParser(prog="cti", description="ACD and CTI server for Asterisk")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--config", help="TOML configuration file (or CTI_CONFIG)")
    sub.add_parser("lab", help="a local Asterisk for tests and the demo: up | down | status")
    sub.add_parser("admin", help="configure queues, agents, reasons and API tokens")
    sub.add_parser("campaign", help="outbound campaigns: set, upload, start, pause, stop, list")
    sub.add_parser("dnc", help="the do-not-call list: add, remove, list")
    sub.add_parser("demo", help="lab, server, SIPp agents and callers; Ctrl-C stops it all")
    parsed = parser.parse_args(args)
    if parsed.command == "serve":
        return _serve(parsed.config)
    parser.error(f"unknown command {parsed.command}")
    return 2


def _serve(config: str | None) -> int:
    try:
        conf = settings.load(config)
        logs.configure(conf.log.level, conf.log.format, conf.log.file)
    except (settings.SettingsError, logs.LogFileError) as exc:
        print(f"cti: {exc}", file=sys.stderr)
        return 2
    from cti.storage.database import DatabaseUnavailable
    from cti.wiring import serve

    try:
        asyncio.run(serve(conf))
    except DatabaseUnavailable as exc:  # rule 2: nothing was started
        logging.getLogger("cti.wiring").error("not started: %s", exc)
        if conf.log.file:  # the log is in the file; the one who started it reads stderr
            print(f"cti: not started: {exc}", file=sys.stderr)
        return 1
    return 0
