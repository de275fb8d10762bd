"""ISO 3166-1 alpha-2 country names (package data, no network)."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def _names() -> dict[str, str]:
    text = resources.files("service.locate").joinpath("data/countries.tsv").read_text("utf-8")
    names: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#") or line.startswith("iso2\t"):
            continue
        code, name = line.split("\t", 1)
        names[code] = name
    return names


def country_name(code: str) -> str:
    """English short name of an alpha-2 code; the code itself when unknown."""
    return _names().get(code.upper(), code)
