"""`borderwatch config validate|schema|docs|alertmanager`: check the configuration, print
its schema or its reference, or derive Alertmanager's configuration from it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from service.cli.common import add_config, settings_of
from service.cli.errors import UsageError
from service.settings import Settings


def register(commands: Any) -> None:
    """Add the commands to the `borderwatch` parser's subparsers."""
    config = commands.add_parser(
        "config", help="validate the configuration; print its schema, reference or Alertmanager's"
    )
    actions = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    validate = actions.add_parser("validate", help="check a config file and exit")
    add_config(validate)
    validate.set_defaults(func=validate_command)
    schema = actions.add_parser("schema", help="print the config JSON Schema")
    schema.set_defaults(func=schema_command)
    docs = actions.add_parser("docs", help="print the configuration reference (Markdown)")
    docs.set_defaults(func=docs_command)
    alertmanager = actions.add_parser(
        "alertmanager",
        help="print or write Alertmanager's config: borderwatch's health alerts to its receivers",
    )
    add_config(alertmanager)
    alertmanager.add_argument(
        "--out",
        type=Path,
        help="write the file here (mode 0600: it holds the receivers' URLs) instead of printing it",
    )
    alertmanager.set_defaults(func=alertmanager_command)


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


def alertmanager_command(args: argparse.Namespace) -> int:
    """Print or write the Alertmanager config; say on stderr where alerts go (names only:
    the URLs are secrets)."""
    from service.deploy.alertmanager import generate, write_private

    out: Path | None = args.out
    if out is not None and not out.parent.is_dir():
        raise UsageError(f"no such folder for --out: {out.parent}")
    settings = settings_of(args)
    config = generate(settings)
    if out is None:
        sys.stdout.write(config.text())
    else:
        write_private(out, config.text())
    disabled = settings.disabled_receivers()
    off = "; off: " + ", ".join(f"{name} ({why})" for name, why in disabled) if disabled else ""
    if config.unreachable:
        names = ", ".join(config.unreachable)
        off += f"; left out: {names} (apprise: Alertmanager has no such integration)"
    where = f", written to {out} (mode 0600)" if out is not None else ""
    if config.routed:
        say = f"health alerts go to {', '.join(config.routed)}{off}{where}"
    else:
        say = (
            "no receiver is enabled: every alert goes to a null receiver "
            f"(Alertmanager lists it and sends nothing){off}{where}"
        )
    print(f"alertmanager config: {say}", file=sys.stderr)
    for name in config.unsigned:
        print(
            f"alertmanager config: warning: {name} is a signed webhook; Alertmanager posts "
            "its own JSON unsigned, which a receiver that checks signatures refuses "
            "(docs/deployment.md, Alertmanager)",
            file=sys.stderr,
        )
    return 0
