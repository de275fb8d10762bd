"""Hours of a world of state aircraft through the pipeline: the time of one poll cycle
and the memory must stay level from the first hour to the last.

    python bench/state_soak.py [HOURS] [REDIS_URL]   # default 6 hours, local Redis

2,000 state aircraft (military and government addresses and callsigns the identifier
selects, as in bench/run.py) fly for HOURS of feed time, one snapshot every 10 s:

- 40% orbit: circles of 5-20 km radius over a foreign country (Mexico near Valle de
  Bravo, the Baltic, Poland, the Black Sea, Syria, the Gulf, Korea), for the whole
  soak. Each opens a loiter episode, which is then followed point by point.
- 30% fly racetracks: ovals with 50-150 km legs, too long for a loiter, so the loiter
  rule looks back over their whole track every minute.
- 30% shuttle across borders: 300-900 km legs between two countries and back, so
  foreign-airspace episodes open and close all the time.

Every snapshot goes through `Pipeline.process` with the shipped config, as fast as it
goes, on Redis under a key prefix of its own that is deleted afterwards (without Redis,
the in-memory store). After each hour of feed time it prints the poll cycle p50, p99
and max (ms), the resident memory (current), the track points held in memory, the
aircraft followed, the notifications so far and the store's keys, and below it the
seconds each pipeline stage took in that hour (the loiter rule runs in `detect`, the
Redis writes in `persist`); at the end the ratios of the last hour to the first. It
prints, asserts nothing and writes nothing.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flood import delete_prefix, keys_of, rss_mib
from run import SNAPSHOT_NOW, Row, _redis_answers, _state_row, bench_settings

from service import logs
from service.app import App, build_app, warm_up
from service.models import Position, Snapshot
from service.pipeline.heap import settle_heap

AIRCRAFT = 2_000
STEP_S = 10.0
SEED = 13
DEFAULT_HOURS = 6
KM_PER_DEG = 111.195
KT_TO_KM_S = 1.852 / 3600.0

# Where the fleet flies: (name, lat, lon), each a few hundred km from borders and far
# from the home states of most of the fleet (US and European air forces).
REGIONS = (
    ("Valle de Bravo, Mexico", 19.19, -100.13),
    ("Baltic Sea off Kaliningrad", 55.3, 19.8),
    ("Suwalki gap, Poland and Lithuania", 54.1, 23.0),
    ("Black Sea off Romania", 44.0, 30.0),
    ("Syria and Iraq", 34.8, 40.5),
    ("Persian Gulf", 26.3, 51.5),
    ("Korean peninsula", 37.4, 127.4),
    ("Low Countries and Germany", 51.0, 6.0),
)


@dataclass(frozen=True, slots=True)
class Path2D:
    """A closed course in km on a local plane: position and heading at distance s."""

    kind: str  # "orbit", "racetrack" or "shuttle"
    lat0: float
    lon0: float
    length_km: float  # one lap (a shuttle: there and back)
    leg_km: float  # racetrack and shuttle legs
    radius_km: float  # orbit radius, racetrack turn radius
    heading_deg: float  # orientation of the course
    clockwise: bool

    def at(self, s_km: float) -> tuple[float, float, float]:
        """(lat, lon, track in degrees) at distance s_km along the course."""
        s = s_km % self.length_km
        if self.kind == "orbit":
            x, y, course = _arc(s, self.radius_km, 0.0, 0.0, 0.0)
        elif self.kind == "racetrack":
            x, y, course = _racetrack(s, self.leg_km, self.radius_km)
        else:
            half = self.leg_km / 2.0
            if s < self.leg_km:
                x, y, course = s - half, 0.0, 90.0
            else:
                x, y, course = half - (s - self.leg_km), 0.0, 270.0
        if not self.clockwise:  # mirror the course about its long axis
            y, course = -y, (180.0 - course) % 360.0
        # Rotate the local course (x east, y north along heading 90) to its heading.
        turn = math.radians(self.heading_deg - 90.0)
        east = x * math.cos(turn) + y * math.sin(turn)
        north = -x * math.sin(turn) + y * math.cos(turn)
        lat = self.lat0 + north / KM_PER_DEG
        lon = self.lon0 + east / (KM_PER_DEG * math.cos(math.radians(self.lat0)))
        return lat, (lon + 180.0) % 360.0 - 180.0, (course + self.heading_deg - 90.0) % 360.0


def _arc(
    s: float, radius: float, x0: float, y0: float, start_deg: float
) -> tuple[float, float, float]:
    """Clockwise around (x0, y0) from bearing start_deg (seen from the centre)."""
    bearing = start_deg + math.degrees(s / radius)
    b = math.radians(bearing)
    return x0 + radius * math.sin(b), y0 + radius * math.cos(b), (bearing + 90.0) % 360.0


def _racetrack(s: float, leg: float, radius: float) -> tuple[float, float, float]:
    """An oval flown clockwise: east along the top leg, a half circle, west along the
    bottom one, a half circle back; centred on the origin."""
    half = leg / 2.0
    turn = math.pi * radius
    if s < leg:
        return s - half, radius, 90.0
    s -= leg
    if s < turn:
        return _arc(s, radius, half, 0.0, 0.0)
    s -= turn
    if s < leg:
        return half - s, -radius, 270.0
    return _arc(s - leg, radius, -half, 0.0, 180.0)


@dataclass(slots=True)
class StateFlight:
    """One state aircraft on its course."""

    row: Row
    course: Path2D
    gs_kt: float
    alt_ft: int
    s0_km: float

    def position(self, at: float, seen_pos: float) -> Position:
        """Where the aircraft was `seen_pos` seconds before `at` (feed time)."""
        time_s = at - seen_pos
        lat, lon, track = self.course.at(self.s0_km + self.gs_kt * KT_TO_KM_S * time_s)
        return Position(
            hex=self.row.hex,
            time=time_s,
            lat=lat,
            lon=lon,
            alt_ft=self.alt_ft,
            gs_kt=self.gs_kt,
            track_deg=track,
            callsign=self.row.callsign,
            registration=self.row.registration,
            type_code=self.row.type_code or None,
            squawk="4000",
            db_flags=self.row.db_flags,
            source="bench",
        )


def fleet_of(rng: np.random.Generator, n: int) -> list[StateFlight]:
    """`n` state aircraft with distinct addresses, courses as the module says."""
    flights: list[StateFlight] = []
    seen: set[str] = set()
    while len(flights) < n:
        row = _state_row(rng, float(rng.uniform()))
        if row.hex in seen:
            continue
        seen.add(row.hex)
        _, lat, lon = REGIONS[int(rng.integers(0, len(REGIONS)))]
        # Spread over a few hundred km around the region's centre.
        lat += float(rng.normal(0.0, 1.2))
        lon += float(rng.normal(0.0, 1.8))
        kind = float(rng.uniform())
        heading = float(rng.uniform(0.0, 180.0))
        clockwise = bool(rng.uniform() < 0.5)
        if kind < 0.4:
            radius = float(rng.uniform(5.0, 20.0))
            course = Path2D(
                "orbit", lat, lon, 2 * math.pi * radius, 0.0, radius, heading, clockwise
            )
            gs = float(rng.uniform(140.0, 280.0))
        elif kind < 0.7:
            leg, radius = float(rng.uniform(50.0, 150.0)), float(rng.uniform(8.0, 15.0))
            length = 2 * leg + 2 * math.pi * radius
            course = Path2D("racetrack", lat, lon, length, leg, radius, heading, clockwise)
            gs = float(rng.uniform(250.0, 420.0))
        else:
            leg = float(rng.uniform(300.0, 900.0))
            course = Path2D("shuttle", lat, lon, 2 * leg, leg, 0.0, heading, clockwise)
            gs = float(rng.uniform(300.0, 480.0))
        s0 = float(rng.uniform(0.0, course.length_km))
        alt = int(rng.integers(100, 400)) * 100
        flights.append(StateFlight(row, course, gs, alt, s0))
    return flights


def tracked_points(app: App) -> int:
    """Track points held in memory over the whole fleet."""
    return sum(len(aircraft.track.points) for aircraft in app.fleet)


STAGES = ("fuse", "identify", "locate", "track", "detect", "alerts", "persist")


def stage_seconds(app: App) -> list[float]:
    """Seconds spent so far in each pipeline stage (borderwatch_stage_duration_seconds)."""
    registry = app.metrics.registry
    name = "borderwatch_stage_duration_seconds_sum"
    return [registry.get_sample_value(name, {"stage": stage}) or 0.0 for stage in STAGES]


def _ms(times: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(times), q)) * 1000.0


async def soak(hours: int, redis_url: str | None) -> list[tuple[float, float, float, float]]:
    """Run the soak; per hour (p50 ms, p99 ms, max ms, RSS MiB)."""
    settings = bench_settings()
    prefix = f"borderwatch-state-soak-{os.getpid()}"
    if redis_url:
        store = settings.store.model_copy(
            update={"redis_url": SecretStr(redis_url), "key_prefix": prefix}
        )
        settings = settings.model_copy(update={"store": store})
    rng = np.random.default_rng(SEED)
    flights = fleet_of(rng, AIRCRAFT)
    app = await build_app(settings)
    warm_up(app)  # as the service does before its first snapshot
    settle_heap()  # and this
    notified = 0
    now = SNAPSHOT_NOW
    rows: list[tuple[float, float, float, float]] = []
    print(f"{'hour':>4} {'wall s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'rss MiB':>8} "
          f"{'points':>10} {'followed':>8} {'notified':>8} {'keys':>6}", flush=True)  # fmt: skip
    try:
        for hour in range(1, hours + 1):
            began, times, stages = time.perf_counter(), [], stage_seconds(app)
            for _ in range(int(3600 / STEP_S)):
                now += STEP_S
                seen = rng.uniform(0.0, 2.0, len(flights))
                positions = [f.position(now, float(seen[i])) for i, f in enumerate(flights)]
                started = time.perf_counter()
                notified += len(await app.pipeline.process(Snapshot(now, positions), "bench"))
                times.append(time.perf_counter() - started)
            wall = time.perf_counter() - began
            keys = await keys_of(redis_url, prefix) if redis_url else 0
            row = (_ms(times, 50), _ms(times, 99), max(times) * 1000.0, rss_mib())
            rows.append(row)
            print(f"{hour:>4} {wall:>7.1f} {row[0]:>7.1f} {row[1]:>7.1f} {row[2]:>7.0f} "
                  f"{row[3]:>8.0f} {tracked_points(app):>10,} {len(app.fleet):>8,} "
                  f"{notified:>8,} {keys:>6,}", flush=True)  # fmt: skip
            spent = zip(STAGES, stage_seconds(app), stages, strict=True)
            print("      seconds by stage: "
                  + ", ".join(f"{stage} {now_s - then_s:.1f}" for stage, now_s, then_s in spent),
                  flush=True)  # fmt: skip
    finally:
        await app.close()
        if redis_url:
            await delete_prefix(redis_url, prefix)
    return rows


def main() -> int:
    logs.configure(level="warning")  # the pipeline logs every notification at info
    hours = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_HOURS
    url = sys.argv[2] if len(sys.argv) > 2 else "redis://127.0.0.1:6379/0"
    redis_url = url if asyncio.run(_redis_answers(url)) else None
    store = "Redis" if redis_url else "the in-memory store (no Redis answers)"
    print(f"\nstate soak: {hours} h of feed time, {AIRCRAFT:,} state aircraft orbiting, "
          f"racetracking and crossing borders, a snapshot every {STEP_S:.0f} s, {store}",
          flush=True)  # fmt: skip
    started = time.perf_counter()
    rows = asyncio.run(soak(hours, redis_url))
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        ratios = ", ".join(
            f"{name} {b / a:.2f}"
            for name, a, b in zip(("p50", "p99", "max", "rss"), first, last, strict=True)
        )
        print(f"hour {len(rows)} / hour 1: {ratios}")
    print(f"wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
