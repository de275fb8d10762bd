"""Where things are: the checkout, the shared development data, and what a test does
when something it needs is missing (skip on a developer's machine, fail under CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("BORDERWATCH_SHARED", ROOT.parent / "shared")) / "data"
FEEDS = SHARED / "feeds"  # real captured feed responses
TRACKS = Path(os.environ.get("BORDERWATCH_TRACKS", SHARED / "tracks"))  # labelled recordings


def strict() -> bool:
    """True under CI (`CI` set, as .ci/run does): nothing a test needs may be missing."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(present: bool, what: str) -> None:
    """Skip the test when `what` is missing, except under CI, where that is a failure."""
    if present:
        return
    if strict():
        pytest.fail(f"{what} (required under CI)")
    pytest.skip(what)
