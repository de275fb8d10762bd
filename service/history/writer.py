"""The one writer of the history file: a background thread that owns the DuckDB
connection. The event loop only hands it rows (`put`, which never blocks polling);
rows are written in batches of up to `batch_rows`, at the latest `flush_interval_s`
after they arrived, each batch in one transaction, and what is left on `close`.

What cannot be written is dropped and counted by reason (`dropped`): `queue_full`
(the writer fell more than `queue_max` rows behind) and `write_failed` (the file
refused a batch: a full disk, say). A crash loses at most the rows not yet written;
the service writes again, on its next start, what the store still holds
(service/history/tap.py).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import structlog

from service.history import schema
from service.history.recorder import EpisodeRow, PointRow, merge
from service.history.retention import Retention

log = structlog.get_logger(__name__)

_STOP: Final = object()


class HistoryError(RuntimeError):
    """The history file cannot be opened or read; the message names it."""


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and with write access create) the history file, its tables ready.

    Raises HistoryError with a one-line reason: another process holds the file (a
    running service), it is no DuckDB file, the folder is not writable."""
    try:
        if read_only:
            if not path.exists():
                raise HistoryError(f"{path}: no history file (nothing recorded or imported)")
            return duckdb.connect(str(path), read_only=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "lock" in first.lower():
            first = "in use by another process (a running service?): " + first
        raise HistoryError(f"{path}: {first}") from None
    except OSError as exc:
        raise HistoryError(f"{path}: {exc.strerror or exc}") from None
    for statement in schema.DDL:
        con.execute(statement)
    if con.execute("SELECT count(*) FROM schema_version").fetchone() == (0,):
        con.execute("INSERT INTO schema_version VALUES (?)", [schema.SCHEMA_VERSION])
    return con


def _columns(rows: Sequence[tuple[Any, ...]], names: Sequence[str]) -> dict[str, np.ndarray]:
    """Rows as one NumPy array per column (DuckDB scans those without a copy per row)."""
    columns = zip(*rows, strict=True)
    return {
        name: np.array(values, dtype=object) for name, values in zip(names, columns, strict=True)
    }


def write_batch(
    con: duckdb.DuckDBPyConnection, points: Sequence[PointRow], episodes: Sequence[EpisodeRow]
) -> None:
    """Write rows in one transaction, idempotently (see service/history/schema.py)."""
    unique_points = list({(p.hex, p.time): p for p in points}.values())
    merged: dict[tuple[str, str, float], EpisodeRow] = {}
    for row in episodes:
        old = merged.get(row.key)
        merged[row.key] = row if old is None else merge(old, row)
    con.execute("BEGIN")
    try:
        if unique_points:
            con.register("batch", _typed_points(unique_points))
            con.execute(schema.INSERT_POINTS)
            con.execute(schema.UPDATE_NEXT)
            con.unregister("batch")
        if merged:
            con.register("batch", _columns(list(merged.values()), schema.EPISODE_NAMES))
            con.execute(schema.UPSERT_EPISODES)
            con.unregister("batch")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _typed_points(points: Sequence[PointRow]) -> dict[str, np.ndarray]:
    columns = _columns(points, schema.POINT_NAMES)
    # Typed arrays where no value can be missing: scanned far faster than objects.
    for name in ("time", "lat", "lon"):
        columns[name] = columns[name].astype(np.float64)
    columns["on_ground"] = columns["on_ground"].astype(bool)
    return columns


class HistoryWriter:
    """Batches rows into the history file from a thread of its own."""

    def __init__(
        self,
        path: Path,
        *,
        batch_rows: int,
        flush_interval_s: float,
        queue_max: int,
        on_drop: Callable[[str, int], None] | None = None,
        retention: Retention | None = None,
        prune_every_s: float = 86400.0,
        first_prune_s: float = 60.0,
    ) -> None:
        """Opens the file now (raises HistoryError); `on_drop(reason, rows)` is told of
        every row dropped (the metrics); `retention` is applied at start and then every
        `first_prune_s` after the start (not during it) and then every `prune_every_s`."""
        self.retention = retention
        self.prune_every_s = prune_every_s
        self.first_prune_s = first_prune_s
        self.path = path
        self.batch_rows = batch_rows
        self.flush_interval_s = flush_interval_s
        self.queue_max = queue_max
        self.on_drop = on_drop
        self.con = connect(path)
        # One thread: the writer runs beside the poll loop (or an import's workers), to
        # which the CPUs belong; its batches are small enough for one.
        self.con.execute("SET threads TO 1")
        self.dropped: Counter[str] = Counter()
        self.written = 0
        self._queue: queue.Queue[Any] = queue.Queue()
        self._waiting = 0  # rows handed over and not yet written
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._thread.start()

    def put(
        self, points: list[PointRow], episodes: list[EpisodeRow], *, wait: bool = False
    ) -> bool:
        """Hand rows to the writer; False when they were dropped (it is too far behind).
        With `wait` (an import), wait for room instead of dropping."""
        rows = len(points) + len(episodes)
        if not rows:
            return True
        while True:
            with self._lock:
                if self._waiting + rows <= max(self.queue_max, rows) or not self._thread.is_alive():
                    self._waiting += rows
                    break
            if not wait:
                self._drop("queue_full", rows)
                return False
            time.sleep(0.01)  # an import waits for the writer to catch up
        self._queue.put((points, episodes))
        return True

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until every row handed over so far is written (False: timed out)."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout_s)

    def close(self, timeout_s: float | None = None) -> None:
        """Write what is waiting, then close the file."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.error("history.close_timeout", waiting_rows=self._waiting)

    def reader(self) -> duckdb.DuckDBPyConnection:
        """A connection for reads from another thread (the API's reports)."""
        return self.con.cursor()

    def _drop(self, reason: str, rows: int) -> None:
        self.dropped[reason] += rows
        if self.on_drop is not None:
            self.on_drop(reason, rows)

    def _run(self) -> None:
        points: list[PointRow] = []
        episodes: list[EpisodeRow] = []
        deadline: float | None = None
        next_prune = time.monotonic() + self.first_prune_s
        try:
            while True:
                if self.retention is not None and time.monotonic() >= next_prune:
                    self._prune()
                    next_prune = time.monotonic() + self.prune_every_s
                wake = next_prune if self.retention is not None else None
                if deadline is not None:
                    wake = deadline if wake is None else min(wake, deadline)
                timeout = None if wake is None else max(0.0, wake - time.monotonic())
                try:
                    item = self._queue.get(timeout=timeout)
                except queue.Empty:
                    if deadline is None or time.monotonic() < deadline:
                        continue  # time to prune, not to write
                    item = None
                if isinstance(item, tuple):
                    points.extend(item[0])
                    episodes.extend(item[1])
                    if deadline is None:
                        deadline = time.monotonic() + self.flush_interval_s
                    if len(points) + len(episodes) < self.batch_rows:
                        continue
                self._write(points, episodes)
                points, episodes, deadline = [], [], None
                if isinstance(item, threading.Event):
                    item.set()
                elif item is _STOP:
                    return
        finally:
            self.con.close()

    def _prune(self) -> None:
        assert self.retention is not None
        try:
            points, episodes = self.retention.prune(self.con, time.time())
        except duckdb.Error as exc:
            log.error("history.prune_failed", error=str(exc).splitlines()[0])
            return
        if points or episodes:
            log.info("history.pruned", points=points, episodes=episodes)

    def _write(self, points: list[PointRow], episodes: list[EpisodeRow]) -> None:
        rows = len(points) + len(episodes)
        if not rows:
            return
        try:
            write_batch(self.con, points, episodes)
        except duckdb.Error as exc:
            log.error("history.write_failed", rows=rows, error=str(exc).splitlines()[0])
            self._drop("write_failed", rows)
        else:
            self.written += rows
        with self._lock:
            self._waiting -= rows
