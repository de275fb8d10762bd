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

import asyncio
import multiprocessing
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from service import logs
from service.app import build_pipeline
from service.backtest.runner import prepare, scan
from service.history.recorder import EpisodeRow, PointRow, Recorder
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
    jobs: int = 1,
) -> ImportSummary:
    """Import each file; `refused(path, why)` hears of each file skipped. With
    `watch_all` every address in a file counts as a government aircraft (for
    development recordings of civil traffic). With `jobs` > 1 and several files, that
    many worker processes play the files (a pipeline each) and this process writes
    their rows: the file has one writer."""
    progress = progress or _Quiet()
    summary = ImportSummary()
    began = time.perf_counter()
    if jobs > 1 and len(paths) > 1:
        outcomes = _in_workers(settings, paths, history, watch_all, progress, jobs)
    else:
        outcomes = _in_turn(settings, boundaries, paths, history, watch_all, progress)
    async for path, played in outcomes:
        if isinstance(played, str):
            summary.refused.append((path, played))
            if refused is not None:
                refused(path, played)
            continue
        summary.files += 1
        summary.snapshots += played.snapshots
        summary.positions += played.positions
        summary.rejected.update(played.rejected)
        summary.episodes += played.episodes
    history.writer.flush()
    summary.seconds = time.perf_counter() - began
    return summary


async def _in_turn(
    settings: Settings,
    boundaries: Boundaries,
    paths: Sequence[Path],
    history: History,
    watch_all: bool,
    progress: Progress,
) -> AsyncIterator[tuple[Path, _Played | str]]:
    for path in paths:
        try:
            yield path, await _import_one(settings, boundaries, path, history, watch_all, progress)
        except (OSError, TraceError) as exc:
            yield path, _why(exc)
        finally:
            progress.finish()


def _why(exc: OSError | TraceError) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


class _Collector:
    """An import worker's sink: the rows, kept for the process that writes the file."""

    def __init__(self) -> None:
        self.points: list[PointRow] = []
        self.episodes: list[EpisodeRow] = []

    def put(
        self, points: list[PointRow], episodes: list[EpisodeRow], *, wait: bool = False
    ) -> bool:
        self.points.extend(points)
        self.episodes.extend(episodes)
        return True

    def flush(self, timeout_s: float | None = None) -> bool:
        return True

    def close(self, timeout_s: float | None = None) -> None:
        pass


_WORKER_BOUNDARIES: dict[Path, Boundaries] = {}


def _worker_logs() -> None:
    """A worker logs problems only (what it plays is summed up by the parent)."""
    logs.configure(level="warning", json=not sys.stderr.isatty())


def _worker(
    settings: Settings, path: Path, watch_all: bool
) -> tuple[Path, _Played | str, list[PointRow], list[EpisodeRow]]:
    """One file in a worker process: (it, what was played or why not, the rows)."""
    where = settings.boundaries.path
    boundaries = _WORKER_BOUNDARIES.get(where)
    if boundaries is None:
        boundaries = _WORKER_BOUNDARIES[where] = Boundaries.load(where)
    history = settings.history
    sink = _Collector()
    tap = History(sink, Recorder(history.sample_s, history.gap_s), {}, wait=True)
    try:
        played: _Played | str = asyncio.run(
            _import_one(settings, boundaries, path, tap, watch_all, _Quiet())
        )
    except (OSError, TraceError) as exc:
        played = _why(exc)
    return path, played, sink.points, sink.episodes


async def _in_workers(
    settings: Settings,
    paths: Sequence[Path],
    history: History,
    watch_all: bool,
    progress: Progress,
    jobs: int,
) -> AsyncIterator[tuple[Path, _Played | str]]:
    loop = asyncio.get_running_loop()
    # spawn: this process runs the writer thread, which a fork would copy mid-stride.
    context = multiprocessing.get_context("spawn")
    progress.start(f"{len(paths)} files", len(paths))
    done = 0
    try:
        with ProcessPoolExecutor(
            min(jobs, len(paths)), mp_context=context, initializer=_worker_logs
        ) as pool:
            running = [
                loop.run_in_executor(pool, _worker, settings, path, watch_all) for path in paths
            ]
            for future in asyncio.as_completed(running):
                path, played, points, episodes = await future
                if not isinstance(played, str):
                    await asyncio.to_thread(history.writer.put, points, episodes, wait=True)
                done += 1
                progress.update(done)
                yield path, played
    finally:
        progress.finish()


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
        scanned = scan(path)
        total, hexes = scanned.lines, scanned.hexes
        snapshots = _recording_snapshots(path)
        rejected = Counter()
    run_settings = prepare(settings, hexes, watch_all=watch_all, anywhere=False)
    pipeline = build_pipeline(run_settings, MemoryStore(), Metrics(), boundaries)
    pipeline.fleet.persist = False  # the run is not restarted: nothing to save for it
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
