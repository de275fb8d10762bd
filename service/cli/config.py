"""`borderwatch config validate|schema|docs`: check the configuration, print its schema
or its reference."""

from __future__ import annotations

import argparse
import json
from typing import Any

from service.cli.common import add_config, settings_of
from service.settings import Settings


def register(commands: Any) -> None:
    """Add the commands to the `borderwatch` parser's subparsers."""
    config = commands.add_parser("config", help="validate the configuration or print its schema")
    actions = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    validate = actions.add_parser("validate", help="check a config file and exit")
    add_config(validate)
    validate.set_defaults(func=validate_command)
    schema = actions.add_parser("schema", help="print the config JSON Schema")
    schema.set_defaults(func=schema_command)
    docs = actions.add_parser("docs", help="print the configuration reference (Markdown)")
    docs.set_defaults(func=docs_command)


def validate_command(args: argparse.Namespace) -> int:
    """Load the config; say what it configures."""
    settings = settings_of(args)
    rules = ", ".join(f"{r.id} ({r.type})" for r in settings.rules) or "none"
    off = dict(settings.disabled_receivers())
    on = [r.name for r in settings.receivers if r.name not in off]
    receivers = f"on: {', '.join(on) or 'none'}"
    if off:
        receivers += "; off: " + ", ".join(f"{name} ({why})" for name, why in off.items())
    print(f"config ok: rules {rules}; receivers {len(settings.receivers)} ({receivers})")
    return 0


def schema_command(args: argparse.Namespace) -> int:
    """Print the JSON Schema of the config file."""
    print(json.dumps(Settings.model_json_schema(), indent=2))
    return 0


def docs_command(args: argparse.Namespace) -> int:
    """Print docs/configuration.md."""
    from service.settings.docs import render

    print(render(), end="")
    return 0
