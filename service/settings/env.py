"""Values from the environment in the configuration, substituted after parsing.

The YAML file is parsed first; then every string value (never a key, never the text of
the file) has its references replaced:

- `${VAR}`: the variable's value; unset is an error naming the variable.
- `${VAR:-default}`: the default when the variable is unset or empty; `${VAR:-}` makes
  a value optional (empty switches it off, e.g. a receiver's URL).
- `${VAR:?message}`: required: unset or empty is an error with your message.
- `$${`: a literal `${`.

A substituted value stays one value: a newline or a ` #` in it is part of it, it can
never add keys or cut the line. Errors name the variable and the key, never a value.
The walk also bounds the document: a file whose aliases expand to more than
`MAX_VALUES` values is refused rather than expanded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Final

_REF: Final = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}")
MAX_VALUES: Final = 100_000


class EnvError(ValueError):
    """A reference cannot be substituted; the message names the key and the variable."""


def substitute(
    document: object, environ: Mapping[str, str] | None = None
) -> tuple[object, dict[str, str]]:
    """The document with every reference replaced, and the references found: dotted key
    path -> the value as written (`receivers.0.url` -> `${BORDERWATCH_WEBHOOK_URL:-}`)."""
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    budget = [MAX_VALUES]

    def walk(node: object, path: str) -> object:
        budget[0] -= 1
        if budget[0] < 0:
            raise EnvError(f"more than {MAX_VALUES} values (after expanding aliases)")
        if isinstance(node, dict):
            return {key: walk(value, _join(path, key)) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value, _join(path, index)) for index, value in enumerate(node)]
        if isinstance(node, str) and "$" in node:
            replaced = expand(node, env, path)
            if replaced != node:
                found[path] = node
            return replaced
        return node

    return walk(document, ""), found


def expand(text: str, env: Mapping[str, str], where: str = "") -> str:
    """`text` with its references replaced (see the module docstring)."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        value = env.get(name)
        if operator == ":-":
            return value if value else argument
        if operator == ":?":
            if not value:
                raise EnvError(f"{_at(where)}{name} is required: {argument or 'not set'}")
            return value
        if value is None:
            raise EnvError(
                f"{_at(where)}environment variable {name} is not set "
                f"(write ${{{name}:-}} to make it optional)"
            )
        return value

    return _REF.sub(replace, text)


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _at(where: str) -> str:
    return f"{where}: " if where else ""
