"""What the history tests share: settings on a file of the test's own, an import run
the way the command runs it, and hours abroad computed independently of the service
(from the recording's raw positions and the boundary index alone)."""

from __future__ import annotations

import gzip
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np

from service.app import build_history, build_pipeline
from service.history.importer import ImportSummary, import_files
from service.locate import Boundaries
from service.metrics import Metrics
from service.settings import DEFAULT_CONFIG, Settings, load_settings
from service.store import MemoryStore


def history_settings(boundaries_path: Path, history_file: Path, **history: object) -> Settings:
    """The shipped configuration, without feeds, on `history_file`."""
    base = load_settings(DEFAULT_CONFIG, environ={})
    return base.model_copy(
        update={
            "boundaries": base.boundaries.model_copy(update={"path": boundaries_path}),
            "history": base.history.model_copy(update={"path": history_file, **history}),
            "feeds": [],
        }
    )


async def import_into(
    settings: Settings, boundaries: Boundaries, paths: Sequence[Path], *, watch_all: bool = False
) -> ImportSummary:
    """Import `paths` as `borderwatch history import` does, then close the file."""
    pipeline = build_pipeline(settings, MemoryStore(), Metrics(), boundaries)
    history = build_history(settings, pipeline, None, wait=True)
    try:
        return await import_files(settings, boundaries, paths, history, watch_all=watch_all)
    finally:
        history.close()


def table_counts(path: Path) -> tuple[int, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        points = con.execute("SELECT count(*) FROM track_points").fetchone()
        episodes = con.execute("SELECT count(*) FROM episodes").fetchone()
    assert points is not None and episodes is not None
    return points[0], episodes[0]


def raw_positions(path: Path) -> dict[str, list[tuple[float, float, float]]]:
    """(time, lat, lon) per address, from the recording's lines as they are, less the
    fixes a feed re-sent: the same position again while the aircraft reports speed
    (the pipeline drops those as `stale_position`, service/track/jumps.py)."""
    found: dict[str, dict[float, tuple[float, float, float]]] = defaultdict(dict)
    with gzip.open(path, "rt") as lines:
        for line in lines:
            try:
                snapshot = json.loads(line)
                now = float(snapshot["now"])
                aircraft = snapshot["aircraft"]
            except (ValueError, KeyError, TypeError):
                continue
            for record in aircraft:
                if not isinstance(record, dict) or "lat" not in record or "lon" not in record:
                    continue
                time = now - float(record.get("seen_pos", 0.0))
                speed = float(record.get("gs") or 0.0)
                found[str(record["hex"]).lower()][time] = (record["lat"], record["lon"], speed)
    out: dict[str, list[tuple[float, float, float]]] = {}
    for hex_, points in found.items():
        kept: list[tuple[float, float, float]] = []
        for time, (lat, lon, speed) in sorted(points.items()):
            if kept and _resent(kept[-1], (time, lat, lon), speed):
                continue
            kept.append((time, lat, lon))
        out[hex_] = kept
    return out


def _resent(
    last: tuple[float, float, float], point: tuple[float, float, float], speed_kt: float
) -> bool:
    """Within 50 m of the last fix although the speed reported should have carried the
    aircraft 100 m since."""
    lat1, lon1, lat2, lon2 = map(math.radians, (last[1], last[2], point[1], point[2]))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    distance_km = 2 * 6371.0088 * math.asin(math.sqrt(a))
    return distance_km < 0.05 and speed_kt * 1.852 * (point[0] - last[0]) / 3600 >= 0.1


def hours_by_country(
    boundaries: Boundaries, points: list[tuple[float, float, float]], gap_s: float = 600.0
) -> tuple[float, dict[str, float]]:
    """(flight hours, hours per country or "" for the high seas): each interval between
    consecutive points no further apart than `gap_s`, in the earlier point's country."""
    times = np.array([p[0] for p in points])
    index = boundaries.locate_many([p[1] for p in points], [p[2] for p in points])
    countries = [boundaries.code(int(i)) if i >= 0 else "" for i in index]
    flight = 0.0
    inside: dict[str, float] = defaultdict(float)
    for k in range(len(points) - 1):
        step = float(times[k + 1] - times[k])
        if 0 < step <= gap_s:
            flight += step
            inside[countries[k]] += step
    return flight / 3600, {c: s / 3600 for c, s in inside.items()}
