"""The `borderwatch` command line: one entry point, `--help` on every command.

Each module here is one command group: it adds its commands to the parser
(`register`) and holds one function per command. How commands fail (one line, exit
code 2 for bad usage, 1 for failures) is decided once, in `errors.py`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from service import __version__, commit, logs
from service.cli import (
    alerts,
    backtest,
    boundaries,
    candidates,
    config,
    feeds,
    history,
    lookup,
    replay,
    run,
)
from service.cli.errors import Parser, run_guarded

# In the order `--help` lists them.
GROUPS = (replay, backtest, history, config, lookup, candidates, boundaries, feeds, alerts, run)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # The service's logs are its running account; every other command prints its
    # result, and only problems beside it unless asked for more.
    quiet = "info" if args.command == "run" else "warning"
    level = args.log_level or ("debug" if args.verbose else quiet)
    logs.configure(level=level, json=args.log_json)
    return run_guarded(lambda: int(args.func(args)), debug=args.debug)


class _Version(argparse.Action):
    """`--version`: the version and the commit (looked up only when asked)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"borderwatch {__version__} (commit {commit()})")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    parser = Parser(
        prog="borderwatch",
        description="Alerts for government and military aircraft in foreign airspace or loitering.",
    )
    parser.add_argument(
        "--log-level",
        default=None,
        choices=["debug", "info", "warning", "error"],
        help="the least severe log lines shown (default: info for run, warning for the "
        "other commands; debug with --verbose)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="detail: debug logs (every poll, every notification produced) and every claim "
        "in a boundary build",
    )
    parser.add_argument(
        "--log-json",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="JSON logs (default: JSON unless stderr is a terminal)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="on failure, print the traceback as well"
    )
    parser.add_argument(
        "--version", action=_Version, nargs=0, help="print the version and commit, then exit"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    _also_after_the_command(commands)
    return parser


def _also_after_the_command(commands: argparse._SubParsersAction[Any]) -> None:
    """`-v` and `--debug` work after the command too (`borderwatch replay -v FILE`).

    Their default there is "not given", so the value given before the command stands.
    """
    for sub in set(commands.choices.values()):
        sub.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="as before the command")  # fmt: skip
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="as before the command")  # fmt: skip
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                _also_after_the_command(action)
