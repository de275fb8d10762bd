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
import heapq
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
from service.pipeline.heap import settle_heap
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


# Trace files are played together, this many at a time, merged into snapshots in time
# order: each holds one aircraft, so played alone every snapshot would hold a single
# position, and the per-snapshot work (locating, the rules' bookkeeping, metrics) would
# cost several times the per-position work. Groups are made of the files in name order,
# so the same files always play in the same groups.
TRACE_GROUP = 128
# A group holds its files' positions in memory (about three times their JSON): it takes
# no more files once their size on disk reaches this (gzip, as the releases ship them,
# is about a sixth of the JSON). A day's trace file is tens of kB, so groups are full.
TRACE_GROUP_BYTES = 16 << 20
# A snapshot of merged trace files spans at most this much feed time (a poll's worth),
# and holds at most one position per aircraft.
TRACE_SNAPSHOT_S = 5.0


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
    development recordings of civil traffic). With `jobs` > 1 and several tasks (a
    recording, or a group of trace files), that many worker processes play them (a
    pipeline each) and this process writes their rows: the file has one writer."""
    progress = progress or _Quiet()
    summary = ImportSummary()
    began = time.perf_counter()
    tasks = _tasks(paths)
    if jobs > 1 and len(tasks) > 1:
        outcomes = _in_workers(settings, tasks, history, watch_all, progress, jobs)
    else:
        outcomes = _in_turn(settings, boundaries, tasks, history, watch_all, progress)
    async for played in outcomes:
        for path, why in played.refused:
            summary.refused.append((path, why))
            if refused is not None:
                refused(path, why)
        summary.files += played.files
        summary.snapshots += played.snapshots
        summary.positions += played.positions
        summary.rejected.update(played.rejected)
        summary.episodes += played.episodes
    history.writer.flush()
    summary.seconds = time.perf_counter() - began
    return summary


@dataclass(frozen=True, slots=True)
class _Task:
    """What one pipeline plays: a recording, or a group of trace files merged."""

    paths: list[Path]
    traces: bool


def _tasks(paths: Sequence[Path]) -> list[_Task]:
    traces: list[Path] = []
    tasks: list[_Task] = []
    for path in paths:
        try:
            trace = _is_trace(path)
        except OSError:
            trace = False  # refused when played, with the reason
        if trace:
            traces.append(path)
        else:
            tasks.append(_Task([path], traces=False))
    group: list[Path] = []
    size = 0
    for path in sorted(traces):
        try:
            bytes_ = path.stat().st_size
        except OSError:
            bytes_ = 0  # refused when played
        if group and (len(group) == TRACE_GROUP or size + bytes_ > TRACE_GROUP_BYTES):
            tasks.append(_Task(group, traces=True))
            group, size = [], 0
        group.append(path)
        size += bytes_
    if group:
        tasks.append(_Task(group, traces=True))
    # In the order the files were named (a group where its first one was), so files
    # refused are reported in that order when played in turn.
    where = {path: i for i, path in reversed(list(enumerate(paths)))}
    return sorted(tasks, key=lambda task: min(where[path] for path in task.paths))


async def _in_turn(
    settings: Settings,
    boundaries: Boundaries,
    tasks: Sequence[_Task],
    history: History,
    watch_all: bool,
    progress: Progress,
) -> AsyncIterator[_Played]:
    for task in tasks:
        try:
            yield await _play(settings, boundaries, task, history, watch_all, progress)
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
    settings: Settings, task: _Task, watch_all: bool
) -> tuple[_Played, list[PointRow], list[EpisodeRow]]:
    """One task in a worker process: what was played (and refused), and the rows."""
    where = settings.boundaries.path
    boundaries = _WORKER_BOUNDARIES.get(where)
    if boundaries is None:
        boundaries = _WORKER_BOUNDARIES[where] = Boundaries.load(where)
        settle_heap()
    history = settings.history
    sink = _Collector()
    tap = History(sink, Recorder(history.sample_s, history.gap_s), {}, wait=True)
    played = asyncio.run(_play(settings, boundaries, task, tap, watch_all, _Quiet()))
    return played, sink.points, sink.episodes


async def _in_workers(
    settings: Settings,
    tasks: Sequence[_Task],
    history: History,
    watch_all: bool,
    progress: Progress,
    jobs: int,
) -> AsyncIterator[_Played]:
    loop = asyncio.get_running_loop()
    # spawn: this process runs the writer thread, which a fork would copy mid-stride.
    context = multiprocessing.get_context("spawn")
    files = sum(len(task.paths) for task in tasks)
    progress.start(f"{files} files", files)
    done = 0
    try:
        with ProcessPoolExecutor(
            min(jobs, len(tasks)), mp_context=context, initializer=_worker_logs
        ) as pool:
            running = [
                loop.run_in_executor(pool, _worker, settings, task, watch_all) for task in tasks
            ]
            for future in asyncio.as_completed(running):
                played, points, episodes = await future
                await asyncio.to_thread(history.writer.put, points, episodes, wait=True)
                done += played.files + len(played.refused)
                progress.update(done)
                yield played
    finally:
        progress.finish()


@dataclass(slots=True)
class _Played:
    files: int = 0
    refused: list[tuple[Path, str]] = field(default_factory=list)
    snapshots: int = 0
    positions: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    episodes: int = 0


async def _play(
    settings: Settings,
    boundaries: Boundaries,
    task: _Task,
    history: History,
    watch_all: bool,
    progress: Progress,
) -> _Played:
    """Play a task (a recording, or trace files merged) through a fresh pipeline."""
    played = _Played()
    snapshots: AsyncIterator[Snapshot | str]
    paths = task.paths
    if not task.traces:
        path = paths[0]
        try:
            scanned = scan(path)
        except OSError as exc:
            played.refused.append((path, _why(exc)))
            return played
        total, hexes = scanned.lines, scanned.hexes
        snapshots = _recording_snapshots(path)
        label = path.name
    else:
        traces = []
        for path in paths:
            try:
                trace = decode_trace(read_bytes(path))
            except (OSError, TraceError) as exc:
                played.refused.append((path, _why(exc)))
                continue
            traces.append(trace.positions)
            played.rejected.update(trace.rejected)
        hexes = {positions[0].hex for positions in traces if positions}
        total = sum(len(positions) for positions in traces)
        snapshots = _merged_snapshots(traces)
        label = paths[0].name if len(paths) == 1 else f"{len(paths)} trace files"
    run_settings = prepare(settings, hexes, watch_all=watch_all, anywhere=False)
    pipeline = build_pipeline(run_settings, MemoryStore(), Metrics(), boundaries)
    pipeline.fleet.persist = False  # the run is not restarted: nothing to save for it
    # A fresh sampler per task: tasks may come in any order.
    history.recorder = Recorder(history.recorder.sample_s, history.recorder.gap_s)
    history.rule_types = {rule.id: rule.type for rule in run_settings.rules}
    pipeline.history = history
    progress.start(label, total)  # lines of a recording, positions of trace files
    count = done = 0
    events_before = history.events
    try:
        async for snapshot in snapshots:
            count += 1
            if isinstance(snapshot, str):
                pipeline.reject(snapshot)
                done += 1
            else:
                await pipeline.process(snapshot)
                done += len(snapshot.positions) if task.traces else 1
            if count % 64 == 0:
                progress.update(done)
    except OSError as exc:  # a recording that cannot be read to its end
        played.refused.append((paths[0], _why(exc)))
        return played
    progress.update(total)
    history.writer.put(history.recorder.held(), [], wait=True)
    stats = pipeline.stats
    if not task.traces and stats.snapshots == 0 and count:
        why = f"not a recording or trace file: no snapshot in {count:,} lines"
        played.refused.append((paths[0], why))
        return played
    played.files = len(paths) - len(played.refused)
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


async def _merged_snapshots(traces: list[list[Position]]) -> AsyncIterator[Snapshot | str]:
    """The positions of several aircraft's traces (each oldest first) in time order, as
    snapshots a poll apart: a snapshot spans at most TRACE_SNAPSHOT_S and holds one
    position per aircraft; its time is its latest position's."""
    positions: list[Position] = []
    seen: set[str] = set()
    for position in heapq.merge(*traces, key=lambda p: p.time):
        if positions and (
            position.hex in seen or position.time - positions[0].time >= TRACE_SNAPSHOT_S
        ):
            yield Snapshot(now=positions[-1].time, positions=positions)
            positions, seen = [], set()
        positions.append(position)
        seen.add(position.hex)
    if positions:
        yield Snapshot(now=positions[-1].time, positions=positions)


async def _recording_snapshots(path: Path) -> AsyncIterator[Snapshot | str]:
    # The replay loop judges each line's date by its neighbours, as `replay` does.
    from service.feeds.replay import iter_snapshots
    from service.pipeline.replay import judged

    for snapshot, reason in judged(iter_snapshots(path)):
        yield snapshot if snapshot is not None else reason
