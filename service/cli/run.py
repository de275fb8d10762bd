"""`borderwatch run`: the service."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from service.cli.common import add_config, settings_of


def register(commands: Any) -> None:
    """Add the command to the `borderwatch` parser's subparsers."""
    run = commands.add_parser("run", help="run the service (HTTP /metrics, feeds, alerts)")
    add_config(run)
    run.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Run until SIGTERM or SIGINT."""
    from service.runtime import run_service

    return asyncio.run(run_service(settings_of(args)))
