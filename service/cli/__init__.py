"""The `borderwatch` command line: one entry point, `--help` on every command.

Each module here is one command group: it adds its commands to the parser
(`register`) and holds one function per command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from service import logs
from service.cli import (
    alerts,
    backtest,
    boundaries,
    candidates,
    config,
    feeds,
    lookup,
    replay,
    run,
)
from service.settings import ConfigError

# In the order `--help` lists them.
GROUPS = (replay, backtest, config, lookup, candidates, boundaries, feeds, alerts, run)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure(level=args.log_level, json=args.log_json)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"borderwatch: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    parser = argparse.ArgumentParser(
        prog="borderwatch",
        description="Alerts for government and military aircraft in foreign airspace or loitering.",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    parser.add_argument(
        "--log-json",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="JSON logs (default: JSON unless stderr is a terminal)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    return parser
