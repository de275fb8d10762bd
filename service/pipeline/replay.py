"""The one replay loop: a recording through the pipeline on its own clock.

Serves `borderwatch replay` and `candidates`, the backtest and the README pictures.
A line that is not a snapshot is counted as rejected (by reason) and skipped.

A recording has no wall clock to check its dates against, so each snapshot is judged
by its neighbours: it is played only when its time lies within `MAX_JUMP_S` of the
median time of the window around it (three snapshots played before it, three after).
Up to three bad dates in a row cannot move the median, so a snapshot dated in the year 3000 is
rejected (`future_snapshot`, or `stale_snapshot` for one far in the past) instead of
moving the feed clock there and silencing every real snapshot after it; a real gap of
hours is followed by snapshots that agree with it, and plays.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Final

from service.alerts.notification import Notification
from service.feeds.replay import ReplayItem, iter_snapshots
from service.models import Snapshot
from service.pipeline.engine import Pipeline

MAX_JUMP_S: Final = 3600.0
_AROUND: Final = 3  # snapshots looked at on each side


async def replay(pipeline: Pipeline, path: str | Path) -> AsyncGenerator[list[Notification], None]:
    """Process each line of the recording at `path` ("-": standard input) in order;
    yield the notifications of each (an empty list for most lines)."""
    for snapshot, reason in judged(iter_snapshots(path)):
        if snapshot is None:
            pipeline.reject(reason)
            yield []
            continue
        yield await pipeline.process(snapshot)


def judged(items: Iterator[ReplayItem]) -> Iterator[tuple[Snapshot | None, str]]:
    """Each line as (snapshot, "") or (None, why it is not played), in order."""
    before: deque[float] = deque(maxlen=_AROUND)  # times of the snapshots played
    ahead: deque[ReplayItem] = deque()
    for item in items:
        ahead.append(item)
        if sum(i.snapshot is not None for i in ahead) > _AROUND:
            yield _judge(ahead.popleft(), before, ahead)
    while ahead:
        yield _judge(ahead.popleft(), before, ahead)


def _judge(
    item: ReplayItem, before: deque[float], ahead: deque[ReplayItem]
) -> tuple[Snapshot | None, str]:
    snapshot = item.snapshot
    if snapshot is None:
        return None, item.error or "malformed_line"
    after = [i.snapshot.now for i in ahead if i.snapshot is not None][:_AROUND]
    # The lower median: at the start of a recording (no snapshot before) the window
    # is even, and the upper middle could be a bad date.
    middle = statistics.median_low([*before, snapshot.now, *after])
    if snapshot.now > middle + MAX_JUMP_S:
        return None, "future_snapshot"
    if snapshot.now < middle - MAX_JUMP_S:
        return None, "stale_snapshot"
    before.append(snapshot.now)
    return snapshot, ""
