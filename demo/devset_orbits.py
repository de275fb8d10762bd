"""Development set: surveillance orbits at home, slow wide navaid orbits and a government hold."""

from __future__ import annotations

from devset_feed import Craft
from devset_places import (
    SAN_ANTONIO,
    TUCSON,
    WUNSTORF,
    at,
    hold,
    home_orbit,
    loiter_at,
    mission,
    pattern,
)
from flightsim import Airfield, Flight
from geo import LatLon, circle

# -- surveillance at home, navaid orbits and holds --------------------------------------


def surveillance_cbp_arizona() -> tuple[list[Craft], str]:
    craft = home_orbit(
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
    craft = home_orbit(
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
    craft = home_orbit(
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
    craft = home_orbit(
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
        loiter=loiter_at(len(via), 130, 9000),
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
        loiter=loiter_at(len(via), 170, 9000, wind=5.0),
    )
    craft = Craft("a8c401", "", "CBP-230", "BE35", "US")
    # A hold turns one way round its fix (an orbit) and reverses along its axis (a small
    # racetrack): either name is right, so the label names no shape.
    return [mission(craft, fl, len(via), points, centre, None)], (
        "synthetic: US CBP aircraft (government) in a standard right-hand holding pattern "
        "(9 km legs, ten laps, about 45 minutes) over a fix east of Tucson, at home"
    )
