"""`borderwatch boundaries build`: download the maritime boundaries and build the index,
and write the towns file beside it (where the config's default `boundaries.towns` looks)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import structlog

from service.cli.errors import RuntimeFailure
from service.settings.model import DEFAULT_BOUNDARIES, TOWNS_FILE

log = structlog.get_logger(__name__)


def register(commands: Any) -> None:
    """Add the commands to the `borderwatch` parser's subparsers."""
    boundaries = commands.add_parser("boundaries", help="build the boundary index")
    actions = boundaries.add_subparsers(dest="boundary_command", required=True)
    build = actions.add_parser(
        "build",
        help="download the maritime boundaries (npm) and build the index, and the towns "
        "file beside it",
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
    """Run the builders (service/locate/build.py, build_towns.py) in their own processes."""
    started = time.monotonic()
    towns = args.out.with_name(TOWNS_FILE)
    for builder, out, what in (
        ("service.locate.build", args.out, "the boundary index"),
        ("service.locate.build_towns", towns, "the towns file"),
    ):
        command = [sys.executable, "-m", builder, "--out", str(out)]
        if args.verbose and builder == "service.locate.build":
            command.append("--verbose")
        result = subprocess.run(command, check=False)
        if result.returncode != 0:  # the builder said why on stderr
            raise RuntimeFailure(f"building {what} failed (exit {result.returncode})")
    seconds = round(time.monotonic() - started, 1)
    log.info("boundaries.built", seconds=seconds, out=str(args.out), towns=str(towns))
    return 0
