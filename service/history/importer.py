"""`borderwatch history import`: recordings and readsb trace files through the same
identify -> locate -> track -> detect path as live polling, into the history file.

Each file gets a fresh pipeline on an in-memory store (as the backtest does) and a
fresh sampler, so files may come in any order; every row has a natural key, so a file
imported twice adds nothing. A recording (JSONL, gzip or not) plays snapshot by
snapshot; a trace file (`trace_full_<hex>.json`) plays one snapshot per point.

A file that cannot be read at all is reported (one line naming it) and skipped; the
others are imported. Lines and points that are not positions are counted, as the
replay counts them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from service.app import build_pipeline
from service.backtest.runner import prepare, scan
from service.history.recorder import Recorder
from service.history.tap import History
from service.history.tracefile import (
    TraceError,
    decode_trace,
    looks_like_trace,
    read_bytes,
    read_head,
)
from service.locate import Boundaries
from service.metrics import Metrics
from service.models import Position, Snapshot
from service.settings import Settings
from service.store import MemoryStore


@dataclass(slots=True)
class ImportSummary:
    """What an import did, for its one summary line."""

    files: int = 0
    refused: list[tuple[Path, str]] = field(default_factory=list)  # (file, one-line why)
    snapshots: int = 0
    positions: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    episodes: int = 0  # events written (an episode has one or more)
    seconds: float = 0.0


class Progress(Protocol):
    """How an import reports progress: a bar per file (service.backtest.runner)."""

    def start(self, label: str, total: int) -> None: ...

    def update(self, done: int) -> None: ...

    def finish(self) -> None: ...


class _Quiet:
    def start(self, label: str, total: int) -> None:
        pass

    def update(self, done: int) -> None:
        pass

    def finish(self) -> None:
        pass


async def import_files(
    settings: Settings,
    boundaries: Boundaries,
    paths: Sequence[Path],
    history: History,
    *,
    watch_all: bool = False,
    progress: Progress | None = None,
    refused: Callable[[Path, str], None] | None = None,
) -> ImportSummary:
    """Import each file in turn; `refused(path, why)` hears of each file skipped.
    With `watch_all` every address in a file counts as a government aircraft (for
    development recordings of civil traffic)."""
    progress = progress or _Quiet()
    summary = ImportSummary()
    began = time.perf_counter()
    for path in paths:
        try:
            played = await _import_one(settings, boundaries, path, history, watch_all, progress)
        except (OSError, TraceError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            summary.refused.append((path, why))
            if refused is not None:
                refused(path, why)
            continue
        finally:
            progress.finish()
        summary.files += 1
        summary.snapshots += played.snapshots
        summary.positions += played.positions
        summary.rejected.update(played.rejected)
        summary.episodes += played.episodes
    history.writer.flush()
    summary.seconds = time.perf_counter() - began
    return summary


@dataclass(slots=True)
class _Played:
    snapshots: int = 0
    positions: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    episodes: int = 0


async def _import_one(
    settings: Settings,
    boundaries: Boundaries,
    path: Path,
    history: History,
    watch_all: bool,
    progress: Progress,
) -> _Played:
    data = read_bytes(path) if _is_trace(path) else None
    snapshots: AsyncIterator[Snapshot | str]
    if data is not None:
        trace = decode_trace(data)
        hexes, total = {trace.hex}, len(trace.positions)
        snapshots = _trace_snapshots(trace.positions)
        rejected = Counter(trace.rejected)
    else:
        total, hexes = scan(path)
        snapshots = _recording_snapshots(path)
        rejected = Counter()
    run_settings = prepare(settings, hexes, watch_all=watch_all, anywhere=False)
    pipeline = build_pipeline(run_settings, MemoryStore(), Metrics(), boundaries)
    # A fresh sampler per file: files may come in any order.
    history.recorder = Recorder(history.recorder.sample_s, history.recorder.gap_s)
    history.rule_types = {rule.id: rule.type for rule in run_settings.rules}
    pipeline.history = history
    played = _Played(rejected=rejected)
    progress.start(path.name, total)
    count = 0
    events_before = history.events
    async for snapshot in snapshots:
        count += 1
        if isinstance(snapshot, str):
            pipeline.reject(snapshot)
        else:
            await pipeline.process(snapshot)
        if count % 64 == 0:
            progress.update(count)
    progress.update(total)
    history.writer.put(history.recorder.held(), [], wait=True)
    if data is None and pipeline.stats.snapshots == 0 and count:
        raise TraceError(f"not a recording or trace file: no snapshot in {count:,} lines")
    stats = pipeline.stats
    played.snapshots = stats.snapshots
    played.positions = stats.positions
    played.rejected.update(stats.rejected)
    played.episodes = history.events - events_before
    return played


def _is_trace(path: Path) -> bool:
    """A trace file by its name, else by its first bytes."""
    if path.name.startswith("trace_full_") or path.name.startswith("trace_recent_"):
        return True
    return looks_like_trace(read_head(path))


async def _trace_snapshots(positions: list[Position]) -> AsyncIterator[Snapshot | str]:
    for position in positions:
        yield Snapshot(now=position.time, positions=[position])


async def _recording_snapshots(path: Path) -> AsyncIterator[Snapshot | str]:
    # The replay loop judges each line's date by its neighbours, as `replay` does.
    from service.feeds.replay import iter_snapshots
    from service.pipeline.replay import judged

    for snapshot, reason in judged(iter_snapshots(path)):
        yield snapshot if snapshot is not None else reason
