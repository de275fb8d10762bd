"""The one replay loop: a recording through the pipeline on its own clock.

Serves `borderwatch replay` and `candidates`, the backtest and the README pictures.
A line that is not a snapshot is counted as rejected (by reason) and skipped.

A recording has no wall clock to check its dates against, so each snapshot is judged
by its neighbours: the window of the three snapshots played before it, itself and the
three after it. In a recording whose time only moves forward the median of that window
is the snapshot itself; one dated away from its neighbours (by more than three of the
window's usual intervals, and at least `MIN_TOLERANCE_S`) is rejected, as
`future_snapshot` or `stale_snapshot`, instead of moving the feed clock and silencing
the real snapshots after it. Up to three bad dates in a row (two at the very start)
cannot move the median; a real gap of hours is followed by snapshots that agree with
it, and plays.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import deque
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Final

from service.alerts.notification import Notification
from service.feeds.guard import time_problem
from service.feeds.replay import ReplayItem, iter_snapshots
from service.models import Snapshot
from service.pipeline.engine import Pipeline

MIN_TOLERANCE_S: Final = 60.0
# At either end of a recording the window is one-sided: the first snapshot is often
# followed by a gap (a recorder warming up). There only a date this far off counts.
EDGE_TOLERANCE_S: Final = 6 * 3600.0
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
    """Each line as (snapshot, "") or (None, why it is not played). Snapshots keep
    their order; a line that is no snapshot is answered at once, ahead of the up to
    three snapshots waiting for their neighbours, so bad lines never pile up."""
    before: deque[float] = deque(maxlen=_AROUND)  # times of the snapshots played
    ahead: deque[Snapshot] = deque()
    for item in items:
        if item.snapshot is None:
            yield None, item.error or "malformed_line"
            continue
        ahead.append(item.snapshot)
        if len(ahead) > _AROUND:
            yield _judge(ahead.popleft(), before, ahead)
    while ahead:
        yield _judge(ahead.popleft(), before, ahead)


def _judge(
    snapshot: Snapshot, before: deque[float], ahead: deque[Snapshot]
) -> tuple[Snapshot | None, str]:
    after = [s.now for s in ahead]
    window = sorted([*before, snapshot.now, *after])
    # The lower median: at the start of a recording (no snapshot before) the window
    # is even, and the upper middle could be a bad date.
    middle = statistics.median_low(window)
    steps = [b - a for a, b in itertools.pairwise(window)]
    tolerance = max(MIN_TOLERANCE_S, 3 * statistics.median(steps)) if steps else math.inf
    ahead_s = tolerance if after else max(tolerance, EDGE_TOLERANCE_S)
    behind_s = tolerance if before else max(tolerance, EDGE_TOLERANCE_S)
    # The live guard's rule, with the neighbours' median for the wall clock.
    problem = time_problem(snapshot.now, middle, max_skew_s=ahead_s, max_age_s=behind_s)
    if problem is not None:
        return None, problem
    before.append(snapshot.now)
    return snapshot, ""
