"""The cost of one loiter look-back by track length, for an aircraft in transit (the
common case: most followed aircraft never loiter), one in an orbit and one on a
racetrack.

    python bench/loiter.py

Times `service.detect.loiter._find_loiter` with the shipped loiter rule on tracks of
12 to 900 points (10 s apart: 2 to 150 minutes), in CPU time, the fastest of 7 runs of
0.2 s each, and prints the microseconds per check and the ratio of the longest track to
the shortest. A look-back that re-scans every start grows with the square of the points;
one that is flat in track length stays within a small factor. "transit" is the
look-back as the rule runs it for an aircraft that has not turned (the wide orbit and
the racetrack are not looked for); "transit+" looks for them too, as for an aircraft
that turned enough lately but flies straight now. Asserts nothing.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.detect import loiter
from service.settings import LoiterRule
from service.track import Track, TrackPoint

LENGTHS = (12, 90, 270, 540, 900)
T0 = 1_755_072_000.0


def transit(n: int) -> Track:
    """A straight flight at 200 kt heading south over Mexico."""
    step_deg = 200 * 1.852 * 10 / 3600 / 111.2
    points = [
        TrackPoint(T0 + i * 10, 25.0 - i * step_deg, -100.5, 20_000, 200.0, 180.0, False,
                   "MX", 300.0)
        for i in range(n)
    ]  # fmt: skip
    return Track(10_000, points)


def orbit(n: int) -> Track:
    """An 8 km orbit with a 20-minute period near Valle de Bravo."""
    points = []
    for i in range(n):
        angle = 2 * math.pi * i * 10 / 1200
        lat = 19.19 + 8 / 111.2 * math.cos(angle)
        lon = -100.13 + 8 / (111.2 * math.cos(math.radians(19.19))) * math.sin(angle)
        points.append(TrackPoint(T0 + i * 10, lat, lon, 20_000, 140.0, None, False, "MX", 300.0))
    return Track(10_000, points)


def racetrack(n: int) -> Track:
    """A 60 x 10 km racetrack at 250 kt, legs east and west, near Valle de Bravo."""
    step = 250 * 1.852 * 10 / 3600
    r, leg = 5.0, 60.0
    lap = 2 * leg + 2 * math.pi * r
    points = []
    for i in range(n):
        s = i * step % lap
        if s < leg:
            x, y = s - leg / 2, r
        elif s < leg + math.pi * r:
            a = (s - leg) / r
            x, y = leg / 2 + r * math.sin(a), r * math.cos(a)
        elif s < 2 * leg + math.pi * r:
            x, y = leg / 2 - (s - leg - math.pi * r), -r
        else:
            a = (s - 2 * leg - math.pi * r) / r
            x, y = -leg / 2 - r * math.sin(a), -r * math.cos(a)
        lat = 19.19 + y / 111.2
        lon = -100.13 + x / (111.2 * math.cos(math.radians(19.19)))
        points.append(TrackPoint(T0 + i * 10, lat, lon, 24_000, 250.0, None, False, "MX", 300.0))
    return Track(10_000, points)


def per_check_us(track: Track, rule: LoiterRule, patterns: bool = True) -> float:
    """CPU microseconds per look-back: the fastest of 7 runs of 0.2 s each. CPU time and
    the fastest run, because other work on a shared machine only ever adds to a run."""
    runs = []
    for _ in range(7):
        calls = 0
        began = time.process_time()
        while time.process_time() - began < 0.2:
            loiter._find_loiter(rule, track, patterns)
            calls += 1
        runs.append((time.process_time() - began) / calls * 1e6)
    return min(runs)


def main() -> int:
    rule = LoiterRule(id="loiter")
    print("loiter look-back, microseconds per check (shipped rule)")
    names = ("transit", "transit+", "orbit", "racetrack")
    print(f"{'points':>7}" + "".join(f" {name:>9}" for name in names))
    rows = []
    for n in LENGTHS:
        row = (
            per_check_us(transit(n), rule, patterns=False),
            per_check_us(transit(n), rule),
            per_check_us(orbit(n), rule),
            per_check_us(racetrack(n), rule),
        )
        rows.append(row)
        print(f"{n:>7}" + "".join(f" {value:>9.1f}" for value in row))
    first, last = rows[0], rows[-1]
    ratios = ", ".join(
        f"{name} {b / a:.1f}x" for name, a, b in zip(names, first, last, strict=True)
    )
    print(f"{LENGTHS[-1]}/{LENGTHS[0]} points: {ratios} per check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
