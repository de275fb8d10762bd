"""Flight simulation for the demo: airfields, flights, 1 s tracks and US addresses.

A Flight describes one aircraft's flight (route, performance, squawks, optional orbit);
simulate() flies it at 1 s steps into a noise-free Track: taxi, take-off roll, climb,
cruise, orbit, descent on a 3 degree path and roll-out. Standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from geo import LatLon, Route, destination

KT = 1852.0 / 3600.0  # metres per second in one knot
GLIDE_FT_PER_NM = 318.0  # a 3 degree approach path


# -- airfields and flights -----------------------------------------------------------------


@dataclass(frozen=True)
class Airfield:
    code: str
    lat: float
    lon: float
    elev_ft: float

    @property
    def point(self) -> LatLon:
        return (self.lat, self.lon)


@dataclass(frozen=True)
class Loiter:
    start_index: int  # index into the route where the orbit begins
    tas_kt: float
    wind_from_deg: float
    wind_kt: float
    altitudes: tuple[tuple[float, float], ...]  # (seconds after orbit start, feet)

    def ground_speed(self, course: float, t: float) -> float:
        tas = self.tas_kt + 3.0 * math.sin(2 * math.pi * t / 1500.0)
        rel = math.radians(course - (self.wind_from_deg + 180.0))
        tail, cross = self.wind_kt * math.cos(rel), self.wind_kt * math.sin(rel)
        return math.sqrt(tas * tas - cross * cross) + tail

    def altitude(self, since: float) -> float:
        alt = self.altitudes[0][1]
        for offset, value in self.altitudes:
            if since >= offset:
                alt = value
        return alt


@dataclass(frozen=True)
class Flight:
    hex: str
    flight: str
    reg: str
    icao_type: str
    start: float  # lift-off, or start of taxi when taxi_out is given
    origin: Airfield
    dep_runway: float  # true heading of the departure runway
    route: tuple[LatLon, ...]
    cruise_ft: float
    cruise_kt: float
    dest: Airfield | None = None  # None: flies out of coverage
    arr_runway: float = 0.0
    climb_fpm: float = 2500.0
    rotate_kt: float = 145.0
    approach_kt: float = 140.0
    squawks: tuple[tuple[float, str], ...] = ((0.0, "2000"),)  # (fraction of route, code)
    db_flags: int = 0
    taxi_out: tuple[LatLon, ...] = ()
    taxi_in: tuple[LatLon, ...] = ()
    taxi_kt: float = 14.0
    roll_accel_kt: float = 3.0
    speed_per_ft: float = 0.05  # speed gained per foot climbed after lift-off
    noise_m: float = 12.0
    loiter: Loiter | None = None
    end: float | None = None  # stop transmitting at this time


@dataclass
class Track:
    """A flight sampled every second, noise free."""

    t0: float
    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    alt: list[float] = field(default_factory=list)
    gs: list[float] = field(default_factory=list)
    course: list[float] = field(default_factory=list)
    ground: list[bool] = field(default_factory=list)
    fraction: list[float] = field(default_factory=list)  # of the route flown
    takeoff: float | None = None
    loiter_start: float | None = None

    def state(self, t: float) -> tuple[float, float, float, float, float, bool, float] | None:
        k = t - self.t0
        n = len(self.lat)
        if k < 0 or k > n - 1:
            return None
        i = min(int(k), n - 2) if n > 1 else 0
        f = k - i if n > 1 else 0.0
        j = min(i + 1, n - 1)
        near = i if f < 0.5 else j
        return (
            self.lat[i] + f * (self.lat[j] - self.lat[i]),
            self.lon[i] + f * (self.lon[j] - self.lon[i]),
            self.alt[i] + f * (self.alt[j] - self.alt[i]),
            self.gs[i] + f * (self.gs[j] - self.gs[i]),
            self.course[near],
            self.ground[near],
            self.fraction[near],
        )


def simulate(fl: Flight) -> Track:
    """Fly the route at 1 s steps: taxi, take-off roll, climb, cruise, descent, roll-out."""
    pts: list[LatLon] = []
    d_roll: float | None = None
    roll_index = start_index = 0
    if fl.taxi_out:
        pts.extend(fl.taxi_out)
        pts.append(destination(fl.origin.point, fl.dep_runway + 180.0, 1200.0))
        roll_index = len(pts) - 1
    start_index = len(pts)
    pts.append(fl.origin.point)
    pts.append(destination(fl.origin.point, fl.dep_runway, 8000.0))
    route_index = len(pts)
    pts.extend(fl.route)
    td_index: int | None = None
    if fl.dest is not None:
        touchdown = destination(fl.dest.point, fl.arr_runway + 180.0, 1000.0)
        pts.append(destination(touchdown, fl.arr_runway + 180.0, 16000.0))
        pts.append(touchdown)
        td_index = len(pts) - 1
        if fl.taxi_in:
            pts.append(destination(fl.dest.point, fl.arr_runway, 800.0))
            pts.extend(fl.taxi_in)
    path = Route(pts)
    if fl.taxi_out:
        d_roll = path.cum[roll_index]
    d_td = path.cum[td_index] if td_index is not None else None
    d_loiter = path.cum[route_index + fl.loiter.start_index] if fl.loiter else None
    phi = (int(fl.hex, 16) % 97) / 97.0 * 2 * math.pi

    track = Track(t0=fl.start - (60.0 if fl.taxi_out else 0.0))
    t = track.t0
    phase = "parked" if fl.taxi_out else "air"
    d = 0.0 if fl.taxi_out else path.cum[start_index]
    v = 0.0 if fl.taxi_out else fl.rotate_kt
    alt = fl.origin.elev_ft
    hold = 20.0
    peak = alt  # highest altitude so far: the climb speed schedule uses it
    if phase == "air":
        track.takeoff = t
    while True:
        lat, lon, course = path.at(d)
        track.lat.append(lat)
        track.lon.append(lon)
        track.alt.append(alt)
        track.gs.append(v)
        track.course.append(course)
        track.ground.append(phase != "air")
        track.fraction.append(d / path.length)
        if fl.end is not None and t >= fl.end:
            break
        if phase == "parked":
            if t >= fl.start:
                phase = "taxi"
        elif phase == "taxi":
            assert d_roll is not None
            v = min(fl.taxi_kt, v + 1.0)
            if d + v * KT >= d_roll:
                d, v, phase = d_roll, 0.0, "hold"
                t += 1.0
                continue
        elif phase == "hold":
            hold -= 1.0
            if hold <= 0:
                phase = "roll"
        elif phase == "roll":
            v += fl.roll_accel_kt
            if v >= fl.rotate_kt:
                phase = "air"
                track.takeoff = t
        elif phase == "air":
            dist_td = d_td - d if d_td is not None else math.inf
            if d_loiter is not None and d >= d_loiter - 12000.0:
                if track.loiter_start is None and d >= d_loiter:
                    track.loiter_start = t
                assert fl.loiter is not None
                since = t - track.loiter_start if track.loiter_start is not None else 0.0
                target = fl.loiter.ground_speed(course, t)
                alt += max(-10.0, min(10.0, fl.loiter.altitude(since) - alt))
                v += max(-1.0, min(1.0, target - v))
            else:
                target = fl.cruise_kt + 3.0 * math.sin(2 * math.pi * (t - fl.start) / 2400 + phi)
                target = min(target, fl.rotate_kt + fl.speed_per_ft * (peak - fl.origin.elev_ft))
                if alt < 10000.0:
                    target = min(target, max(250.0, fl.rotate_kt))
                target = min(target, fl.approach_kt + 6.0 * dist_td / 1852.0)
                if alt < fl.cruise_ft:
                    rate = fl.climb_fpm * max(0.4, 1.0 - 0.5 * alt / fl.cruise_ft)
                    alt = min(fl.cruise_ft, alt + rate / 60.0)
                if fl.dest is not None:
                    glide = fl.dest.elev_ft + dist_td / 1852.0 * GLIDE_FT_PER_NM
                    alt = min(alt, max(fl.dest.elev_ft, glide))
                peak = max(peak, alt)
                v += max(-1.5, min(1.5, target - v))
            if d_td is not None and d >= d_td:
                if not fl.taxi_in:
                    break
                phase, alt = "rollout", fl.dest.elev_ft if fl.dest else alt
        elif phase == "rollout":
            v = max(fl.taxi_kt, v - 3.0)
        d += v * KT
        t += 1.0
        if d >= path.length:
            break
    return track


# -- addresses ----------------------------------------------------------------------------

_N_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O


def n_number_to_icao(reg: str) -> str:
    """The ICAO address the FAA assigns to a US N-number (N1 = a00001 ... N99999 = adf7c7)."""
    tail = reg.upper().removeprefix("N")
    out = 0xA00001 + (int(tail[0]) - 1) * 101_711
    buckets = (10_111, 951, 35)  # size of the subtree below each further digit
    for i, ch in enumerate(tail[1:]):
        if ch.isalpha():
            rest = tail[1 + i :]
            if i < 3:  # one or two letters may end the number here
                out += 1 + 25 * _N_LETTERS.index(rest[0])
                if len(rest) > 1:
                    out += 1 + _N_LETTERS.index(rest[1])
            else:
                out += 1 + _N_LETTERS.index(ch)
            break
        out += 601 + int(ch) * buckets[i] if i < 3 else 25 + int(ch)
    return f"{out:06x}"
