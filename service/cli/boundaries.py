"""`borderwatch boundaries build`: download the maritime boundaries and build the index."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import structlog

from service.cli.errors import RuntimeFailure
from service.settings.model import DEFAULT_BOUNDARIES

log = structlog.get_logger(__name__)


def register(commands: Any) -> None:
    """Add the commands to the `borderwatch` parser's subparsers."""
    boundaries = commands.add_parser("boundaries", help="build the boundary index")
    actions = boundaries.add_subparsers(dest="boundary_command", required=True)
    build = actions.add_parser(
        "build", help="download the maritime boundaries (npm) and build the index"
    )
    build.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_BOUNDARIES,
        help="where to write it (default: var/boundaries.bin of this checkout, where the "
        "config's default `boundaries.path` looks)",
    )
    build.set_defaults(func=build_command)


def build_command(args: argparse.Namespace) -> int:
    """Run the builder (service/locate/build.py) in its own process."""
    started = time.monotonic()
    command = [sys.executable, "-m", "service.locate.build", "--out", str(args.out)]
    if args.verbose:
        command.append("--verbose")
    result = subprocess.run(command, check=False)
    if result.returncode != 0:  # the builder said why on stderr
        raise RuntimeFailure(f"building the boundary index failed (exit {result.returncode})")
    log.info("boundaries.built", seconds=round(time.monotonic() - started, 1), out=str(args.out))
    return 0
