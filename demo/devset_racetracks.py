"""Development set: racetracks over international waters and tanker tracks with a receiver."""

from __future__ import annotations

from devset_feed import Craft, fly, follow, join, route_time
from devset_places import (
    RAMSTEIN,
    SIGONELLA,
    airborne,
    at,
    loiter_at,
    mission,
    pattern,
)
from flightsim import Flight
from geo import LatLon, racetrack

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
        loiter=loiter_at(len(transit), 330, 31000),
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
        loiter=loiter_at(len(transit), 320, 29000),
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
        loiter=loiter_at(len(transit), 310, 55000),
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
        loiter=loiter_at(len(transit), 300, 26000, wind=0.0),
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
