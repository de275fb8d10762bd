"""Spherical geometry for the demo flights: great circles, routes and orbit patterns.

Positions are (lat, lon) in degrees on a spherical Earth. A Route is a polyline of
great-circle segments walked by distance; an orbit pattern is a list of primitives
(straight legs and arcs) flown turtle style and turned into ground points.
Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

LatLon = tuple[float, float]

EARTH_RADIUS_M = 6_371_008.8
KM_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0 / 1000.0


# -- spherical geometry -------------------------------------------------------------------


def _vec(p: LatLon) -> tuple[float, float, float]:
    lat, lon = math.radians(p[0]), math.radians(p[1])
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def distance_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance (haversine)."""
    la1, la2 = math.radians(a[0]), math.radians(b[0])
    dla, dlo = la2 - la1, math.radians(b[1] - a[1])
    h = math.sin(dla / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(a: LatLon, b: LatLon) -> float:
    """Initial great-circle course from a to b, degrees true."""
    la1, la2 = math.radians(a[0]), math.radians(b[0])
    dlo = math.radians(b[1] - a[1])
    y = math.sin(dlo) * math.cos(la2)
    x = math.cos(la1) * math.sin(la2) - math.sin(la1) * math.cos(la2) * math.cos(dlo)
    return math.degrees(math.atan2(y, x)) % 360.0


def destination(p: LatLon, course: float, dist: float) -> LatLon:
    """The point dist metres from p along the great circle with initial course."""
    la, lo, c = math.radians(p[0]), math.radians(p[1]), math.radians(course)
    ang = dist / EARTH_RADIUS_M
    la2 = math.asin(math.sin(la) * math.cos(ang) + math.cos(la) * math.sin(ang) * math.cos(c))
    lo2 = lo + math.atan2(
        math.sin(c) * math.sin(ang) * math.cos(la), math.cos(ang) - math.sin(la) * math.sin(la2)
    )
    return (math.degrees(la2), (math.degrees(lo2) + 540.0) % 360.0 - 180.0)


def local_offset(origin: LatLon, east_km: float, north_km: float) -> LatLon:
    """A point a few km from origin (equirectangular; fine at orbit scale)."""
    lat = origin[0] + north_km / KM_PER_DEG
    lon = origin[1] + east_km / (KM_PER_DEG * math.cos(math.radians(origin[0])))
    return (lat, lon)


def left_of(heading: float) -> tuple[float, float]:
    """Unit vector (east, north) pointing left of a compass heading."""
    h = math.radians(heading)
    return (-math.cos(h), math.sin(h))


class Route:
    """A polyline of great-circle segments, walked by distance (monotonic cursor)."""

    def __init__(self, points: Sequence[LatLon]) -> None:
        self.points = list(points)
        self._vecs = [_vec(p) for p in self.points]
        self.cum = [0.0]
        self._omega: list[float] = []
        for a, b in zip(self._vecs, self._vecs[1:], strict=False):
            cross = (
                a[1] * b[2] - a[2] * b[1],
                a[2] * b[0] - a[0] * b[2],
                a[0] * b[1] - a[1] * b[0],
            )
            dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
            omega = math.atan2(math.sqrt(sum(c * c for c in cross)), dot)
            self._omega.append(omega)
            self.cum.append(self.cum[-1] + omega * EARTH_RADIUS_M)
        self.length = self.cum[-1]
        self._i = 0

    def at(self, d: float) -> tuple[float, float, float]:
        """(lat, lon, true course) at distance d along the route."""
        d = min(max(d, 0.0), self.length)
        last = len(self._omega) - 1
        while self._i < last and self.cum[self._i + 1] < d:
            self._i += 1
        while self._i > 0 and self.cum[self._i] > d:
            self._i -= 1
        i = self._i
        a, b, om = self._vecs[i], self._vecs[i + 1], self._omega[i]
        if om < 1e-12:
            return (self.points[i][0], self.points[i][1], 0.0)
        f = (d - self.cum[i]) / (om * EARTH_RADIUS_M)
        s = math.sin(om)
        wa, wb = math.sin((1 - f) * om) / s, math.sin(f * om) / s
        ta, tb = -math.cos((1 - f) * om), math.cos(f * om)
        p = [wa * a[k] + wb * b[k] for k in range(3)]
        t = [ta * a[k] + tb * b[k] for k in range(3)]
        lat = math.atan2(p[2], math.hypot(p[0], p[1]))
        lon = math.atan2(p[1], p[0])
        east = -math.sin(lon) * t[0] + math.cos(lon) * t[1]
        north = (
            -math.sin(lat) * math.cos(lon) * t[0]
            - math.sin(lat) * math.sin(lon) * t[1]
            + math.cos(lat) * t[2]
        )
        course = math.degrees(math.atan2(east, north)) % 360.0
        return (math.degrees(lat), math.degrees(lon), course)


# -- orbit patterns ---------------------------------------------------------------------

# A pattern is a list of primitives flown "turtle" style from the current position and
# heading: ("fwd", length_km, 0) or ("arc", radius_km, degrees) with +degrees for a left
# (counter-clockwise) turn and -degrees for a right turn.
Primitive = tuple[str, float, float]


def circle(radius_km: float, laps: int, left: bool = True) -> list[Primitive]:
    return [("arc", radius_km, 360.0 * laps * (1 if left else -1))]


def racetrack(leg_km: float, radius_km: float, laps: int) -> list[Primitive]:
    """Left-hand racetrack entered and left at the middle of one straight leg."""
    lap: list[Primitive] = [
        ("fwd", leg_km / 2, 0.0),
        ("arc", radius_km, 180.0),
        ("fwd", leg_km, 0.0),
        ("arc", radius_km, 180.0),
        ("fwd", leg_km / 2, 0.0),
    ]
    return lap * laps


def orbit_points(
    centre: LatLon,
    entry: tuple[float, float],
    heading: float,
    program: Sequence[Primitive],
    drift_km: tuple[float, float, float, float],
    step_km: float = 0.15,
) -> list[LatLon]:
    """Ground points of a pattern flown from entry (km east/north of centre).

    The whole pattern drifts slowly: east = a*sin(2 pi s / pa), north = -b*(1 - cos(2 pi s /
    pb)) km where s is the distance flown in km, so the drift is zero at the entry point.
    """
    a, pa, b, pb = drift_km
    x, y = entry
    h, s = heading, 0.0

    def emit() -> LatLon:
        de = a * math.sin(2 * math.pi * s / pa)
        dn = -b * (1 - math.cos(2 * math.pi * s / pb))
        return local_offset(centre, x + de, y + dn)

    points = [emit()]
    for kind, size, degrees in program:
        if kind == "fwd":
            n = max(1, math.ceil(size / step_km))
            for _ in range(n):
                x += math.sin(math.radians(h)) * size / n
                y += math.cos(math.radians(h)) * size / n
                s += size / n
                points.append(emit())
            continue
        side = 1.0 if degrees > 0 else -1.0  # +1 left, -1 right
        lx, ly = left_of(h)
        cx, cy = x + side * size * lx, y + side * size * ly
        arc_km = size * math.radians(abs(degrees))
        n = max(1, math.ceil(arc_km / step_km))
        for _ in range(n):
            h = (h - side * abs(degrees) / n) % 360.0
            lx, ly = left_of(h)
            x, y = cx - side * size * lx, cy - side * size * ly
            s += arc_km / n
            points.append(emit())
    return points


def orbit_entry(approach_from: LatLon, centre: LatLon, radius_km: float, left: bool) -> LatLon:
    """Where to join a circle tangentially when arriving on a great circle from afar."""
    side = 1.0 if left else -1.0
    entry = centre
    for _ in range(3):
        heading = (bearing_deg(entry, approach_from) + 180.0) % 360.0
        lx, ly = left_of(heading)
        entry = local_offset(centre, -side * radius_km * lx, -side * radius_km * ly)
    return entry
