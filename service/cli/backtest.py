"""`borderwatch backtest`: score the rules on labelled recordings."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from service.cli.common import add_config, settings_of
from service.cli.errors import UsageError


def register(commands: Any) -> None:
    """Add the command to the `borderwatch` parser's subparsers."""
    parser = commands.add_parser(
        "backtest",
        help="score the rules on labelled recordings (precision, recall, delay)",
        description="Run recordings through the whole pipeline in memory and score each "
        "rule against a labels file (format: docs/backtest.md): precision, recall and "
        "detection delay per rule, a table on stdout. A progress bar is drawn on stderr "
        "when it is a terminal.",
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="RECORDING... LABELS",
        help="recording files or folders, then their labels file (.json; an overlay of "
        "corrections may follow it); repeat for more sets, e.g. tracks tracks/labels.json "
        "devset devset/labels.json",
    )
    add_config(parser)
    parser.add_argument(
        "--watch-all",
        action="store_true",
        help="treat every aircraft in the recordings as government (identify watch list)",
    )
    parser.add_argument(
        "--anywhere",
        action="store_true",
        help="loiter rules count orbits at home too (abroad_only off)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON document instead")
    parser.set_defaults(func=backtest_command)


def backtest_command(args: argparse.Namespace) -> int:
    """Run the backtest; the table (or JSON) goes to stdout."""
    from service.backtest import BacktestError, run_command

    settings = settings_of(args)
    try:
        asyncio.run(
            run_command(
                settings,
                args.inputs,
                watch_all=args.watch_all,
                anywhere=args.anywhere,
                as_json=args.json,
                out=sys.stdout,
            )
        )
    except BacktestError as exc:
        raise UsageError(str(exc)) from None
    return 0
