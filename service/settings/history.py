"""The `history` section: where episodes and track points are kept for the reports
(service/history, docs/history.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Final

from pydantic import BeforeValidator, Field

from service.settings.fields import ConfigPath, Model, empty_is_none

# The file beside the boundary index when `path` is empty (var/history.duckdb).
HISTORY_FILE: Final = "history.duckdb"
# Read when `path` is empty, also by configurations without a history section (the
# shipped config names it as `${BORDERWATCH_HISTORY:-}`).
HISTORY_ENV: Final = "BORDERWATCH_HISTORY"


class HistorySettings(Model):
    """The durable history of episodes and track points (hours abroad)."""

    enabled: bool = Field(
        default=True,
        description="Write every episode and a downsampled track of every followed "
        "aircraft to `path` as it happens (false: nothing is written; the reports read "
        "what was imported).",
    )
    path: Annotated[ConfigPath | None, BeforeValidator(empty_is_none)] = Field(
        default=None,
        description="The DuckDB file (one file, no server); empty: $BORDERWATCH_HISTORY "
        "when set, else history.duckdb beside `boundaries.path` (a relative path is "
        "relative to the config file).",
    )
    batch_rows: int = Field(
        default=2000,
        ge=1,
        le=1_000_000,
        description="Rows written to the file in one batch at most.",
    )
    flush_interval_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="Rows wait at most this long before they are written (a crash loses "
        "at most this much, which is written again from the store on the next start).",
    )
    queue_max: int = Field(
        default=200_000,
        ge=100,
        description="Rows waiting for the writer at most; beyond it new rows are dropped "
        "and counted (the file or disk is too slow), polling never waits.",
    )
    sample_s: float = Field(
        default=30.0,
        gt=0,
        description="Track points kept: one per this interval, and every change of "
        "country or altitude band, every point that opened or closed an episode, and the "
        "last point before a gap.",
    )
    gap_s: float = Field(
        default=600.0,
        gt=0,
        description="Default of the reports: consecutive positions further apart than "
        "this are a gap, not counted as flown.",
    )
    points_retention_days: int = Field(
        default=365,
        ge=0,
        description="Track points older than this are deleted (daily, and by "
        "`borderwatch history prune`); 0: kept forever.",
    )
    episodes_retention_days: int = Field(
        default=0,
        ge=0,
        description="Episodes older than this are deleted; 0 (the default): kept forever.",
    )

    def file(self, boundaries: Path) -> Path:
        """The history file: `path`, else $BORDERWATCH_HISTORY, else history.duckdb
        beside the boundary index."""
        if self.path is not None:
            return self.path
        named = os.environ.get(HISTORY_ENV, "")
        return Path(named) if named else boundaries.with_name(HISTORY_FILE)
