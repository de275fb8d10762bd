"""What several commands share: the `--config` option and reading the settings."""

from __future__ import annotations

import argparse
from pathlib import Path

from service.settings import Settings, load_settings

CONFIG_HELP = "config file (default config/borderwatch.yaml, or $BORDERWATCH_CONFIG)"


def add_config(parser: argparse.ArgumentParser) -> None:
    """Give a command the `--config FILE` option."""
    parser.add_argument("--config", type=Path, help=CONFIG_HELP)


def existing_file(text: str) -> str:
    """An argparse type: a file that exists ("-" is standard input)."""
    if text != "-" and not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return text


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings named by `--config` (or the default file)."""
    return load_settings(getattr(args, "config", None))
