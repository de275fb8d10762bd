"""Places and helpers of the development set's synthetic flights (demo/devset.py).

Real airfields, the clock, pattern programmes (circles, racetracks, right-hand holds)
centred on a point, and `mission`: fly a flight whose route holds a pattern and label
the pattern as an orbit interval. Aircraft, callsigns and registrations are invented,
with addresses in the blocks (and military ranges) of the state they claim.
"""

from __future__ import annotations

import calendar
import random

from devset_feed import Craft, fly, route_time
from flightsim import Airfield, Flight, Loiter
from geo import LatLon, Primitive, circle, left_of, orbit_points

DAY = 86400.0


def at(y: int, mo: int, d: int, h: int, mi: int = 0) -> float:
    return float(calendar.timegm((y, mo, d, h, mi, 0)))


def airborne(lat: float, lon: float, alt_ft: float) -> Airfield:
    """A start in flight: simulate() begins at the origin at its elevation."""
    return Airfield("", lat, lon, alt_ft)


SIGONELLA = Airfield("LICZ", 37.4017, 14.9222, 79)
RAMSTEIN = Airfield("ETAR", 49.4369, 7.6003, 782)
BRICY = Airfield("LFOJ", 47.9878, 1.7605, 412)
MCCONNELL = Airfield("KIAB", 37.6219, -97.2683, 1371)
TUCSON = Airfield("KTUS", 32.1161, -110.9410, 2643)
BRIZE = Airfield("EGVN", 51.7500, -1.5836, 288)
WUNSTORF = Airfield("ETNW", 52.4573, 9.4271, 187)
AVIANO = Airfield("LIPA", 46.0319, 12.5965, 410)
EINDHOVEN = Airfield("EHEH", 51.4501, 5.3745, 74)
POWIDZ = Airfield("EPPW", 52.3794, 17.8539, 371)
ZAGREB = Airfield("LDZA", 45.7429, 16.0688, 353)
SIAULIAI = Airfield("EYSA", 55.8939, 23.3950, 443)
AMARI = Airfield("EEEI", 59.2603, 24.2085, 65)
FRANKFURT = Airfield("EDDF", 50.0333, 8.5706, 364)
ZURICH = Airfield("LSZH", 47.4647, 8.5492, 1416)
VIENNA = Airfield("LOWW", 48.1103, 16.5697, 600)
CDG = Airfield("LFPG", 49.0097, 2.5479, 392)
MUNICH = Airfield("EDDM", 48.3538, 11.7861, 1487)
COMALAPA = Airfield("MSLP", 13.4409, -89.0557, 101)
LIBERIA = Airfield("MRLB", 10.5933, -85.5444, 270)
HOWARD = Airfield("MPHO", 8.9148, -79.5996, 52)
BOGOTA = Airfield("SKBO", 4.7016, -74.1469, 8361)
SAN_ANTONIO = Airfield("KSAT", 29.5337, -98.4698, 809)


def pattern(
    centre: LatLon, axis: float, program: list[Primitive], radius_km: float, left: bool = True
) -> list[LatLon]:
    """Ground points of a pattern centred on `centre`, first leg along `axis`."""
    lx, ly = left_of(axis)
    side = 1.0 if left else -1.0
    entry = (-side * radius_km * lx, -side * radius_km * ly)
    return orbit_points(centre, entry, axis, program, (0.4, 300.0, 0.3, 400.0))


def hold(leg_km: float, radius_km: float, laps: int) -> list[Primitive]:
    """A standard (right-hand) holding pattern entered mid inbound leg."""
    lap: list[Primitive] = [
        ("fwd", leg_km / 2, 0.0),
        ("arc", radius_km, -180.0),
        ("fwd", leg_km, 0.0),
        ("arc", radius_km, -180.0),
        ("fwd", leg_km / 2, 0.0),
    ]
    return lap * laps


def mission(
    craft: Craft,
    fl: Flight,
    before: int,
    points: list[LatLon],
    centre: LatLon,
    shape: str | None,
    *,
    label: bool = True,
) -> Craft:
    """Fly `fl`, whose route holds `points` (the pattern) after `before` transit points,
    and label the pattern as an orbit interval of the given shape (None: either)."""
    track = fly(fl)
    craft.tracks.append(track)
    if label:
        start = route_time(fl, track, before)
        end = route_time(fl, track, before + len(points) - 1)
        interval = {
            "t_start_unix": round(start, 1),
            "t_end_unix": round(end, 1),
            "center_latlon": [round(centre[0], 4), round(centre[1], 4)],
        }
        if shape is not None:
            interval["shape"] = shape
        craft.orbits.append(interval)
    return craft


def loiter_at(start_index: int, tas: float, alt: float, wind: float = 10.0) -> Loiter:
    """The pattern part of a flight: from route[start_index] on, at `tas` kt and `alt` ft."""
    return Loiter(start_index, tas, 270.0, wind, ((0.0, alt),))


def home_orbit(
    hex_: str,
    flight: str,
    reg: str,
    type_: str,
    state: str,
    origin: Airfield,
    runway: float,
    centre: LatLon,
    radius: float,
    laps: int,
    tas: float,
    alt: float,
    t0: float,
    via: list[LatLon],
    db_flags: int = 0,
    end_after_h: float = 4.0,
) -> Craft:
    points = pattern(centre, 0.0, circle(radius, laps), radius)
    fl = Flight(
        hex_,
        flight,
        reg,
        type_,
        t0,
        origin,
        runway,
        (*via, *points, *reversed(via)),
        alt,
        tas + 40,
        rotate_kt=min(tas, 100),
        dest=origin,
        arr_runway=runway,
        loiter=loiter_at(len(via), tas, alt),
        end=t0 + end_after_h * 3600,
    )
    craft = Craft(hex_, flight, reg, type_, state, db_flags=db_flags)
    return mission(craft, fl, len(via), points, centre, "orbit")


def seeded(name: str, seed: int) -> random.Random:
    return random.Random(f"{seed}:{name}")
