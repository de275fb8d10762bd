"""Read, expand and validate the configuration file; errors name the key."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from service.settings.env import expand_env
from service.settings.model import Settings

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent.parent / "config" / "borderwatch.yaml"
# Names the config file used when no --config is given (the container image sets it:
# an installed package has no config/ beside it).
CONFIG_ENV = "BORDERWATCH_CONFIG"


class ConfigError(ValueError):
    """The configuration file is missing or invalid; the message names the key."""


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read, expand and validate a YAML config; raise ConfigError naming the bad key.

    Without `path`: the file named by $BORDERWATCH_CONFIG, else config/borderwatch.yaml
    of this checkout. `environ` (default: the process environment) expands ${VAR}s.
    """
    if path is None:
        named = (os.environ if environ is None else environ).get(CONFIG_ENV)
        path = Path(named) if named else DEFAULT_CONFIG
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
    try:
        raw = yaml.safe_load(expand_env(text, environ))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        lines.append(f"{key}: {error['msg']}")
    return "; ".join(lines)
