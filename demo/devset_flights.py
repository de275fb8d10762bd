"""The synthetic flights of the development set, flown with the demo flight simulator.

Each function returns the Crafts of one recording with their orbit labels filled in
(crossing labels are computed from the tracks by devset_feed.entries). Places are
real (airfields, coasts, borders); aircraft, callsigns and registrations are invented,
with addresses in the blocks (and military ranges) of the state they claim. Standard
library plus the project's boundary index (through devset_feed).
"""

from __future__ import annotations

import calendar
import random
from typing import Any

from devset_feed import Craft, fly, follow, join, route_time
from flightsim import Airfield, Flight, Loiter
from geo import LatLon, Primitive, circle, left_of, orbit_points, racetrack

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
    shape: str,
    *,
    label: bool = True,
) -> Craft:
    """Fly `fl`, whose route holds `points` (the pattern) after `before` transit points,
    and label the pattern as an orbit interval of the given shape."""
    track = fly(fl)
    craft.tracks.append(track)
    if label:
        start = route_time(fl, track, before)
        end = route_time(fl, track, before + len(points) - 1)
        craft.orbits.append(
            {
                "t_start_unix": round(start, 1),
                "t_end_unix": round(end, 1),
                "center_latlon": [round(centre[0], 4), round(centre[1], 4)],
                "shape": shape,
            }
        )
    return craft


def _loiter(start_index: int, tas: float, alt: float, wind: float = 10.0) -> Loiter:
    return Loiter(start_index, tas, 270.0, wind, ((0.0, alt),))


# -- racetracks and tankers -------------------------------------------------------------


def racetrack_black_sea() -> tuple[list[Craft], str]:
    """US RC-135 racetrack, 120 km legs, over international waters south of Crimea."""
    t0 = at(2025, 3, 4, 6)
    centre: LatLon = (43.55, 32.6)
    points = pattern(centre, 90.0, racetrack(120.0, 10.0, 7), 10.0)
    transit = [(42.9, 30.4), (43.3, 31.3)]
    fl = Flight(
        "ae01c5",
        "JAKE11",
        "62-4131",
        "R135",
        t0,
        airborne(42.5, 29.9, 31000),
        60.0,
        (*transit, *points, (43.2, 31.0), (42.6, 30.0)),
        31000,
        330,
        rotate_kt=330,
        loiter=_loiter(len(transit), 330, 31000),
        end=t0 + 5.2 * 3600,
    )
    craft = Craft("ae01c5", "JAKE11", "62-4131", "R135", "US", db_flags=1)
    return [mission(craft, fl, len(transit), points, centre, "racetrack")], (
        "synthetic: US RC-135 (military) on a 120 x 20 km racetrack over the international "
        "waters of the Black Sea, seven laps, about 3.5 h"
    )


def racetrack_mediterranean() -> tuple[list[Craft], str]:
    """French E-3F racetrack, 90 km legs, off the Var coast; takes off and returns home."""
    t0 = at(2025, 5, 12, 8)
    centre: LatLon = (42.25, 6.3)
    points = pattern(centre, 70.0, racetrack(90.0, 12.0, 6), 12.0)
    transit = [(43.4, 5.3), (42.7, 5.6)]
    fl = Flight(
        "3b7a21",
        "FAF7011",
        "F-ZBCA",
        "E3CF",
        t0,
        airborne(44.2, 5.0, 29000),
        170.0,
        (*transit, *points, (43.0, 5.8), (43.8, 5.3), (44.5, 5.0)),
        29000,
        320,
        rotate_kt=320,
        loiter=_loiter(len(transit), 320, 29000),
        end=t0 + 4.3 * 3600,
    )
    craft = Craft("3b7a21", "FAF7011", "F-ZBCA", "E3CF", "FR", db_flags=1)
    return [mission(craft, fl, len(transit), points, centre, "racetrack")], (
        "synthetic: French E-3F (military) from over Provence to a 90 x 24 km racetrack "
        "over international waters south of Toulon, six laps, and back over France"
    )


def racetrack_sicily() -> tuple[list[Craft], str]:
    """US RQ-4 from Sigonella (Italy: foreign) to a 150 km racetrack south of Malta."""
    t0 = at(2025, 6, 2, 5)
    centre: LatLon = (34.3, 16.6)
    points = pattern(centre, 0.0, racetrack(150.0, 14.0, 4), 14.0)
    transit = [(37.0, 15.3), (35.6, 16.2)]
    fl = Flight(
        "ae5c12",
        "FORTE12",
        "11-2046",
        "Q4",
        t0,
        SIGONELLA,
        100.0,
        (*transit, *points, (35.8, 16.1), (37.0, 15.6), (37.5, 15.2)),
        52000,
        310,
        rotate_kt=120,
        climb_fpm=3000,
        loiter=_loiter(len(transit), 310, 55000),
        end=t0 + 7.0 * 3600,
    )
    craft = Craft("ae5c12", "FORTE12", "11-2046", "Q4", "US", db_flags=1)
    return [mission(craft, fl, len(transit), points, centre, "racetrack")], (
        "synthetic: US RQ-4 (military) taking off from Sigonella (Italy, foreign airspace), "
        "flying a 150 x 28 km racetrack over international waters between Malta and Libya, "
        "four laps, and back into Italian airspace"
    )


def tanker_north_sea() -> tuple[list[Craft], str]:
    """US KC-135 racetrack whose east end crosses into the Netherlands, and a C-17
    refuelling alongside on one eastbound leg across the Dutch coast."""
    t0 = at(2025, 9, 16, 9)
    centre: LatLon = (53.25, 4.1)
    points = pattern(centre, 90.0, racetrack(110.0, 12.0, 5), 12.0)
    transit = [(53.0, 2.2), (53.2, 3.0)]
    fl = Flight(
        "ae04f8",
        "QID61",
        "58-0100",
        "K35R",
        t0,
        airborne(52.9, 2.0, 26000),
        70.0,
        (*transit, *points, (53.0, 3.0), (52.9, 2.1)),
        26000,
        300,
        rotate_kt=300,
        loiter=_loiter(len(transit), 300, 26000, wind=0.0),
        end=t0 + 3.3 * 3600,
    )
    tanker = mission(
        Craft("ae04f8", "QID61", "58-0100", "K35R", "US", db_flags=1),
        fl,
        len(transit),
        points,
        centre,
        "racetrack",
    )
    track = tanker.tracks[0]
    # The receiver joins on the third eastbound leg, 55 km before the Dutch waters.
    begin = route_time(fl, track, len(transit)) + 50 * 60
    start = next(
        track.t0 + k
        for k in range(round(begin - track.t0), len(track.lat))
        if track.lon[k] >= 3.75 and 60.0 <= track.course[k] <= 120.0
    )
    contact = follow(track, start, start + 9 * 60, 60.0, 25.0, 60.0)
    last = (contact.lat[-1], contact.lon[-1])
    away = Flight(
        "ae07e9",
        "RCH427",
        "07-7177",
        "C17",
        start + 9 * 60,
        airborne(last[0], last[1], contact.alt[-1]),
        contact.course[-1],
        ((52.4, 6.8), (50.3, 7.4)),
        26000,
        300,
        rotate_kt=300,
        dest=RAMSTEIN,
        arr_runway=260.0,
    )
    receiver = Craft("ae07e9", "RCH427", "07-7177", "C17", "US", db_flags=1)
    receiver.tracks.append(join(contact, fly(away)))
    return [tanker, receiver], (
        "synthetic: US KC-135 tanker (military) on a 110 km racetrack over the North Sea "
        "whose east end crosses the Dutch coast (one Netherlands entry per lap); a US C-17 "
        "refuels alongside (60 m behind, 25 m right, 60 ft below, same speed and altitude) "
        "for 9 minutes across the coast into Dutch airspace, then leaves for Ramstein"
    )


def tanker_alps() -> tuple[list[Craft], str]:
    """Italian KC-767 and receiver together on a straight refuelling leg into Austria."""
    t0 = at(2025, 10, 7, 10)
    fl = Flight(
        "33ff21",
        "IAM1451",
        "MM62226",
        "B762",
        t0,
        airborne(45.6, 11.9, 24000),
        20.0,
        ((46.3, 12.3), (47.1, 12.7), (47.3, 12.8), (46.9, 12.5), (46.0, 12.2), (45.5, 11.8)),
        24000,
        320,
        rotate_kt=320,
        end=t0 + 2.0 * 3600,
    )
    tanker = Craft("33ff21", "IAM1451", "MM62226", "B762", "IT", db_flags=1)
    track = fly(fl)
    tanker.tracks.append(track)
    contact = follow(track, t0 + 300, t0 + 300 + 18 * 60, 50.0, 20.0, 50.0)
    if contact.lat:
        last = (contact.lat[-1], contact.lon[-1])
        away = Flight(
            "33ff55",
            "IAM3102",
            "MM7314",
            "C27J",
            t0 + 300 + 18 * 60,
            airborne(last[0], last[1], contact.alt[-1]),
            contact.course[-1],
            ((47.9, 12.3), (48.6, 11.6)),
            24000,
            300,
            rotate_kt=300,
            end=t0 + 2.0 * 3600,
        )
        contact = join(contact, fly(away))
    receiver = Craft("33ff55", "IAM3102", "MM7314", "C27J", "IT", db_flags=1)
    receiver.tracks.append(contact)
    return [tanker, receiver], (
        "synthetic: Italian KC-767 tanker (military) and an Italian receiver in formation "
        "(50 m behind, steady speed and altitude) on a straight refuelling leg from the "
        "Veneto across the Austrian border; the tanker turns back into Italy, the receiver "
        "goes on into Germany"
    )


# -- surveillance at home, navaid orbits and holds --------------------------------------


def _home_orbit(
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
        loiter=_loiter(len(via), tas, alt),
        end=t0 + end_after_h * 3600,
    )
    craft = Craft(hex_, flight, reg, type_, state, db_flags=db_flags)
    return mission(craft, fl, len(via), points, centre, "orbit")


def surveillance_cbp_arizona() -> tuple[list[Craft], str]:
    craft = _home_orbit(
        "a8c3e1",
        "",
        "CBP-221",
        "BE20",
        "US",
        TUCSON,
        110.0,
        (31.58, -110.95),
        6.0,
        9,
        130,
        11000,
        at(2025, 4, 8, 15),
        [(31.9, -110.95)],
    )
    return [craft], (
        "synthetic: US Customs and Border Protection King Air (government, registration "
        "CBP-221) from Tucson orbiting 6 km circles 20 km north of Nogales, at home, "
        "about 75 minutes"
    )


def surveillance_police_london() -> tuple[list[Craft], str]:
    craft = _home_orbit(
        "406d21",
        "PLC12",
        "G-POLA",
        "EC35",
        "GB",
        Airfield("EGWU", 51.553, -0.4182, 124),
        250.0,
        (51.59, -0.07),
        1.6,
        30,
        85,
        1500,
        at(2025, 7, 19, 20),
        [(51.57, -0.3)],
        end_after_h=2.0,
    )
    return [craft], (
        "synthetic: UK police helicopter (callsign PLC12: Police Aviation Services) from "
        "Northolt orbiting 1.6 km circles over Tottenham at 85 kt, at home, about an hour"
    )


def surveillance_police_calais() -> tuple[list[Craft], str]:
    craft = _home_orbit(
        "39c4a2",
        "POF201",
        "F-ZBPF",
        "AS55",
        "FR",
        Airfield("LFAC", 50.9621, 1.9548, 12),
        240.0,
        (50.93, 1.78),
        4.0,
        12,
        100,
        2500,
        at(2025, 8, 2, 22),
        [(50.95, 1.9)],
        end_after_h=2.2,
    )
    return [craft], (
        "synthetic: French border police helicopter (POF: Police aux Frontieres) from "
        "Calais-Dunkerque orbiting 4 km circles over Calais and its coast, at home, "
        "about 70 minutes"
    )


def navaid_orbit_texas() -> tuple[list[Craft], str]:
    craft = _home_orbit(
        "a8c7f0",
        "",
        "CBP-224",
        "P3",
        "US",
        SAN_ANTONIO,
        130.0,
        (29.42, -98.49),
        22.0,
        2,
        115,
        8000,
        at(2025, 4, 21, 14),
        [(29.6, -98.3)],
        end_after_h=3.0,
    )
    return [craft], (
        "synthetic: US CBP P-3 (government) flying two slow (115 kt) wide orbits of 22 km "
        "radius around San Antonio, at home, about 80 minutes"
    )


def navaid_orbit_groningen() -> tuple[list[Craft], str]:
    t0 = at(2025, 2, 11, 10)
    centre: LatLon = (53.2, 6.57)
    points = pattern(centre, 0.0, circle(18.0, 3), 18.0)
    via = [(52.8, 8.0)]
    fl = Flight(
        "3f4c21",
        "GAF614",
        "54+12",
        "A400",
        t0,
        WUNSTORF,
        260.0,
        (*via, *points, (52.8, 8.0)),
        12000,
        250,
        rotate_kt=110,
        dest=WUNSTORF,
        arr_runway=260.0,
        loiter=_loiter(len(via), 130, 9000),
    )
    craft = Craft("3f4c21", "GAF614", "54+12", "A400", "DE", db_flags=1)
    return [mission(craft, fl, len(via), points, centre, "orbit")], (
        "synthetic: German A400M (military) from Wunstorf flying three slow (130 kt) wide "
        "orbits of 18 km radius around Groningen in the Netherlands (foreign), and back"
    )


def hold_government_navaid() -> tuple[list[Craft], str]:
    t0 = at(2025, 11, 3, 13)
    centre: LatLon = (32.0, -110.5)
    points = pattern(centre, 90.0, hold(9.0, 3.2, 10), 3.2, left=False)
    via = [(32.05, -110.7)]
    fl = Flight(
        "a8c401",
        "",
        "CBP-230",
        "BE35",
        t0,
        TUCSON,
        110.0,
        (*via, *points, *via),
        9000,
        170,
        rotate_kt=100,
        dest=TUCSON,
        arr_runway=290.0,
        loiter=_loiter(len(via), 170, 9000, wind=5.0),
    )
    craft = Craft("a8c401", "", "CBP-230", "BE35", "US")
    return [mission(craft, fl, len(via), points, centre, "racetrack")], (
        "synthetic: US CBP aircraft (government) in a standard right-hand holding pattern "
        "(9 km legs, ten laps, about 45 minutes) over a fix east of Tucson, at home"
    )


# -- must stay quiet: military at home, civil ------------------------------------------


def _quiet_hold(
    hex_: str,
    flight: str,
    reg: str,
    type_: str,
    state: str,
    home: Airfield,
    runway: float,
    fix: LatLon,
    laps: int,
    leg_km: float,
    t0: float,
    came_from: Airfield,
) -> Craft:
    points = pattern(fix, runway, hold(leg_km, 3.5, laps), 3.5, left=False)
    via = [((came_from.lat + fix[0]) / 2, (came_from.lon + fix[1]) / 2)]
    fl = Flight(
        hex_,
        flight,
        reg,
        type_,
        t0,
        came_from,
        0.0,
        (*via, *points),
        24000,
        300,
        rotate_kt=140,
        dest=home,
        arr_runway=runway,
        loiter=_loiter(len(via), 210, 6000),
    )
    craft = Craft(hex_, flight, reg, type_, state, db_flags=1, quiet=True)
    craft.tracks.append(fly(fl))
    return craft


def military_hold_bricy() -> tuple[list[Craft], str]:
    craft = _quiet_hold(
        "3b7c44",
        "CTM1217",
        "F-RBAL",
        "A400",
        "FR",
        BRICY,
        250.0,
        (48.05, 2.1),
        4,
        9.0,
        at(2025, 3, 18, 14),
        Airfield("LFMI", 43.5227, 4.9238, 82),
    )
    return [craft], (
        "synthetic: French A400M (military) from Istres holding four laps over a fix east "
        "of its home base Orleans-Bricy, then approach and landing: must stay quiet"
    )


def military_hold_mcconnell() -> tuple[list[Craft], str]:
    craft = _quiet_hold(
        "ae0a71",
        "BOLT31",
        "63-8871",
        "K35R",
        "US",
        MCCONNELL,
        190.0,
        (37.9, -97.2),
        9,
        14.0,
        at(2025, 1, 27, 18),
        Airfield("KOFF", 41.1183, -95.9125, 1052),
    )
    return [craft], (
        "synthetic: US KC-135 (military) from Offutt holding nine laps (14 km legs, about "
        "45 minutes) at its home base McConnell, then approach and landing: must stay quiet"
    )


def military_training_germany() -> tuple[list[Craft], str]:
    craft = _home_orbit(
        "3f5d10",
        "GAF305",
        "98+11",
        "A400",
        "DE",
        WUNSTORF,
        260.0,
        (52.9, 9.9),
        9.0,
        6,
        190,
        14000,
        at(2025, 2, 24, 9),
        [(52.7, 9.7)],
        db_flags=1,
        end_after_h=3.0,
    )
    craft.orbits.clear()
    craft.quiet = True
    return [craft], (
        "synthetic: German A400M (military) from Wunstorf flying an hour of 9 km training "
        "circles over Lower Saxony, at home: quiet by default"
    )


def military_circuits_brize() -> tuple[list[Craft], str]:
    t0 = at(2025, 6, 17, 13)
    circuit = hold(6.0, 2.5, 8)
    points = pattern((51.75, -1.52), 250.0, circuit, 2.5, left=True)
    fl = Flight(
        "43c1a7",
        "RRR4401",
        "ZZ336",
        "A332",
        t0,
        BRIZE,
        250.0,
        tuple(points),
        2000,
        200,
        dest=BRIZE,
        arr_runway=250.0,
        loiter=_loiter(0, 160, 2000),
    )
    craft = Craft("43c1a7", "RRR4401", "ZZ336", "A332", "GB", db_flags=1, quiet=True)
    craft.tracks.append(fly(fl))
    return [craft], (
        "synthetic: RAF Voyager (military) flying eight visual circuits and approaches at "
        "its home base Brize Norton, about 40 minutes: must stay quiet"
    )


def civil_traffic() -> tuple[list[Craft], str]:
    t0 = at(2025, 9, 5, 7)
    crafts = []
    flights: list[tuple[str, str, str, str, str, Airfield, Airfield, list[LatLon]]] = [
        ("4b1a07", "SWR112", "HB-JBA", "BCS1", "CH", ZURICH, CDG, [(48.2, 5.5)]),
        ("3c6591", "DLH9FK", "D-AINF", "A20N", "DE", FRANKFURT, VIENNA, [(49.2, 12.0)]),
        ("440173", "AUA5KP", "OE-LBL", "A320", "AT", VIENNA, MUNICH, [(48.2, 13.8)]),
        ("39856c", "AFR1144", "F-HBNC", "A20N", "FR", CDG, FRANKFURT, [(49.5, 6.0)]),
    ]
    for i, (hex_, call, reg, type_, state, origin, dest, via) in enumerate(flights):
        fl = Flight(
            hex_,
            call,
            reg,
            type_,
            t0 + i * 900,
            origin,
            0.0,
            tuple(via),
            36000,
            450,
            dest=dest,
            arr_runway=250.0,
        )
        craft = Craft(hex_, call, reg, type_, state, quiet=True)
        craft.tracks.append(fly(fl))
        crafts.append(craft)
    hold_points = pattern((50.2, 8.9), 70.0, hold(9.0, 3.5, 5), 3.5, left=False)
    fl = Flight(
        "3c4b26",
        "DLH4AB",
        "D-AIBA",
        "A319",
        t0 + 1200,
        airborne(51.0, 10.5, 20000),
        230.0,
        ((50.6, 9.6), *hold_points),
        20000,
        300,
        rotate_kt=300,
        dest=FRANKFURT,
        arr_runway=250.0,
        loiter=_loiter(1, 220, 8000),
    )
    craft = Craft("3c4b26", "DLH4AB", "D-AIBA", "A319", "DE", quiet=True)
    craft.tracks.append(fly(fl))
    crafts.append(craft)
    orbit = pattern((47.7, 8.4), 0.0, circle(3.0, 14), 3.0)
    fl = Flight(
        "4b3021",
        "HBCOW",
        "HB-COW",
        "C172",
        t0,
        ZURICH,
        280.0,
        ((47.55, 8.45), *orbit),
        4500,
        100,
        rotate_kt=60,
        dest=ZURICH,
        arr_runway=280.0,
        loiter=_loiter(1, 95, 4500),
    )
    craft = Craft("4b3021", "HBCOW", "HB-COW", "C172", "CH", quiet=True)
    craft.tracks.append(fly(fl))
    crafts.append(craft)
    return crafts, (
        "synthetic: civil traffic that must stay quiet: four airliners crossing borders "
        "(CH>FR, DE>AT, AT>DE, FR>DE), an airliner in a 20-minute hold before Frankfurt "
        "and a Swiss Cessna circling near the German border for an hour"
    )


# -- multi-country trips ------------------------------------------------------------------


def _trip(craft: Craft, legs: list[tuple[float, Airfield, Airfield, list[LatLon]]]) -> Craft:
    for t0, origin, dest, via in legs:
        fl = Flight(
            craft.hex,
            craft.flight,
            craft.reg,
            craft.icao_type,
            t0,
            origin,
            0.0,
            tuple(via),
            28000,
            420,
            dest=dest,
            arr_runway=0.0,
            climb_fpm=1800,
        )
        craft.tracks.append(fly(fl))
    return craft


def trip_europe() -> tuple[list[Craft], str]:
    day = at(2025, 10, 20, 6)
    craft = Craft("ae07f2", "RCH871", "10-0213", "C17", "US", db_flags=1)
    legs: list[tuple[float, Airfield, Airfield, list[LatLon]]] = [
        (day, RAMSTEIN, EINDHOVEN, [(49.6, 6.3), (49.9, 5.9), (50.6, 5.6)]),
        (day + 4 * 3600, EINDHOVEN, POWIDZ, [(51.8, 7.5), (51.3, 14.8)]),
        (day + DAY, POWIDZ, ZAGREB, [(49.8, 18.2), (48.8, 16.8), (47.3, 16.3), (46.4, 15.7)]),
        (
            day + DAY + 5 * 3600,
            ZAGREB,
            SIAULIAI,
            [(46.6, 17.5), (48.2, 19.2), (49.4, 19.9), (54.3, 22.8)],
        ),
        (
            day + 2 * DAY,
            SIAULIAI,
            AMARI,
            [(55.6, 21.6), (55.72, 20.665), (56.4, 21.0), (57.8, 24.0)],
        ),
        (
            day + 2 * DAY + 5 * 3600,
            AMARI,
            RAMSTEIN,
            [(57.5, 25.5), (54.6, 23.6), (53.9, 22.5), (52.5, 14.0), (50.1, 11.8), (49.6, 9.0)],
        ),
    ]
    return [_trip(craft, legs)], (
        "synthetic: US C-17 (military) on a three-day trip of six legs through fourteen "
        "European countries (DE, LU, BE, NL, PL, CZ, AT, SI, HR, HU, SK, LT, LV, EE), "
        "overnight stops, and a quick excursion over the sea off Lithuania"
    )


def trip_central_america() -> tuple[list[Craft], str]:
    day = at(2025, 12, 1, 13)
    craft = Craft("a8cb22", "OMAHA22", "CBP-310", "P3", "US")
    legs: list[tuple[float, Airfield, Airfield, list[LatLon]]] = [
        (day, COMALAPA, LIBERIA, [(13.6, -88.0), (13.0, -86.6)]),
        (day + 4 * 3600, LIBERIA, HOWARD, [(9.8, -83.4), (8.6, -82.0)]),
        (day + DAY, HOWARD, BOGOTA, [(7.9, -77.3)]),
        (day + DAY + 5 * 3600, BOGOTA, COMALAPA, [(8.0, -77.5), (10.5, -84.2), (12.8, -87.2)]),
    ]
    return [_trip(craft, legs)], (
        "synthetic: US CBP P-3 (government) on a two-day trip of four legs: El Salvador, "
        "Honduras, Nicaragua, Costa Rica, Panama, Colombia and back"
    )


SYNTHETIC: dict[str, Any] = {
    "racetrack_black_sea": racetrack_black_sea,
    "racetrack_mediterranean": racetrack_mediterranean,
    "racetrack_sicily_libya": racetrack_sicily,
    "tanker_north_sea": tanker_north_sea,
    "tanker_alps": tanker_alps,
    "surveillance_cbp_arizona": surveillance_cbp_arizona,
    "surveillance_police_london": surveillance_police_london,
    "surveillance_police_calais": surveillance_police_calais,
    "navaid_orbit_san_antonio": navaid_orbit_texas,
    "navaid_orbit_groningen": navaid_orbit_groningen,
    "hold_government_tucson": hold_government_navaid,
    "military_hold_bricy": military_hold_bricy,
    "military_hold_mcconnell": military_hold_mcconnell,
    "military_training_germany": military_training_germany,
    "military_circuits_brize": military_circuits_brize,
    "civil_traffic_europe": civil_traffic,
    "trip_europe_3days": trip_europe,
    "trip_central_america": trip_central_america,
}


def seeded(name: str, seed: int) -> random.Random:
    return random.Random(f"{seed}:{name}")
