"""The other traffic of the TROY701 demo: invented civil flights and a US military C-17.

None of these should ever alert. The civil flights, callsigns and registrations are
invented; US addresses follow from the registrations (n_number_to_icao). Every flight is
timed from DEPARTURE, when TROY701 starts to taxi. Standard library only.
"""

from __future__ import annotations

import calendar
from typing import Any

from flightsim import Airfield, Flight, n_number_to_icao
from geo import LatLon, bearing_deg, circle, destination, left_of, orbit_entry, orbit_points

DEPARTURE = float(calendar.timegm((2025, 8, 13, 8, 0, 0)))  # TROY701 starts to taxi


def _minutes(m: float) -> float:
    return DEPARTURE + m * 60.0


# -- airfields -----------------------------------------------------------------------------

KSJT = Airfield("KSJT", 31.3577, -100.4963, 1919)  # San Angelo Regional
KDFW = Airfield("KDFW", 32.8968, -97.0380, 607)
KDAL = Airfield("KDAL", 32.8471, -96.8518, 487)
KSAT = Airfield("KSAT", 29.5337, -98.4698, 809)
KIAH = Airfield("KIAH", 29.9844, -95.3414, 97)
KHOU = Airfield("KHOU", 29.6454, -95.2789, 46)
KELP = Airfield("KELP", 31.8072, -106.3776, 3961)
KDYS = Airfield("KDYS", 32.4208, -99.8546, 1789)  # Dyess AFB
KSKF = Airfield("KSKF", 29.3842, -98.5811, 688)  # Kelly Field / JBSA-Lackland
MMMX = Airfield("MMMX", 19.4363, -99.0721, 7316)  # Mexico City
MMMY = Airfield("MMMY", 25.7785, -100.1069, 1278)  # Monterrey
MMGL = Airfield("MMGL", 20.5218, -103.3112, 5016)  # Guadalajara
MMTO = Airfield("MMTO", 19.3371, -99.5660, 8466)  # Toluca
MMCU = Airfield("MMCU", 28.7029, -105.9646, 4462)  # Chihuahua
MMTC = Airfield("MMTC", 25.5683, -103.4107, 3688)  # Torreon


# -- flights -------------------------------------------------------------------------------


def civil_orbiter() -> Flight:
    """XB-KRT, a private Cessna 182 circling between Toluca and Valle de Bravo."""
    centre: LatLon = (19.23, -99.90)
    radius = 3.0
    climb_out = destination(MMTO.point, 330.0, 8000.0)
    entry = orbit_entry(climb_out, centre, radius, left=False)
    heading = (bearing_deg(entry, climb_out) + 180.0) % 360.0
    lx, ly = left_of(heading)
    orbit = orbit_points(
        centre,
        (radius * lx, radius * ly),
        heading,
        circle(radius, 15, left=False),
        (0.8, 60.0, 0.6, 90.0),
    )
    return Flight(
        hex="0d0725",
        flight="XBKRT",
        reg="XB-KRT",
        icao_type="C182",
        start=_minutes(215),
        origin=MMTO,
        dep_runway=330.0,
        route=tuple(orbit),
        dest=MMTO,
        arr_runway=330.0,
        cruise_ft=11500.0,
        cruise_kt=115.0,
        climb_fpm=700.0,
        rotate_kt=60.0,
        approach_kt=70.0,
        squawks=((0.0, "4215"),),
    )


def civil_traffic() -> list[Flight]:
    """Invented airline and private flights of a Wednesday morning over Texas and Mexico."""
    return [
        Flight(  # departs and lands: on the ground at both ends
            hex=n_number_to_icao("N8619F"),
            flight="SWA1586",
            reg="N8619F",
            icao_type="B38M",
            start=_minutes(-15),
            origin=KDAL,
            dep_runway=134.0,
            taxi_out=((32.8530, -96.8480), (32.8555, -96.8585)),
            route=((32.30, -97.40), (31.30, -97.75), (30.30, -98.35)),
            dest=KSAT,
            arr_runway=130.0,
            taxi_in=((29.5290, -98.4700), (29.5320, -98.4745)),
            cruise_ft=33000.0,
            cruise_kt=440.0,
            squawks=((0.0, "3317"),),
        ),
        Flight(  # southbound crosser at Laredo
            hex=n_number_to_icao("N417AN"),
            flight="AAL1421",
            reg="N417AN",
            icao_type="A321",
            start=_minutes(10),
            origin=KDFW,
            dep_runway=175.0,
            route=(
                (31.90, -97.30),
                (30.40, -97.90),
                (28.90, -98.90),
                (27.55, -99.45),
                (26.00, -99.70),
                (23.20, -99.60),
                (20.40, -99.05),
            ),
            dest=MMMX,
            arr_runway=233.0,
            cruise_ft=37000.0,
            cruise_kt=462.0,
            squawks=((0.0, "5214"), (0.42, "3361")),
        ),
        Flight(  # northbound crosser at Nuevo Laredo
            hex="0d09c4",
            flight="AMX412",
            reg="XA-MBK",
            icao_type="B38M",
            start=_minutes(25),
            origin=MMMX,
            dep_runway=53.0,
            route=(
                (20.20, -99.10),
                (22.50, -99.60),
                (25.00, -99.70),
                (27.00, -99.55),
                (28.30, -99.00),
            ),
            dest=KSAT,
            arr_runway=35.0,
            cruise_ft=36000.0,
            cruise_kt=455.0,
            squawks=((0.0, "2271"), (0.66, "4630")),
        ),
        Flight(  # US private bizjet San Antonio -> Monterrey
            hex=n_number_to_icao("N528JV"),
            flight="N528JV",
            reg="N528JV",
            icao_type="C56X",
            start=_minutes(80),
            origin=KSAT,
            dep_runway=215.0,
            route=((28.60, -99.20), (27.45, -99.40), (26.60, -99.90)),
            dest=MMMY,
            arr_runway=110.0,
            cruise_ft=35000.0,
            cruise_kt=415.0,
            climb_fpm=3000.0,
            rotate_kt=120.0,
            approach_kt=125.0,
            squawks=((0.0, "6142"), (0.55, "5513")),
        ),
        Flight(  # northbound crosser, leaves coverage towards Chicago
            hex="0d0b7e",
            flight="VIV1108",
            reg="XA-VIQ",
            icao_type="A20N",
            start=_minutes(160),
            origin=MMMY,
            dep_runway=290.0,
            route=((26.50, -99.90), (27.90, -99.20), (31.50, -97.60), (36.50, -94.50)),
            cruise_ft=36000.0,
            cruise_kt=450.0,
            squawks=((0.0, "1743"), (0.2, "3125")),
        ),
        Flight(  # southbound crosser over the Rio Grande mouth, Brownsville
            hex=n_number_to_icao("N47533"),
            flight="UAL1089",
            reg="N47533",
            icao_type="B39M",
            start=_minutes(200),
            origin=KIAH,
            dep_runway=150.0,
            route=(
                (29.30, -95.60),
                (28.00, -96.60),
                (26.30, -97.30),
                (25.40, -97.45),
                (22.30, -97.85),
                (20.50, -98.60),
            ),
            dest=MMMX,
            arr_runway=233.0,
            cruise_ft=37000.0,
            cruise_kt=465.0,
            squawks=((0.0, "4407"), (0.33, "6251")),
        ),
        Flight(  # southbound crosser at Eagle Pass / Piedras Negras
            hex=n_number_to_icao("N936NN"),
            flight="AAL2290",
            reg="N936NN",
            icao_type="B738",
            start=_minutes(245),
            origin=KDFW,
            dep_runway=175.0,
            route=(
                (31.50, -98.30),
                (29.20, -100.20),
                (27.90, -100.90),
                (25.50, -101.80),
                (23.00, -102.60),
                (21.30, -102.90),
            ),
            dest=MMGL,
            arr_runway=280.0,
            cruise_ft=36000.0,
            cruise_kt=458.0,
            squawks=((0.0, "5530"), (0.3, "2166")),
        ),
        Flight(  # Texas, leaves coverage towards Denver
            hex=n_number_to_icao("N69885"),
            flight="UAL455",
            reg="N69885",
            icao_type="B739",
            start=_minutes(300),
            origin=KIAH,
            dep_runway=330.0,
            route=((30.60, -96.20), (32.20, -98.30), (34.80, -101.60), (37.00, -103.50)),
            cruise_ft=38000.0,
            cruise_kt=470.0,
            squawks=((0.0, "6612"),),
        ),
        Flight(  # Texas domestic, Houston Hobby -> El Paso
            hex=n_number_to_icao("N7742B"),
            flight="SWA3297",
            reg="N7742B",
            icao_type="B737",
            start=_minutes(365),
            origin=KHOU,
            dep_runway=310.0,
            route=((30.10, -97.00), (30.90, -100.00), (31.60, -103.50)),
            dest=KELP,
            arr_runway=260.0,
            cruise_ft=37000.0,
            cruise_kt=452.0,
            squawks=((0.0, "2435"),),
        ),
        Flight(  # Texas domestic, San Antonio -> Dallas Love, late
            hex=n_number_to_icao("N8531Q"),
            flight="SWA1950",
            reg="N8531Q",
            icao_type="B38M",
            start=_minutes(425),
            origin=KSAT,
            dep_runway=310.0,
            route=((30.30, -98.20), (31.30, -97.60), (32.30, -97.20)),
            dest=KDAL,
            arr_runway=134.0,
            cruise_ft=31000.0,
            cruise_kt=430.0,
            squawks=((0.0, "3052"),),
        ),
        Flight(  # Mexico domestic, Monterrey -> Mexico City, airborne when the feed starts
            hex="0d0a12",
            flight="AMX903",
            reg="XA-AMK",
            icao_type="B738",
            start=_minutes(-20),
            origin=MMMY,
            dep_runway=110.0,
            route=((24.60, -100.10), (22.20, -99.90), (20.20, -99.30)),
            dest=MMMX,
            arr_runway=233.0,
            cruise_ft=35000.0,
            cruise_kt=445.0,
            squawks=((0.0, "1156"),),
        ),
        Flight(  # Mexico domestic, Mexico City -> Monterrey
            hex="0d0b3a",
            flight="VIV1021",
            reg="XA-VIF",
            icao_type="A20N",
            start=_minutes(95),
            origin=MMMX,
            dep_runway=53.0,
            route=((20.00, -99.20), (22.20, -99.90), (24.60, -100.40)),
            dest=MMMY,
            arr_runway=110.0,
            cruise_ft=36000.0,
            cruise_kt=450.0,
            squawks=((0.0, "1325"),),
        ),
        Flight(  # Mexico domestic, Mexico City -> Torreon
            hex="0d0a58",
            flight="AMX1650",
            reg="XA-AMU",
            icao_type="B738",
            start=_minutes(225),
            origin=MMMX,
            dep_runway=233.0,
            route=((19.90, -99.70), (22.60, -102.00), (24.60, -103.00)),
            dest=MMTC,
            arr_runway=300.0,
            cruise_ft=35000.0,
            cruise_kt=448.0,
            squawks=((0.0, "1402"),),
        ),
        Flight(  # Mexico domestic, Mexico City -> Chihuahua
            hex="0d0a9d",
            flight="AMX2270",
            reg="XA-AMZ",
            icao_type="B738",
            start=_minutes(340),
            origin=MMMX,
            dep_runway=233.0,
            route=((19.80, -99.60), (22.50, -102.30), (25.80, -104.60)),
            dest=MMCU,
            arr_runway=358.0,
            cruise_ft=37000.0,
            cruise_kt=455.0,
            squawks=((0.0, "1634"),),
        ),
        Flight(  # Mexico domestic, Guadalajara -> Monterrey
            hex="0d0b55",
            flight="VIV3104",
            reg="XA-VAT",
            icao_type="A320",
            start=_minutes(405),
            origin=MMGL,
            dep_runway=100.0,
            route=((21.20, -102.60), (23.40, -101.50), (24.90, -100.60)),
            dest=MMMY,
            arr_runway=110.0,
            cruise_ft=35000.0,
            cruise_kt=446.0,
            squawks=((0.0, "1521"),),
        ),
        civil_orbiter(),
    ]


def military_traffic() -> list[Flight]:
    """A US Air Force C-17 shuttling between Dyess and Kelly Field: US state aircraft at home."""
    common: dict[str, Any] = {
        "hex": "ae07e5",
        "reg": "05-5146",
        "icao_type": "C17",
        "db_flags": 1,
        "cruise_ft": 26000.0,
        "cruise_kt": 420.0,
        "climb_fpm": 2000.0,
        "rotate_kt": 120.0,
        "approach_kt": 130.0,
    }
    return [
        Flight(
            flight="RCH4521",
            start=_minutes(65),
            origin=KDYS,
            dep_runway=160.0,
            route=((31.60, -99.50), (30.40, -98.95)),
            dest=KSKF,
            arr_runway=160.0,
            squawks=((0.0, "4723"),),
            **common,
        ),
        Flight(
            flight="RCH4522",
            start=_minutes(280),
            origin=KSKF,
            dep_runway=340.0,
            route=((30.40, -98.95), (31.60, -99.50)),
            dest=KDYS,
            arr_runway=340.0,
            squawks=((0.0, "4751"),),
            **common,
        ),
    ]
