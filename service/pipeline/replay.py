"""The one replay loop: a recording through the pipeline on its own clock.

Serves `borderwatch replay` and `candidates`, the backtest and the README pictures.
A line that is not a snapshot is counted as rejected (by reason) and skipped.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

from service.alerts.notification import Notification
from service.feeds.replay import iter_snapshots
from service.pipeline.engine import Pipeline


async def replay(pipeline: Pipeline, path: str | Path) -> AsyncGenerator[list[Notification], None]:
    """Process each line of the recording at `path` ("-": standard input) in order;
    yield the notifications of each (an empty list for most lines)."""
    for item in iter_snapshots(path):
        if item.snapshot is None:
            pipeline.reject(item.error or "malformed_line")
            yield []
            continue
        yield await pipeline.process(item.snapshot)
