"""Hand-made tracks for the loiter tests: patterns flown "turtle" style at a steady
ground speed, sampled every `step_s`, with optional position noise and coverage gaps.

A program is a list of primitives flown from the current position and heading, as
in the demo's flight simulator (demo/geo.py): ("fwd", km, 0) flies straight,
("arc", radius_km, degrees) turns, left for positive degrees.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from service.track import TrackPoint

T0 = 1_755_072_000.0
KM_PER_DEG = 111.2
Primitive = tuple[str, float, float]


def racetrack(leg_km: float, width_km: float, laps: float) -> list[Primitive]:
    """A left-hand oval: legs of `leg_km` joined by half circles `width_km` across."""
    lap: list[Primitive] = [
        ("fwd", leg_km, 0.0),
        ("arc", width_km / 2, 180.0),
        ("fwd", leg_km, 0.0),
        ("arc", width_km / 2, 180.0),
    ]
    whole = int(laps)
    return lap * whole + lap[: round((laps - whole) * 4)]


def circle(radius_km: float, turns: float, *, left: bool = True) -> list[Primitive]:
    return [("arc", radius_km, 360.0 * turns * (1 if left else -1))]


def fly(
    program: Sequence[Primitive],
    *,
    start: float = T0,
    origin: tuple[float, float] = (26.0, 52.0),  # over the Gulf, between Qatar and Iran
    heading: float = 90.0,
    gs_kt: float = 250.0,
    step_s: float = 10.0,
    jitter_km: float = 0.0,
    gaps: Sequence[tuple[float, float]] = (),
    country: str | None = None,
    seed: int = 15,
) -> list[TrackPoint]:
    """The positions of the program flown from `origin`; `gaps` are (start_min, end_min)
    after `start` with no reports."""
    rng = random.Random(seed)
    step_km = gs_kt * 1.852 * step_s / 3600
    x = y = 0.0
    h = heading
    path: list[tuple[float, float, float]] = [(x, y, h)]
    for kind, size, degrees in program:
        if kind == "fwd":
            n = max(1, round(size / step_km))
            for _ in range(n):
                x += math.sin(math.radians(h)) * size / n
                y += math.cos(math.radians(h)) * size / n
                path.append((x, y, h))
            continue
        arc_km = size * math.radians(abs(degrees))
        n = max(1, round(arc_km / step_km))
        side = 1.0 if degrees > 0 else -1.0
        for _ in range(n):
            # A chord of the arc: half the turn, the step, the other half.
            h = (h - side * abs(degrees) / n / 2) % 360.0
            chord = 2 * size * math.sin(math.radians(abs(degrees) / n / 2))
            x += math.sin(math.radians(h)) * chord
            y += math.cos(math.radians(h)) * chord
            h = (h - side * abs(degrees) / n / 2) % 360.0
            path.append((x, y, h))
    points = []
    lat0, lon0 = origin
    for i, (px, py, ph) in enumerate(path):
        t = start + i * step_s
        minute = i * step_s / 60
        if any(a <= minute < b for a, b in gaps):
            continue
        px += rng.gauss(0.0, jitter_km) if jitter_km else 0.0
        py += rng.gauss(0.0, jitter_km) if jitter_km else 0.0
        lat = lat0 + py / KM_PER_DEG
        lon = lon0 + px / (KM_PER_DEG * math.cos(math.radians(lat0)))
        points.append(TrackPoint(t, lat, lon, 24_000, gs_kt, ph, False, country, None))
    return points


def duration_min(points: Sequence[TrackPoint]) -> float:
    return (points[-1].time - points[0].time) / 60
