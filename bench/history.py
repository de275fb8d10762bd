"""The history at scale: import throughput for a million positions, and the time of a
one-year hours-abroad report.

    python bench/history.py [AIRCRAFT] [SNAPSHOTS]   # default 500 aircraft x 2,000 = 1M

1. Import: writes recordings (readsb aircraft.json lines, gzip, one snapshot every
   10 s; two files per CPU, the aircraft shared out) of AIRCRAFT US government
   aircraft (AE-block addresses, watch-listed) crossing the Rio Grande to and fro,
   then times `borderwatch history import` of them into a fresh file as the command
   runs it (a process per CPU, each file through decode, identify, locate with border
   depths, track, every shipped rule; the one writer), and prints positions per second
   and rows written. Then the same flights as readsb trace files, one per aircraft (as
   the daily history releases come), imported the same way (played together in
   groups, `TRACE_GROUP`).
2. Report: synthesises a year of track points straight into a fresh file (20 aircraft,
   8 hours a day each, a point every 30 s, a third of each flight in Mexico: 7 million
   rows, with the intervals the writer keeps), then times `report hours-abroad` by
   aircraft, by state and by country over the whole year (median of 5, the file opened
   read-only as the command opens it).

Prints numbers; asserts nothing.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service import logs
from service.app import build_history, build_pipeline
from service.history.importer import import_files
from service.history.reports import Filters, hours_abroad
from service.history.writer import connect
from service.locate import Boundaries
from service.metrics import Metrics
from service.models import Category
from service.pipeline.heap import settle_heap
from service.settings import DEFAULT_CONFIG, load_settings
from service.store import MemoryStore

ROOT = Path(__file__).resolve().parent.parent
STEP_S = 10.0
START = 1_755_043_200.0  # 2025-08-13 00:00 UTC
YEAR_START = 1_735_689_600.0  # 2025-01-01 00:00 UTC


def record(k: int, aircraft: int, step: int) -> dict[str, object]:
    """Aircraft k of `aircraft` at 240 kt, crossing the Rio Grande to and fro near Eagle
    Pass (north-south), at snapshot `step`: as a readsb aircraft record."""
    phase = (step / 360.0 + k / aircraft) * 2 * math.pi
    lat = 28.7 + 0.6 * math.sin(phase) + (k % 10) * 0.01
    lon = -100.5 - (k // 10) * 0.02
    return {"hex": f"ae{k:04x}", "flight": f"TEST{k:03d}", "lat": round(lat, 5),
            "lon": round(lon, 5), "alt_baro": 12000 + 100 * (k % 50), "gs": 240.0,
            "track": 0.0 if math.cos(phase) > 0 else 180.0, "seen_pos": 0.5}  # fmt: skip


def write_recording(path: Path, fleet: range, snapshots: int) -> int:
    """The aircraft numbered `fleet`, a snapshot every STEP_S."""
    aircraft = fleet.stop
    positions = 0
    with gzip.open(path, "wt", compresslevel=1) as out:
        for step in range(snapshots):
            records = [record(k, aircraft, step) for k in fleet]
            positions += len(records)
            out.write(json.dumps({"now": START + step * STEP_S, "aircraft": records}) + "\n")
    return positions


def write_trace(folder: Path, k: int, aircraft: int, snapshots: int) -> Path:
    """The same flight as a readsb trace file (gzip, as the history releases ship it):
    [seconds after `timestamp`, lat, lon, altitude, ground speed, track, flags, vertical
    rate, details (now and then), source]."""
    points = []
    for step in range(snapshots):
        r = record(k, aircraft, step)
        details = {"flight": r["flight"]} if step % 60 == 0 else None
        points.append([step * STEP_S, r["lat"], r["lon"], r["alt_baro"], r["gs"], r["track"],
                       0, None, details, "adsb_icao"])  # fmt: skip
    path = folder / f"trace_full_{r['hex']}.json"
    body = {"icao": r["hex"], "timestamp": START, "trace": points}
    path.write_bytes(gzip.compress(json.dumps(body).encode(), compresslevel=1))
    return path


def bench_import(aircraft: int, snapshots: int, folder: Path) -> None:
    jobs = os.cpu_count() or 1
    files = 2 * jobs  # a recording per group of aircraft
    recordings = [folder / f"part{n}.jsonl.gz" for n in range(files)]
    written = sum(
        write_recording(path, range(n, aircraft, files), snapshots)
        for n, path in enumerate(recordings)
    )
    import_timed("recordings", recordings, written, aircraft, snapshots, folder)
    traces = folder / "traces"
    traces.mkdir()
    paths = [write_trace(traces, k, aircraft, snapshots) for k in range(aircraft)]
    import_timed("trace files", paths, written, aircraft, snapshots, folder)


def import_timed(
    kind: str, paths: list[Path], written: int, aircraft: int, snapshots: int, folder: Path
) -> None:
    jobs = os.cpu_count() or 1
    base = load_settings(DEFAULT_CONFIG, environ={})
    watch = {f"ae{k:04x}": Category.GOVERNMENT for k in range(aircraft)}
    settings = base.model_copy(
        update={
            "identify": base.identify.model_copy(update={"watch": watch}),
            "history": base.history.model_copy(update={"path": folder / f"{kind}.duckdb"}),
            "feeds": [],
        }
    )
    boundaries = Boundaries.load(settings.boundaries.path)
    pipeline = build_pipeline(settings, MemoryStore(), Metrics(), boundaries)
    history = build_history(settings, pipeline, None, wait=True)
    settle_heap()  # as the command does
    began = time.perf_counter()
    summary = asyncio.run(import_files(settings, boundaries, paths, history, jobs=jobs))
    history.close()
    seconds = time.perf_counter() - began
    print(
        f"import {kind}: {written:,} positions ({aircraft} aircraft x {snapshots:,} snapshots, "
        f"{len(paths)} files, {jobs} processes) in "
        f"{seconds:.1f} s = {summary.positions / seconds:,.0f} positions/s; "
        f"{history.file.written:,} rows written, {summary.episodes:,} episode events"
    )


def synthesise_year(path: Path, aircraft: int = 20, hours_a_day: float = 8.0) -> int:
    """A year of 30 s points straight into the file: each aircraft flies from 08:00 for
    `hours_a_day` every day, the middle third of each flight in Mexico."""
    per_day = int(hours_a_day * 3600 / 30)
    with connect(path) as con:
        con.execute(f"""
            INSERT INTO track_points
            SELECT *, lead(time) OVER (PARTITION BY hex ORDER BY time) - time AS next_s
            FROM (
                SELECT 'ae' || lpad(printf('%x', a), 4, '0') AS hex,
                       {YEAR_START} + d * 86400 + 8 * 3600 + i * 30 + a AS time,
                       28.7 AS lat, -100.5 AS lon, 12000 AS alt_ft, 240.0 AS gs_kt,
                       false AS on_ground,
                       CASE WHEN i BETWEEN {per_day // 3} AND {2 * per_day // 3} THEN 'MX'
                            ELSE 'US' END AS country,
                       NULL AS depth_km, 'US' AS state, 'government' AS category,
                       'TEST' || a AS callsign, NULL AS registration,
                       'US Customs and Border Protection' AS operator
                FROM range({aircraft}) t(a), range(365) u(d), range({per_day}) v(i)
            )
        """)  # fmt: skip
        found = con.execute("SELECT count(*) FROM track_points").fetchone()
    return int(found[0]) if found else 0


def bench_report(folder: Path) -> None:
    path = folder / "year.duckdb"
    rows = synthesise_year(path)
    year = Filters(since=YEAR_START, until=YEAR_START + 365 * 86400)
    with connect(path, read_only=True) as con:
        for by in ("aircraft", "state", "country"):
            times = []
            for _ in range(5):
                began = time.perf_counter()
                report = hours_abroad(con, by, year)
                times.append(time.perf_counter() - began)
            top = report[0].as_json()
            print(
                f"report hours-abroad --by {by}: {rows:,} track points (a year) in "
                f"{statistics.median(times) * 1000:.0f} ms (median of 5); first line "
                f"{top['key']}: {top['flight_hours']:,.1f} h flown, "
                f"{top['abroad_hours']:,.1f} h abroad"
            )


def main() -> None:
    logs.configure(level="warning", json=False)
    aircraft = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    snapshots = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    with tempfile.TemporaryDirectory() as folder:
        bench_import(aircraft, snapshots, Path(folder))
        bench_report(Path(folder))


if __name__ == "__main__":
    main()
