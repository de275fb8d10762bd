"""Throughput benchmarks for borderwatch: prints numbers and writes bench/results.json.

Run from the project root with `make bench` (or `.venv/bin/python bench/run.py`). Every
figure is the median of several repetitions timed with time.perf_counter in this one
process (one core), except the index load, which runs in fresh subprocesses. Nothing is
asserted: the numbers are for reading and comparing between commits and machines.
bench/README.md explains each key.
"""

from __future__ import annotations

import asyncio
import gc
import io
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
import redis.asyncio as aioredis
import shapely
from pydantic import SecretStr
from redis.exceptions import RedisError

from service import logs
from service.app import build_app
from service.cli.replay import replay
from service.feeds.readsb import decode_snapshot
from service.identify import Identifier
from service.locate import Boundaries, BoundariesError
from service.models import Position, Snapshot
from service.settings import BoundarySettings, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
BOUNDARIES = ROOT / "var" / "boundaries.bin"
RECORDING = ROOT / "var" / "troy701.jsonl.gz"
RESULTS = Path(__file__).resolve().parent / "results.json"

SEED = 20250813
N_POINTS = 15_000  # locate, identify, decode and the world snapshot
N_DEPTH = 2_000
BORDER_KM = 20.0
MEAN_EARTH_RADIUS_KM = 6371.0088
MIB = 1024.0 * 1024.0
SNAPSHOT_NOW = 1_755_071_100.0  # 2025-08-13 07:45 UTC, the day of the demo recording

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# --------------------------------------------------------------------------- timing


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of `repeats` calls of fn."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def show(label: str, value: float, unit: str, times: Sequence[float] = ()) -> None:
    detail = ""
    if times:
        runs = ", ".join(f"{t * 1000:.1f}" for t in times)
        detail = f"   (runs ms: {runs})"
    print(f"  {label:<40} {value:>14,.3f} {unit}{detail}", flush=True)


def section(title: str) -> None:
    print(f"\n{title}", flush=True)


# --------------------------------------------------------------------------- inputs


def world_points(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    """Uniform on the sphere: lat = asin(U(-1, 1)), lon = U(-180, 180)."""
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    return lat, lon


def offset_points(
    rng: np.random.Generator, lat: FloatArray, lon: FloatArray, max_km: float
) -> tuple[FloatArray, FloatArray]:
    """Move each point 0..max_km in a random direction (great-circle destination)."""
    n = lat.size
    delta = rng.uniform(0.0, max_km, n) / MEAN_EARTH_RADIUS_KM
    bearing = rng.uniform(0.0, 2.0 * math.pi, n)
    phi, lam = np.radians(lat), np.radians(lon)
    phi2 = np.arcsin(np.sin(phi) * np.cos(delta) + np.cos(phi) * np.sin(delta) * np.cos(bearing))
    lam2 = lam + np.arctan2(
        np.sin(bearing) * np.sin(delta) * np.cos(phi), np.cos(delta) - np.sin(phi) * np.sin(phi2)
    )
    out_lon = (np.degrees(lam2) + 180.0) % 360.0 - 180.0
    return np.degrees(phi2), out_lon


def border_points(
    rng: np.random.Generator, boundaries: Boundaries, n: int, max_km: float
) -> tuple[FloatArray, FloatArray]:
    """Points within max_km of a border or coast.

    A ring is drawn among the exteriors of every country's polygons with probability
    proportional to its length (in degrees), a point is interpolated at a uniform
    fraction along it, then moved 0..max_km in a random direction.
    """
    rings = np.concatenate(
        [
            shapely.get_exterior_ring(shapely.get_parts(boundaries.geometry(i)))
            for i in range(len(boundaries))
        ]
    )
    lengths = shapely.length(rings)
    chosen = rng.choice(rings.size, size=n, p=lengths / lengths.sum())
    on_border = shapely.line_interpolate_point(
        rings[chosen], rng.uniform(0.0, 1.0, n), normalized=True
    )
    coords = shapely.get_coordinates(on_border)
    return offset_points(rng, coords[:, 1].copy(), coords[:, 0].copy(), max_km)


@dataclass(frozen=True, slots=True)
class Block:
    """A civil address range with plausible callsign prefixes and registrations."""

    start: int
    end: int
    airlines: tuple[str, ...]
    registration: Callable[[np.random.Generator], str]


def _letters(rng: np.random.Generator, k: int) -> str:
    return "".join(chr(ord("A") + int(c)) for c in rng.integers(0, 26, k))


def _digits(rng: np.random.Generator, k: int) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, k))


CIVIL_BLOCKS: tuple[tuple[Block, float], ...] = (
    # Civil parts of national blocks: military ranges (US ADF7C8-AFFFFF, Brazil
    # E40000-E41FFF, Australia 7CF800-7CFAFF, ...) are left out.
    (
        Block(
            0xA00000,
            0xADF7C7,
            ("AAL", "DAL", "UAL", "SWA", "JBU", "ASA", "FDX", "UPS"),
            lambda r: f"N{int(r.integers(100, 999))}{_letters(r, 2)}",
        ),
        0.34,
    ),
    (
        Block(0x400040, 0x43BFFF, ("BAW", "EZY", "VIR", "TOM"), lambda r: f"G-{_letters(r, 4)}"),
        0.09,
    ),
    (
        Block(0x3C0000, 0x3DFFFF, ("DLH", "EWG", "CFG", "BOX"), lambda r: f"D-A{_letters(r, 3)}"),
        0.08,
    ),
    (Block(0x380000, 0x39FFFF, ("AFR", "TVF", "EJU"), lambda r: f"F-G{_letters(r, 3)}"), 0.07),
    (Block(0x780000, 0x7BFFFF, ("CCA", "CES", "CSN", "CHH"), lambda r: f"B-{_digits(r, 4)}"), 0.12),
    (
        Block(
            0x840000,
            0x87FFFF,
            ("JAL", "ANA", "SKY"),
            lambda r: f"JA{_digits(r, 3)}{_letters(r, 1)}",
        ),
        0.05,
    ),
    (Block(0x0D0000, 0x0D7FFF, ("AMX", "VOI", "VIV"), lambda r: f"XA-{_letters(r, 3)}"), 0.05),
    (Block(0xE42000, 0xE7FFFF, ("TAM", "GLO", "AZU"), lambda r: f"PR-{_letters(r, 3)}"), 0.05),
    (Block(0x800000, 0x83FFFF, ("AIC", "IGO", "SEJ"), lambda r: f"VT-{_letters(r, 3)}"), 0.05),
    (Block(0x7C0000, 0x7CF7FF, ("QFA", "VOZ", "JST"), lambda r: f"VH-{_letters(r, 3)}"), 0.05),
    (Block(0x896000, 0x896FFF, ("UAE", "ETD"), lambda r: f"A6-{_letters(r, 3)}"), 0.05),
)

# (operator designator, first and last address): state aircraft flying a government
# operator designator on an address of their own State.
DESIGNATED: tuple[tuple[str, int, int], ...] = (
    ("RCH", 0xAE0000, 0xAFFFFF),  # US Air Mobility Command
    ("PAT", 0xAE0000, 0xAFFFFF),  # US Army Priority Air Transport
    ("GAF", 0x3F4000, 0x3FBFFF),  # German Air Force
    ("CFC", 0xC00000, 0xC3FFFF),  # Canadian Forces
    ("CTM", 0x3B7000, 0x3BFFFF),  # French Air Force transport
    ("RRR", 0x43C000, 0x43CFFF),  # Royal Air Force
    ("IAM", 0x33FF00, 0x33FFFF),  # Italian Air Force
    ("ASY", 0x7CF800, 0x7CFAFF),  # Royal Australian Air Force
    ("NAF", 0x480000, 0x480FFF),  # Royal Netherlands Air Force
)


@dataclass(frozen=True, slots=True)
class Row:
    """One aircraft as a feed describes it: the columns identify_many takes."""

    hex: str
    callsign: str | None
    registration: str | None
    db_flags: int
    state: bool  # meant to be a state aircraft (for the world snapshot's mix)
    type_code: str


CIVIL_TYPES = ("A320", "B738", "A21N", "B38M", "B77W", "A359", "E190", "CRJ9", "AT76", "C172")
STATE_TYPES = ("C17", "K35R", "C30J", "A400", "P8", "E3TF", "GLF5", "A332", "Q9", "H60")


def make_rows(rng: np.random.Generator, n: int, state_fraction: float) -> list[Row]:
    """A realistic mix of aircraft.

    Civil: addresses from several national blocks with airline callsigns (about 8% with
    no callsign yet, most with a registration). State (`state_fraction` of the rows):
    mostly US military AE-block addresses (half of them with dbFlags bit 0, some flying
    RCH/PAT designators), plus a few designator callsigns of other air forces (GAF881,
    CFC4010, ...). About 1% are non-ICAO "~" addresses (TIS-B) with no callsign.
    """
    weights = np.array([w for _, w in CIVIL_BLOCKS])
    block_of = rng.choice(len(CIVIL_BLOCKS), size=n, p=weights / weights.sum())
    kind = rng.uniform(0.0, 1.0, n)
    rows: list[Row] = []
    for i in range(n):
        u = float(kind[i])
        if u < 0.01:
            rows.append(Row(f"~{int(rng.integers(0, 1 << 24)):06x}", None, None, 0, False, ""))
        elif u < 0.01 + state_fraction:
            rows.append(_state_row(rng, (u - 0.01) / state_fraction))
        else:
            block, _ = CIVIL_BLOCKS[int(block_of[i])]
            address = int(rng.integers(block.start, block.end + 1))
            callsign = None
            if rng.uniform() > 0.08:
                airline = block.airlines[int(rng.integers(0, len(block.airlines)))]
                callsign = f"{airline}{int(rng.integers(1, 9999))}"
            registration = block.registration(rng) if rng.uniform() < 0.85 else None
            type_code = CIVIL_TYPES[int(rng.integers(0, len(CIVIL_TYPES)))]
            rows.append(Row(f"{address:06x}", callsign, registration, 0, False, type_code))
    return rows


def _state_row(rng: np.random.Generator, u: float) -> Row:
    """A state aircraft; u in [0, 1) picks the kind."""
    type_code = STATE_TYPES[int(rng.integers(0, len(STATE_TYPES)))]
    if u < 0.85:  # US military block, the bulk of any military feed
        address = int(rng.integers(0xAE0000, 0xB00000))
        callsign = None
        if u < 0.25:
            callsign = f"RCH{int(rng.integers(100, 999))}"
        elif u < 0.6:
            callsign = f"{_letters(rng, 4)}{int(rng.integers(10, 99))}"  # tactical callsigns
        flags = 1 if rng.uniform() < 0.5 else 0
        return Row(f"{address:06x}", callsign, None, flags, True, type_code)
    designator, start, end = DESIGNATED[int(rng.integers(0, len(DESIGNATED)))]
    address = int(rng.integers(start, end + 1))
    callsign = f"{designator}{int(rng.integers(1, 9999))}"
    return Row(f"{address:06x}", callsign, None, 0, True, type_code)


def readsb_records(rng: np.random.Generator, rows: Sequence[Row]) -> list[dict[str, Any]]:
    """readsb aircraft.json objects for the rows, positioned uniformly over the world."""
    lat, lon = world_points(rng, len(rows))
    records: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        record: dict[str, Any] = {
            "hex": row.hex,
            "type": "mlat" if rng.uniform() < 0.05 else "adsb_icao",
        }
        if row.callsign is not None:
            record["flight"] = f"{row.callsign:<8}"
        if row.registration is not None:
            record["r"] = row.registration
        if row.type_code:
            record["t"] = row.type_code
        if row.db_flags:
            record["dbFlags"] = row.db_flags
        ground = rng.uniform() < 0.05
        record["alt_baro"] = "ground" if ground else int(rng.integers(0, 450)) * 100
        record["gs"] = round(float(rng.uniform(0, 20) if ground else rng.uniform(120, 520)), 1)
        record["track"] = round(float(rng.uniform(0, 360)), 1)
        record["squawk"] = f"{int(rng.integers(0, 8**4)):04o}"
        record["lat"] = round(float(lat[i]), 5)
        record["lon"] = round(float(lon[i]), 5)
        record["seen_pos"] = round(float(rng.uniform(0, 5)), 1)
        record["seen"] = round(float(rng.uniform(0, 2)), 1)
        record["rssi"] = round(float(rng.uniform(-30, -3)), 1)
        records.append(record)
    return records


# --------------------------------------------------------------------------- locate


def strtree_locate(tree: Any, lat: FloatArray, lon: FloatArray) -> npt.NDArray[np.int32]:
    """Naive baseline: one unprepared MultiPolygon per country in a plain STRtree.

    "intersects" keeps points exactly on a border, as locate_many does; ties go to the
    lowest country index, none is -1.
    """
    point_hit, country_hit = tree.query(shapely.points(lon, lat), predicate="intersects")
    best = np.full(lat.size, np.iinfo(np.int32).max, dtype=np.int64)
    np.minimum.at(best, point_hit, country_hit)
    return np.where(best == np.iinfo(np.int32).max, -1, best).astype(np.int32)


def bench_locate(
    boundaries: Boundaries, results: dict[str, float]
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int32]]:
    rng = np.random.default_rng(SEED)
    section(f"locate: {N_POINTS:,} points, Boundaries.locate_many (warm)")
    lat, lon = world_points(rng, N_POINTS)
    located = boundaries.locate_many(lat, lon)  # warm: prepared edges are built lazily
    times = timed(lambda: boundaries.locate_many(lat, lon), 9)
    results["locate_points_per_s_world"] = N_POINTS / statistics.median(times)
    show("world (uniform on the sphere)", results["locate_points_per_s_world"], "points/s", times)
    print(f"    {np.mean(located >= 0):.1%} of world points fall in some country")

    b_lat, b_lon = border_points(rng, boundaries, N_POINTS, BORDER_KM)
    b_located = boundaries.locate_many(b_lat, b_lon)
    times = timed(lambda: boundaries.locate_many(b_lat, b_lon), 9)
    results["locate_points_per_s_border"] = N_POINTS / statistics.median(times)
    show(
        f"within {BORDER_KM:.0f} km of borders/coasts",
        results["locate_points_per_s_border"],
        "points/s",
        times,
    )
    print(f"    {np.mean(b_located >= 0):.1%} of border points fall in some country")

    geometries = [boundaries.geometry(i) for i in range(len(boundaries))]
    tree = shapely.STRtree(geometries)
    baseline = strtree_locate(tree, lat, lon)  # warm, and the answers to compare
    times = timed(lambda: strtree_locate(tree, lat, lon), 3)
    results["locate_points_per_s_strtree_baseline"] = N_POINTS / statistics.median(times)
    show(
        "baseline: plain STRtree, world points",
        results["locate_points_per_s_strtree_baseline"],
        "points/s",
        times,
    )
    speedup = results["locate_points_per_s_world"] / results["locate_points_per_s_strtree_baseline"]
    print(f"    locate_many is {speedup:.0f}x the baseline")
    agree = located == baseline
    results["locate_agreement_world"] = float(np.mean(agree))
    show("agreement with the baseline (world)", results["locate_agreement_world"], "fraction")
    for i in np.flatnonzero(~agree)[:5].tolist():
        print(
            f"    differs at ({lat[i]:.5f}, {lon[i]:.5f}): locate_many {located[i]}, "
            f"baseline {baseline[i]}"
        )
    return b_lat, b_lon, b_located


def bench_depth(
    boundaries: Boundaries,
    lat: FloatArray,
    lon: FloatArray,
    located: npt.NDArray[np.int32],
    results: dict[str, float],
) -> None:
    section(f"depth: {N_DEPTH:,} border points, Boundaries.depth_km in their located country")
    inside = np.flatnonzero(located >= 0)[:N_DEPTH]
    calls = [(int(located[i]), float(lat[i]), float(lon[i])) for i in inside.tolist()]
    # Warm: the per-country segment index is built on the first depth query there.
    for index in sorted({index for index, _, _ in calls}):
        first = next(call for call in calls if call[0] == index)
        boundaries.depth_km(*first)

    def run() -> None:
        for index, p_lat, p_lon in calls:
            boundaries.depth_km(index, p_lat, p_lon)

    times = timed(run, 3)
    results["depth_km_calls_per_s"] = len(calls) / statistics.median(times)
    show("depth_km (warm segment indexes)", results["depth_km_calls_per_s"], "calls/s", times)
    depths = [boundaries.depth_km(*call) for call in calls[:200]]
    print(f"    median depth of the first 200: {statistics.median(depths):.1f} km")


# --------------------------------------------------------------------------- identify, decode


def bench_identify(rows: Sequence[Row], results: dict[str, float]) -> None:
    section(f"identify: {len(rows):,} rows, Identifier().identify_many (warm address cache)")
    identifier = Identifier()
    hexes = [row.hex for row in rows]
    callsigns = [row.callsign for row in rows]
    registrations = [row.registration for row in rows]
    flags = [row.db_flags for row in rows]
    verdicts = identifier.identify_many(hexes, callsigns, registrations, flags)

    def first_sight() -> None:
        identifier.forget_rows()  # every row is new to the per-row memo
        identifier.identify_many(hexes, callsigns, registrations, flags)

    times = timed(first_sight, 7)
    results["identify_rows_per_s"] = len(rows) / statistics.median(times)
    show("identify_many, rows not seen before", results["identify_rows_per_s"], "rows/s", times)
    times = timed(lambda: identifier.identify_many(hexes, callsigns, registrations, flags), 7)
    results["identify_rows_per_s_repeat"] = len(rows) / statistics.median(times)
    show(
        "identify_many, the same rows again", results["identify_rows_per_s_repeat"], "rows/s", times
    )
    state = sum(v.is_state_aircraft for v in verdicts)
    meant = sum(row.state for row in rows)
    print(f"    {state:,} state aircraft identified ({meant:,} generated as such)")


def bench_decode(records: list[dict[str, Any]], results: dict[str, float]) -> None:
    data = msgspec.json.encode({"now": SNAPSHOT_NOW, "messages": 123_456_789, "aircraft": records})
    section(f"decode: readsb snapshot, {len(records):,} aircraft, {len(data) / MIB:.1f} MiB JSON")
    snapshot = decode_snapshot(data, source="bench")
    times = timed(lambda: decode_snapshot(data, source="bench"), 7)
    results["decode_aircraft_per_s"] = len(records) / statistics.median(times)
    results["decode_positions_per_s"] = len(snapshot.positions) / statistics.median(times)
    show("decode_snapshot", results["decode_aircraft_per_s"], "aircraft/s", times)
    show("decode_snapshot", results["decode_positions_per_s"], "positions/s", times)
    print(f"    {len(snapshot.positions):,} positions, rejected {snapshot.rejected or 'none'}")


# --------------------------------------------------------------------------- index load

_LOAD_SCRIPT = """
import json, sys, time
from pathlib import Path
import numpy as np
from service.locate import Boundaries, BoundariesError
started = time.perf_counter()
boundaries = Boundaries.load(Path(sys.argv[1]))
loaded = time.perf_counter()
boundaries.locate_many(np.array([48.8566]), np.array([2.3522]))
located = time.perf_counter()
print(json.dumps({"load_s": loaded - started, "first_locate_s": located - loaded}))
"""


def bench_load(results: dict[str, float]) -> None:
    section("boundary index: Boundaries.load + first locate_many, fresh subprocess each")
    totals, loads, firsts = [], [], []
    for _ in range(5):
        completed = subprocess.run(
            [sys.executable, "-c", _LOAD_SCRIPT, str(BOUNDARIES)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        timing = json.loads(completed.stdout.strip().splitlines()[-1])
        loads.append(float(timing["load_s"]))
        firsts.append(float(timing["first_locate_s"]))
        totals.append(loads[-1] + firsts[-1])
    results["boundary_index_load_s"] = statistics.median(totals)
    show("load + first locate", results["boundary_index_load_s"], "s", totals)
    show("  of which Boundaries.load", statistics.median(loads), "s", loads)
    show("  of which first locate_many", statistics.median(firsts), "s", firsts)
    results["boundary_index_mb"] = BOUNDARIES.stat().st_size / MIB
    show("index file size", results["boundary_index_mb"], "MiB")


# --------------------------------------------------------------------------- pipeline


def bench_settings() -> Settings:
    """The default config, unaffected by BORDERWATCH_* variables: in-memory store, no
    receivers, and this checkout's boundary index whatever the working directory."""
    settings = load_settings(environ={})
    return settings.model_copy(update={"boundaries": BoundarySettings(path=BOUNDARIES)})


def bench_replay(recording: Path, results: dict[str, float]) -> None:
    section(f"replay: {recording.name} through the whole pipeline (build_app included)")
    settings = bench_settings()
    summaries: list[str] = []

    def run() -> None:
        out = io.StringIO()
        summaries.append(asyncio.run(replay(settings, str(recording), deliver=False, out=out)))

    times = timed(run, 3)
    match = re.search(r"(\d+) snapshots.*?(\d+) positions", summaries[-1])
    if match is None:
        raise RuntimeError(f"cannot read the replay summary: {summaries[-1]!r}")
    snapshots, positions = int(match[1]), int(match[2])
    seconds = statistics.median(times)
    results["replay_snapshots_per_s"] = snapshots / seconds
    results["replay_positions_per_s"] = positions / seconds
    show("snapshots", results["replay_snapshots_per_s"], "snapshots/s", times)
    show("positions", results["replay_positions_per_s"], "positions/s", times)
    print(f"    {summaries[-1]}")


@dataclass(slots=True)
class Flight:
    """A moving aircraft of the synthetic world snapshot."""

    row: Row
    lat: float
    lon: float
    alt_ft: int
    gs_kt: float
    track_deg: float

    def advance(self, seconds: float) -> None:
        km = self.gs_kt * 1.852 * seconds / 3600.0
        heading = math.radians(self.track_deg)
        self.lat = max(-89.0, min(89.0, self.lat + km * math.cos(heading) / 111.195))
        scale = 111.195 * max(0.05, math.cos(math.radians(self.lat)))
        self.lon = (self.lon + km * math.sin(heading) / scale + 180.0) % 360.0 - 180.0

    def position(self, now: float, seen_pos: float) -> Position:
        return Position(
            hex=self.row.hex,
            time=now - seen_pos,
            lat=self.lat,
            lon=self.lon,
            alt_ft=self.alt_ft,
            gs_kt=self.gs_kt,
            track_deg=self.track_deg,
            callsign=self.row.callsign,
            registration=self.row.registration,
            type_code=self.row.type_code or None,
            squawk="2000",
            db_flags=self.row.db_flags,
            source="bench",
        )


def bench_world_snapshot(results: dict[str, float], redis_url: str | None = None) -> None:
    """The world feed through the pipeline; with `redis_url`, saving state to Redis."""
    store = "Redis" if redis_url else "in-memory"
    section(
        f"pipeline: one Pipeline.process per poll of a {N_POINTS:,}-aircraft world feed, "
        f"{store} store"
    )
    rng = np.random.default_rng(SEED + 1)
    rows = make_rows(rng, N_POINTS, state_fraction=0.03)
    lat, lon = world_points(rng, len(rows))
    flights = [
        Flight(
            row,
            float(lat[i]),
            float(lon[i]),
            int(rng.integers(50, 450)) * 100,
            float(rng.uniform(150, 500)),
            float(rng.uniform(0, 360)),
        )
        for i, row in enumerate(rows)
    ]
    seen = rng.uniform(0.0, 2.0, (5, len(flights)))

    settings = bench_settings()
    if redis_url:
        # A key prefix of its own, deleted afterwards: the server may hold real state.
        prefix = f"borderwatch-bench-{os.getpid()}"
        store_settings = settings.store.model_copy(
            update={"redis_url": SecretStr(redis_url), "key_prefix": prefix}
        )
        settings = settings.model_copy(update={"store": store_settings})

    async def run() -> tuple[list[float], int, int]:
        app = await build_app(settings)
        times: list[float] = []
        notified = 0
        try:
            for step in range(5):
                now = SNAPSHOT_NOW + 10.0 * step
                if step:
                    for flight in flights:
                        flight.advance(10.0)
                positions = [f.position(now, float(seen[step, i])) for i, f in enumerate(flights)]
                snapshot = Snapshot(now=now, positions=positions)
                started = time.perf_counter()
                notified += len(await app.pipeline.process(snapshot, source="bench"))
                times.append(time.perf_counter() - started)
            return times, len(app.fleet), notified
        finally:
            await app.close()

    try:
        times, tracked, notified = asyncio.run(run())
    finally:
        if redis_url:
            asyncio.run(_delete_prefix(redis_url, prefix))
    if redis_url:
        results["pipeline_positions_per_s_redis"] = N_POINTS / statistics.median(times)
        show("Pipeline.process", results["pipeline_positions_per_s_redis"], "positions/s", times)
        print(f"    {tracked:,} aircraft tracked, {notified} notifications")
        return
    results["pipeline_world_snapshot_s"] = statistics.median(times)
    results["pipeline_positions_per_s"] = N_POINTS / statistics.median(times)
    show("Pipeline.process, median of 5 polls", results["pipeline_world_snapshot_s"], "s", times)
    show("Pipeline.process", results["pipeline_positions_per_s"], "positions/s", times)
    print(f"    {tracked:,} aircraft tracked, {notified} notifications")
    results["rss_mb_after_world"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    show("peak resident memory (maxrss) so far", results["rss_mb_after_world"], "MiB")


# --------------------------------------------------------------------------- main


def machine() -> str:
    """Platform, CPU count and versions as one string (results.json stays flat)."""
    return (
        f"{platform.platform()}; {platform.processor() or platform.machine()}; "
        f"{os.cpu_count()} CPUs; {platform.python_implementation()} "
        f"{platform.python_version()}; numpy {np.__version__}, shapely {shapely.__version__}, "
        f"msgspec {msgspec.__version__}"
    )


def ensure_recording(workdir: Path) -> Path:
    """The demo recording, generated into workdir when var/ does not have it."""
    if RECORDING.exists():
        return RECORDING
    recording = workdir / "troy701.jsonl.gz"
    print(f"{RECORDING} is missing; generating it into {recording} (seed 701)", flush=True)
    subprocess.run(
        [sys.executable, str(ROOT / "demo" / "troy701.py"), "--out", str(recording)],
        check=True,
        cwd=ROOT,
    )
    return recording


def check_index() -> str | None:
    """Why the boundary index cannot be used, or None when it loads."""
    if not BOUNDARIES.exists():
        return f"boundary index {BOUNDARIES} not found; run `make boundaries` first"
    try:
        Boundaries.load(BOUNDARIES)  # dropped at once: the benchmarks load their own
    except BoundariesError as exc:
        return str(exc)  # names the command that rebuilds the index
    gc.collect()
    return None


async def _redis_answers(url: str) -> bool:
    client = aioredis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


async def _delete_prefix(url: str, prefix: str) -> None:
    client = aioredis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def main() -> int:
    problem = check_index()
    if problem is not None:
        print(f"bench: {problem}", file=sys.stderr)
        return 2
    logs.configure(level="warning")  # the pipeline logs every notification at info
    started = time.perf_counter()
    info = machine()
    print(f"borderwatch bench: medians of repeated runs, one process\nmachine: {info}")
    results: dict[str, float] = {}
    # First, so that its peak memory is the service's own, not the other benchmarks'.
    bench_world_snapshot(results)
    boundaries = Boundaries.load(BOUNDARIES)
    b_lat, b_lon, b_located = bench_locate(boundaries, results)
    bench_depth(boundaries, b_lat, b_lon, b_located, results)
    rows = make_rows(np.random.default_rng(SEED + 2), N_POINTS, state_fraction=0.10)
    bench_identify(rows, results)
    bench_decode(readsb_records(np.random.default_rng(SEED + 3), rows), results)
    bench_load(results)
    redis_url = os.environ.get("BORDERWATCH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    if asyncio.run(_redis_answers(redis_url)):
        bench_world_snapshot(results, redis_url)
    else:
        print(f"\n(no Redis answers at {redis_url}: the Redis-store figure is skipped)")
    with tempfile.TemporaryDirectory(prefix="borderwatch-bench-") as workdir:
        bench_replay(ensure_recording(Path(workdir)), results)

    document: dict[str, Any] = {
        **{key: float(value) for key, value in results.items()},
        "machine": info,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
