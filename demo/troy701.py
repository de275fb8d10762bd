"""Generate the TROY701 demo recording: a reconstruction from public facts, not a capture.

On 2025-08-13 a US Customs and Border Protection MQ-9 (callsign TROY701, registration
CBP-113, ICAO address AE2FD0) left San Angelo, Texas, around 08:00 UTC, flew south into
Mexico, orbited near the Valle de Bravo reservoir west of Mexico City for hours and then
vanished from public tracking. This script rebuilds a plausible feed of that day: TROY701
on that route, one US military C-17 that never leaves Texas, and sixteen invented civil
flights (some crossing the border, one civil light aircraft circling for over an hour),
as readsb-style snapshots every 10 s of feed time, in the replay format (JSONL, one
``{"now", "messages", "aircraft"}`` object per line).

Everything is derived from a seed, so the same seed gives byte-identical output.
Standard library only. This file holds TROY701's flight, the feed (coverage, gaps, noise,
the story's key times) and the command line; the rest lives next to it and is imported by
plain module name (Python puts this script's directory on sys.path):

- geo.py: spherical geometry, great-circle routes and orbit patterns;
- flightsim.py: airfields, flights, the 1 s flight simulation and US N-number addresses;
- traffic.py: the scenario clock, the airfields and the other (civil and military) traffic.

    python demo/troy701.py --out var/troy701.jsonl.gz [--seed 701]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flightsim import Flight, Loiter, Track, simulate
from geo import (
    LatLon,
    bearing_deg,
    circle,
    left_of,
    local_offset,
    orbit_entry,
    orbit_points,
    racetrack,
)
from traffic import DEPARTURE, KSJT, civil_traffic, military_traffic

STREAM_START = DEPARTURE - 15 * 60  # the poller starts a quarter of an hour earlier
POLL_S = 10.0
SILENT_AFTER_S = 6.5 * 3600  # TROY701 stops appearing about this long after departure
TAIL_S = 75 * 60  # feed kept going after TROY701 falls silent
COVERAGE = (17.0, 34.5, -108.0, -93.5)  # south, north, west, east of the polled area

BORDER_LAT = 29.33  # the Rio Grande on TROY701's leg (Del Rio / Ciudad Acuna)
VALLE_DE_BRAVO: LatLon = (19.19, -100.13)
OUTPUT_DECIMALS = 5


# -- TROY701 ------------------------------------------------------------------------------


def troy701(rng: random.Random) -> Flight:
    """CBP MQ-9 TROY701: San Angelo -> Del Rio / Ciudad Acuna -> Valle de Bravo, orbit."""
    radius = 8.0
    leg_end: LatLon = (29.15, -100.95)
    entry = orbit_entry(leg_end, VALLE_DE_BRAVO, radius, left=True)
    heading = (bearing_deg(entry, leg_end) + 180.0) % 360.0
    lx, ly = left_of(heading)
    laps = [rng.choice((2, 3)), rng.choice((3, 4)), rng.choice((2, 3)), 4, 4]
    program = [
        *circle(radius, laps[0]),
        *racetrack(15.0, 5.0, laps[1]),
        *circle(radius, laps[2]),
        *racetrack(15.0, 5.0, laps[3]),
        *circle(radius, laps[4]),
    ]
    drift = (rng.uniform(1.0, 1.6), rng.uniform(450, 600), rng.uniform(0.6, 1.0), 650.0)
    orbit = orbit_points(VALLE_DE_BRAVO, (-radius * lx, -radius * ly), heading, program, drift)
    levels = (
        (0.0, 23000.0),
        (rng.uniform(50, 70) * 60, 22000.0),
        (rng.uniform(110, 130) * 60, 23500.0),
        (rng.uniform(170, 190) * 60, 22500.0),
    )
    return Flight(
        hex="ae2fd0",
        flight="TROY701",
        reg="CBP-113",
        icao_type="Q9",
        db_flags=1,
        start=DEPARTURE,
        origin=KSJT,
        dep_runway=180.0,
        taxi_out=((31.3660, -100.4915), (31.3685, -100.4930)),
        taxi_kt=8.0,
        roll_accel_kt=2.0,
        rotate_kt=90.0,
        speed_per_ft=0.02,
        route=((29.50, -100.90), leg_end, *orbit),
        cruise_ft=24000.0,
        cruise_kt=231.0,
        climb_fpm=1400.0,
        squawks=((0.0, "4463"),),
        noise_m=45.0,
        loiter=Loiter(
            start_index=2, tas_kt=76.0, wind_from_deg=80.0, wind_kt=12.0, altitudes=levels
        ),
        end=DEPARTURE + SILENT_AFTER_S + rng.uniform(-90.0, 90.0),
    )


# -- the feed -----------------------------------------------------------------------------


def _snapshot_index(t: float) -> int:
    return math.ceil((t - STREAM_START) / POLL_S)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(round(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Reporter:
    """Turns a simulated flight into feed entries: coverage, gaps, noise, field names."""

    def __init__(self, fl: Flight, track: Track, rng: random.Random) -> None:
        self.fl, self.track, self.rng = fl, track, rng
        self.until = fl.end if fl.end is not None else math.inf
        self.gaps: set[int] = set()  # snapshots with no report, whatever happens
        self.protected: set[int] = set()  # snapshots never dropped at random
        self.gap_until = -1
        self.planned = False  # gaps planned in advance instead of drawn at random

    def miss_probability(self, lat: float, alt: float) -> float:
        if lat >= 27.0:
            return 0.005
        p = 0.02 if lat >= 22.0 else 0.05
        # Central Mexico: receivers are few and the ground is high, so low flights drop out.
        return p + (0.1 if lat < 22.0 and alt < 13000.0 else 0.0)

    def report(self, index: int, now: float) -> dict[str, Any] | None:
        fl, rng = self.fl, self.rng
        seen_pos = round(rng.uniform(0.0, 1.2) if rng.random() < 0.8 else rng.uniform(1.2, 3.0), 1)
        drop = rng.random()
        t = now - seen_pos
        state = self.track.state(t)
        if state is None or now < fl.start or t > self.until or index in self.gaps:
            return None
        lat, lon, alt, gs, course, ground, fraction = state
        south, north, west, east = COVERAGE
        if not (south <= lat <= north and west <= lon <= east):
            return None
        if index not in self.protected:
            if index < self.gap_until:
                return None
            if not self.planned and lat < 23.5 and rng.random() < 0.004:
                self.gap_until = index + rng.randint(18, 50)
                return None
            if drop < self.miss_probability(lat, alt):
                return None
        east_m, north_m = rng.gauss(0.0, fl.noise_m), rng.gauss(0.0, fl.noise_m)
        lat_n, lon_n = local_offset((lat, lon), east_m / 1000.0, north_m / 1000.0)
        squawk = fl.squawks[0][1]
        for start, code in fl.squawks:
            if fraction >= start:
                squawk = code
        entry: dict[str, Any] = {
            "hex": fl.hex,
            "type": "adsb_icao",
            "flight": f"{fl.flight:<8}",
            "r": fl.reg,
            "t": fl.icao_type,
        }
        if fl.db_flags:
            entry["dbFlags"] = fl.db_flags
        entry["alt_baro"] = "ground" if ground else round(alt / 25.0) * 25
        entry["gs"] = round(abs(gs + rng.gauss(0.0, 0.3 if ground else 0.6)), 1)
        entry["track"] = round((course + rng.gauss(0.0, 0.3)) % 360.0, 1)
        entry["squawk"] = squawk
        entry["lat"] = round(lat_n, OUTPUT_DECIMALS)
        entry["lon"] = round(lon_n, OUTPUT_DECIMALS)
        entry["seen_pos"] = seen_pos
        entry["seen"] = round(rng.uniform(0.0, min(seen_pos, 1.0)), 1)
        return entry


@dataclass
class Story:
    """Key times of the TROY701 story, from the simulation and from the feed itself."""

    first_seen: float | None = None
    takeoff: float | None = None
    border_crossing: float | None = None  # passes BORDER_LAT on the Del Rio leg
    first_report_south: float | None = None
    orbit_start: float | None = None
    last_position: float | None = None
    feed_end: float = STREAM_START
    positions: int = 0
    troy_positions: int = 0
    aircraft: set[str] = field(default_factory=set)
    orbit_gaps_s: list[float] = field(default_factory=list)  # report-to-report > 170 s
    previous_report: float | None = None

    def lines(self) -> list[tuple[str, str]]:
        def iso(t: float | None) -> str:
            return _iso(t) if t is not None else "-"

        longest = max(self.orbit_gaps_s, default=0.0) / 60.0
        return [
            ("first seen (taxiing, KSJT)", iso(self.first_seen)),
            ("take-off", iso(self.takeoff)),
            (f"border crossing ({BORDER_LAT} N)", iso(self.border_crossing)),
            ("first report south of it", iso(self.first_report_south)),
            ("orbit start", iso(self.orbit_start)),
            ("last position", iso(self.last_position)),
            ("feed end", iso(self.feed_end)),
            ("orbit gaps over 3 min", f"{len(self.orbit_gaps_s)} (longest {longest:.1f} min)"),
        ]


class Scenario:
    def __init__(self, seed: int = 701) -> None:
        rng = random.Random(seed)
        self.seed = seed
        self.rng = random.Random(rng.getrandbits(64))
        troy = troy701(random.Random(rng.getrandbits(64)))
        flights = [troy, *military_traffic(), *civil_traffic()]
        self.reporters: list[Reporter] = []
        for fl in flights:
            track = simulate(fl)
            self.reporters.append(Reporter(fl, track, random.Random(rng.getrandbits(64))))
        self.reporters.sort(key=lambda r: (r.fl.hex, r.fl.start))
        self.troy = next(r for r in self.reporters if r.fl is troy)
        self.story = Story(takeoff=self.troy.track.takeoff)
        self._plan_troy_coverage(random.Random(rng.getrandbits(64)))
        assert troy.end is not None
        self.count = _snapshot_index(troy.end + TAIL_S) + 1
        self.messages = rng.randrange(14_000_000, 18_000_000)

    def _plan_troy_coverage(self, rng: random.Random) -> None:
        rep, track = self.troy, self.troy.track
        rep.planned = True
        assert rep.fl.end is not None and track.loiter_start is not None
        self.story.orbit_start = track.loiter_start
        for k in range(1, len(track.lat)):
            if track.lat[k - 1] >= BORDER_LAT > track.lat[k]:
                f = (track.lat[k - 1] - BORDER_LAT) / (track.lat[k - 1] - track.lat[k])
                self.story.border_crossing = track.t0 + k - 1 + f
                break
        assert self.story.border_crossing is not None
        crossing = _snapshot_index(self.story.border_crossing)
        silent = _snapshot_index(rep.fl.end)
        rep.protected.update(range(_snapshot_index(rep.fl.start), _snapshot_index(DEPARTURE) + 30))
        rep.protected.update(range(crossing - 60, crossing + 60))
        rep.protected.update(range(silent - 3, silent + 1))
        gaps: list[tuple[int, int]] = []  # (first missing snapshot, missing snapshots)
        # Transit over Mexico: two gaps of 3-6 minutes between reports.
        for lat in (25.0, 21.8):
            k = next(i for i, v in enumerate(track.lat) if v < lat)
            gaps.append((_snapshot_index(track.t0 + k), rng.randint(17, 35)))
        # Orbit: six gaps, one of 9 minutes between reports (53 missing snapshots). The
        # first half hour of the orbit stays covered so the first full turn is seen.
        sizes = [53] + [rng.randint(17, 41) for _ in range(5)]
        rng.shuffle(sizes)
        first, last = _snapshot_index(track.loiter_start) + 180, silent - 60
        slot = (last - first) // len(sizes)
        for n, size in enumerate(sizes):
            lo = first + n * slot + 6
            hi = first + (n + 1) * slot - 6 - size
            gaps.append((rng.randint(lo, max(lo, hi)), size))
        for start, size in gaps:
            rep.gaps.update(range(start, start + size))
            rep.protected.update(range(start - 2, start))
            rep.protected.update(range(start + size, start + size + 2))

    def snapshots(self) -> Iterator[dict[str, Any]]:
        rng, story = self.rng, self.story
        for index in range(self.count):
            now = round(STREAM_START + index * POLL_S + rng.uniform(0.0, 0.35), 3)
            aircraft = []
            for rep in self.reporters:
                entry = rep.report(index, now)
                if entry is None:
                    continue
                aircraft.append(entry)
                self.messages += rng.randint(20, 90)
                story.aircraft.add(entry["hex"])
                if rep is self.troy:
                    self._observe_troy(entry, now)
            self.messages += rng.randint(1, 9)
            story.positions += len(aircraft)
            story.feed_end = now
            yield {"now": now, "messages": self.messages, "aircraft": aircraft}

    def _observe_troy(self, entry: dict[str, Any], now: float) -> None:
        story = self.story
        story.troy_positions += 1
        if story.first_seen is None:
            story.first_seen = now
        if story.first_report_south is None and entry["lat"] < BORDER_LAT:
            story.first_report_south = now
        if story.orbit_start is not None and story.previous_report is not None:
            gap = now - story.previous_report
            if now > story.orbit_start and gap > 170.0:
                story.orbit_gaps_s.append(gap)
        story.previous_report = now
        story.last_position = now


# -- public API and command line ------------------------------------------------------------


def generate(seed: int = 701) -> Iterator[dict[str, Any]]:
    """Yield the snapshots of the demo recording, oldest first."""
    yield from Scenario(seed).snapshots()


def _emit(put: Callable[[bytes], object], scenario: Scenario) -> int:
    count = 0
    for snapshot in scenario.snapshots():
        put((json.dumps(snapshot, separators=(",", ":")) + "\n").encode())
        count += 1
    return count


def _write(path: Path, scenario: Scenario) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw:
        if not path.name.endswith(".gz"):
            return _emit(raw.write, scenario)
        # No file name and mtime 0 in the gzip header: the same seed gives the same bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
            return _emit(out.write, scenario)


def write(path: Path, seed: int = 701) -> int:
    """Write the recording (gzip when path ends with .gz); return the number of snapshots."""
    return _write(Path(path), Scenario(seed))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate the TROY701 demo recording (a reconstruction, not a capture)."
    )
    parser.add_argument("--out", type=Path, required=True, help="output .jsonl or .jsonl.gz")
    parser.add_argument("--seed", type=int, default=701, help="random seed (default 701)")
    args = parser.parse_args(argv)
    scenario = Scenario(args.seed)
    count = _write(args.out, scenario)
    story = scenario.story
    times = ", ".join(f"{name}: {value}" for name, value in story.lines())
    print(
        f"troy701: wrote {count} snapshots, {story.positions} positions of "
        f"{len(story.aircraft)} aircraft ({story.troy_positions} of TROY701), "
        f"{args.out.stat().st_size} bytes to {args.out} (seed {args.seed}); TROY701: {times}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
