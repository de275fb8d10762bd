"""Development set: what must stay quiet (military at home, civil) and multi-country trips."""

from __future__ import annotations

from devset_feed import Craft, fly
from devset_places import (
    AMARI,
    BOGOTA,
    BRICY,
    BRIZE,
    CDG,
    COMALAPA,
    DAY,
    EINDHOVEN,
    FRANKFURT,
    HOWARD,
    LIBERIA,
    MCCONNELL,
    MUNICH,
    POWIDZ,
    RAMSTEIN,
    SIAULIAI,
    VIENNA,
    WUNSTORF,
    ZAGREB,
    ZURICH,
    airborne,
    at,
    hold,
    home_orbit,
    loiter_at,
    pattern,
)
from flightsim import Airfield, Flight
from geo import LatLon, circle

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
        loiter=loiter_at(len(via), 210, 6000),
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
    craft = home_orbit(
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
        loiter=loiter_at(0, 160, 2000),
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
        loiter=loiter_at(1, 220, 8000),
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
        loiter=loiter_at(1, 95, 4500),
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
