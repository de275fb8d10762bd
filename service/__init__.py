"""borderwatch: streaming alerts for government and military aircraft abroad.

The package follows the pipeline:
feeds -> (normalise, fuse) -> identify -> locate -> track -> detect -> alerts -> deliver.
"""

import os
import subprocess
from functools import cache
from pathlib import Path

__version__ = "0.1.0"


@cache
def commit() -> str:
    """The source commit running: `BORDERWATCH_COMMIT` (the image sets it at build
    time), else the checkout's HEAD, else "unknown"."""
    given = os.environ.get("BORDERWATCH_COMMIT", "").strip()
    if given:
        return given[:40]
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return "unknown"
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=root, capture_output=True, text=True, timeout=2, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip() or "unknown"
