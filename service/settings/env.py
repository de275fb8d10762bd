"""Values from the environment in the configuration: `${VAR}` and `${VAR:-default}`."""

from __future__ import annotations

import os
import re

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(text: str, environ: dict[str, str] | None = None) -> str:
    """Replace `${VAR}` and `${VAR:-default}` with values from the environment."""
    env = os.environ if environ is None else environ

    def substitute(match: re.Match[str]) -> str:
        value = env.get(match.group(1))
        if value:
            return value
        return match.group(2) or ""

    return _ENV_REF.sub(substitute, text)
