"""Read, substitute and validate the configuration file; errors name the key.

The file is bounded before parsing (`MAX_CONFIG_BYTES`), parsed as YAML (safe loader),
its environment references substituted as values (env.py), and validated against
`Settings`. Relative paths in it (the boundary index, lists, areas, a readsb file)
are relative to the file's own folder, so every command works from any directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import yaml
from pydantic import ValidationError

from service.settings.env import EnvError, substitute
from service.settings.fields import ROOT
from service.settings.model import Settings

DEFAULT_CONFIG: Final = ROOT / "config" / "borderwatch.yaml"
# Names the config file used when no --config is given (the container image sets it:
# an installed package has no config/ beside it).
CONFIG_ENV: Final = "BORDERWATCH_CONFIG"
MAX_CONFIG_BYTES: Final = 1024 * 1024


class ConfigError(ValueError):
    """The configuration file is missing or invalid; the message names the key."""


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, substitute and validate a YAML config; raise ConfigError naming the bad key.

    Without `path`: the file named by $BORDERWATCH_CONFIG, else config/borderwatch.yaml
    of this checkout. `environ` (default: the process environment) fills in ${VAR}s.
    """
    env = os.environ if environ is None else environ
    if path is None:
        named = env.get(CONFIG_ENV)
        path = Path(named) if named else DEFAULT_CONFIG
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes")
    try:
        raw = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {_one_line(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    try:
        document, references = substitute(raw, env)
    except EnvError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    try:
        settings = Settings.model_validate(document, context={"base_dir": path.parent})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None
    settings.note_references(references)
    return settings


def _describe(exc: ValidationError) -> str:
    """Key and message of every error; never the input (it may be a secret)."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        key = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{key}: {message}")
    return "; ".join(lines)


def _one_line(exc: yaml.YAMLError) -> str:
    """Where the parser gave up and, when known, where the construct it was reading
    began (an unclosed quote is found at the end of the file but opened earlier)."""
    if isinstance(exc, yaml.reader.ReaderError):  # a control character or bad UTF-8
        return f"{exc.reason} at byte or character {exc.position}"
    text = (getattr(exc, "problem", None) or type(exc).__name__) + _at(exc, "problem_mark")
    context = getattr(exc, "context", None)
    if context and getattr(exc, "context_mark", None) is not None:
        text += f" ({context}{_at(exc, 'context_mark')})"
    return text


def _at(exc: yaml.YAMLError, name: str) -> str:
    mark = getattr(exc, name, None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
