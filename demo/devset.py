"""Build the labelled development set of issue 15 into tests/data/devset/.

Recordings of the patterns analysts watch, each with labels in the backtest format
(docs/backtest.md): real tracks from ../shared/data/tracks transformed (re-registered
as a state aircraft, a real orbit moved to a border region or over the sea) and
synthetic flights flown with the demo flight simulator (demo/devset_racetracks.py,
devset_orbits.py, devset_routine.py, on devset_places.py and devset_feed.py).
Every file is rebuilt from the seed: the same seed and inputs give the same bytes.

    .venv/bin/python demo/devset.py [--out tests/data/devset] [--tracks ../shared/data/tracks]

The README in the output folder says how each recording was made and what its labels
mean; it is written by hand, the recordings and labels.json by this script.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from devset_feed import Craft, entries, heard, snapshots, write
from devset_orbits import (
    hold_government_navaid,
    navaid_orbit_groningen,
    navaid_orbit_texas,
    surveillance_cbp_arizona,
    surveillance_police_calais,
    surveillance_police_london,
)
from devset_places import seeded
from devset_racetracks import (
    racetrack_black_sea,
    racetrack_mediterranean,
    racetrack_sicily,
    tanker_alps,
    tanker_north_sea,
)
from devset_routine import (
    civil_traffic,
    military_circuits_brize,
    military_hold_bricy,
    military_hold_mcconnell,
    military_training_germany,
    trip_central_america,
    trip_europe,
)
from geo import KM_PER_DEG, local_offset

from service.locate import Boundaries

ROOT = Path(__file__).resolve().parent.parent
SEED = 15

Build = Callable[[], tuple[list[Craft], str]]
SYNTHETIC: dict[str, Build] = {
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


def _flight_labels(
    boundaries: Boundaries, craft: Craft, start: float, end: float
) -> dict[str, Any]:
    flight: dict[str, Any] = {"hex": craft.hex, "orbit_intervals": craft.orbits}
    if craft.quiet:
        flight["quiet"] = True
    if craft.expect_crossings and not craft.quiet:
        flight["crossings"] = entries(boundaries, craft.state, heard(craft, start, end))
    return flight


def synthetic(
    boundaries: Boundaries, name: str, build: Callable[[], tuple[list[Craft], str]], out: Path
) -> dict[str, Any]:
    crafts, how = build()
    start = min(t.t0 for c in crafts for t in c.tracks) - 120.0
    end = max(t.t0 + len(t.lat) for c in crafts for t in c.tracks) + 300.0
    count = write(out / f"{name}.jsonl.gz", snapshots(crafts, start, end, seeded(name, SEED)))
    flights = [_flight_labels(boundaries, c, start, end) for c in crafts]
    return {
        "description": how,
        "snapshots": count,
        "as_configured": True,
        "countries_land": sorted({e["country"] for f in flights for e in f.get("crossings", [])}),
        "crosses_border_land": False,
        "flights": flights,
    }


# -- real tracks, transformed ------------------------------------------------------------


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt") as stream:
        for line in stream:
            yield json.loads(line)


Transform = Callable[[dict[str, Any]], dict[str, Any] | None]


def _real(
    tracks: Path,
    source: str,
    out: Path,
    name: str,
    keep: dict[str, Transform],
    window: tuple[float, float] | None = None,
) -> dict[str, list[tuple[float, float, float]]]:
    """Copy `source`, keeping only the addresses in `keep`, each entry rewritten by its
    transform (None drops it); return each new address's (time, lat, lon) positions."""
    heard_at: dict[str, list[tuple[float, float, float]]] = {}

    def lines() -> Iterator[dict[str, Any]]:
        for line in _lines(tracks / f"{source}.jsonl.gz"):
            now = float(line["now"])
            if window is not None and not window[0] <= now <= window[1]:
                continue
            aircraft = []
            for entry in line.get("aircraft", []):
                transform = keep.get(str(entry.get("hex", "")).lower())
                new = transform(dict(entry)) if transform is not None else None
                if new is None:
                    continue
                aircraft.append(new)
                if "lat" in new and "lon" in new:
                    t = now - float(new.get("seen_pos", 0.0))
                    heard_at.setdefault(new["hex"], []).append((t, new["lat"], new["lon"]))
            if aircraft:
                yield {
                    "now": line["now"],
                    "messages": line.get("messages", 0),
                    "aircraft": aircraft,
                }

    write(out / f"{name}.jsonl.gz", lines())
    return heard_at


def _reregister(hex_: str, flight: str | None, reg: str, type_: str) -> Transform:
    def transform(entry: dict[str, Any]) -> dict[str, Any]:
        entry["hex"] = hex_
        if flight is not None:
            entry["flight"] = f"{flight:<8}"
        entry["r"] = reg
        entry["t"] = type_
        entry["dbFlags"] = 1
        return entry

    return transform


def _moved(base: Transform, old: tuple[float, float], new: tuple[float, float]) -> Transform:
    """Re-register, and move every position by its offset (km east/north) from `old`
    to the same offset from `new`: the shape and size of the pattern are kept."""

    def transform(entry: dict[str, Any]) -> dict[str, Any] | None:
        moved = base(entry)
        if moved is None:
            return None
        entry = moved
        if "lat" in entry and "lon" in entry:
            north = (entry["lat"] - old[0]) * KM_PER_DEG
            east = (entry["lon"] - old[1]) * KM_PER_DEG * math.cos(math.radians(old[0]))
            lat, lon = local_offset(new, east, north)
            entry["lat"], entry["lon"] = round(lat, 5), round(lon, 5)
        return entry

    return transform


def _orbits(shared: dict[str, Any], recording: str, hex_: str) -> list[dict[str, Any]]:
    found = []
    for flight in shared[recording]["flights"]:
        if str(flight["hex"]).lower() == hex_:
            found += [
                {k: v for k, v in o.items() if k in ("t_start_unix", "t_end_unix", "center_latlon")}
                for o in flight.get("orbit_intervals", [])
            ]
    return found


def real(boundaries: Boundaries, tracks: Path, out: Path) -> dict[str, dict[str, Any]]:
    shared = json.loads((tracks / "labels.json").read_text())
    labels: dict[str, dict[str, Any]] = {}

    def label(
        name: str,
        how: str,
        positions: dict[str, list[tuple[float, float, float]]],
        states: dict[str, str],
        orbits: dict[str, list[dict[str, Any]]],
        quiet: bool = False,
        category: dict[str, str] | None = None,
    ) -> None:
        flights = []
        for hex_, state in states.items():
            flight: dict[str, Any] = {"hex": hex_, "orbit_intervals": orbits.get(hex_, [])}
            if category and hex_ in category:
                flight["category"] = category[hex_]
            if quiet:
                flight["quiet"] = True
            flight["crossings"] = entries(boundaries, state, sorted(positions.get(hex_, [])))
            flights.append(flight)
        labels[name] = {
            "description": how,
            "as_configured": True,
            "countries_land": sorted({e["country"] for f in flights for e in f["crossings"]}),
            "crosses_border_land": False,
            "flights": flights,
        }

    name = "real_kiruna_norwegian_military"
    pos = _real(tracks, "kiruna", out, name, {"4ab179": _reregister("478123", None, "", "B350")})
    label(
        name,
        "real: the Kiruna flight-check aircraft (circuits and a 10 NM VOR orbit over Sweden) "
        "re-registered as a Norwegian military aircraft (478123, military range, dbFlags 1): "
        "first seen inside Sweden, so one entry, and its long orbits are loiters abroad",
        pos,
        {"478123": "NO"},
        {"478123": _orbits(shared, "kiruna", "4ab179")},
    )

    name = "real_perth_orbit_baltic"
    vor = (-31.69, 115.9846)
    baltic = (55.62, 18.75)
    window = (1548190445.0 - 600, 1548190445.0 + 3160 + 600)
    pos = _real(
        tracks,
        "perth",
        out,
        name,
        {"7c1a89": _moved(_reregister("ae1b07", "NAVY61", "166601", "P8"), vor, baltic)},
        window,
    )
    orbit = [o for o in _orbits(shared, "perth", "7c1a89") if o["t_start_unix"] == 1548190445.0]
    for o in orbit:
        o["center_latlon"] = list(baltic)
        o["shape"] = "orbit"
    label(
        name,
        "real: Perth's 25 NM (46 km) VOR orbit, flown by the flight-check aircraft, moved "
        "(same shape and size, km offsets kept) to the international waters of the Baltic "
        "between Gotland and Poland and re-registered as a US military P-8 (ae1b07): a slow "
        "wide orbit over the high seas",
        pos,
        {"ae1b07": "US"},
        {"ae1b07": orbit},
    )

    name = "real_lisbon_portuguese_military"
    pos = _real(tracks, "lisbon", out, name, {"4070f4": _reregister("497c21", None, "", "F900")})
    label(
        name,
        "real: the Lisbon flight-check circuits re-registered as a Portuguese Air Force "
        "aircraft (497c21, military range): military patterns at a home airport, quiet",
        pos,
        {"497c21": "PT"},
        {},
        quiet=True,
    )

    name = "real_paris_holds_french_military"
    pos = _real(
        tracks,
        "quickstart",
        out,
        name,
        {
            "393320": _reregister("3aa120", "CTM2011", "F-RARF", "A332"),
            "393324": _reregister("3aa124", "CTM2015", "F-RARG", "A332"),
        },
    )
    label(
        name,
        "real: two Air France arrivals that held over the Paris stacks (11 and 13 minutes) "
        "re-registered as French military (3aa120, 3aa124; COTAM callsigns): holds and "
        "approaches at home, quiet",
        pos,
        {"3aa120": "FR", "3aa124": "FR"},
        {},
        quiet=True,
    )

    name = "real_edelweiss_swiss_military"
    pos = _real(
        tracks,
        "fr24_34a8254b",
        out,
        name,
        {"4b1901": _reregister("4b7a01", "SUI051", "T-786", "A320")},
    )
    label(
        name,
        "real: Edelweiss EDW24 from Zurich across the Atlantic to the Gulf of Mexico "
        "re-registered as a Swiss Air Force aircraft (4b7a01, military range): every "
        "country entered after leaving Switzerland",
        pos,
        {"4b7a01": "CH"},
        {},
    )

    name = "real_denver_mexican_military"
    pos = _real(
        tracks,
        "landing_denver",
        out,
        name,
        {"ac671b": _reregister("0d7f21", None, "FAM3526", "B739")},
    )
    label(
        name,
        "real: the Delta aircraft's full day (Belize, Mexico, then US domestic legs) "
        "re-registered as a Mexican military aircraft (0d7f21, Mexican block, dbFlags 1): "
        "first seen in Belize, then the US; every leg after a silence of over an hour is "
        "heard again as a new arrival",
        pos,
        {"0d7f21": "MX"},
        {},
    )

    name = "real_dnc_government_orbits"
    pos = _real(tracks, "buzzfeed_dnc_2016", out, name, {"a9479c": lambda e: e})
    label(
        name,
        "real: one aircraft of the 2016 Democratic convention surveillance flights "
        "(a9479c), over Philadelphia for a week, labelled government (a watch-list "
        "category) with the shared labels' orbit intervals: surveillance at home",
        pos,
        {"a9479c": "US"},
        {"a9479c": _orbits(shared, "buzzfeed_dnc_2016", "a9479c")},
        category={"a9479c": "government"},
    )
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the labelled development set.")
    parser.add_argument("--out", type=Path, default=ROOT / "tests/data/devset")
    parser.add_argument("--tracks", type=Path, default=ROOT.parent / "shared/data/tracks")
    parser.add_argument("--boundaries", type=Path, default=ROOT / "var/boundaries.bin")
    parser.add_argument("--only", nargs="*", default=None, help="build only these recordings")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    boundaries = Boundaries.load(args.boundaries)
    labels_path = args.out / "labels.json"
    labels: dict[str, Any] = {}
    if args.only and labels_path.exists():
        labels = json.loads(labels_path.read_text())
    for name, build in SYNTHETIC.items():
        if args.only is None or name in args.only:
            labels[name] = synthetic(boundaries, name, build, args.out)
    if args.only is None or any(n.startswith("real_") for n in args.only):
        labels.update(real(boundaries, args.tracks, args.out))
    ordered = {name: labels[name] for name in sorted(labels)}
    labels_path.write_text(json.dumps(ordered, indent=1) + "\n")
    total = sum(p.stat().st_size for p in args.out.glob("*.jsonl.gz"))
    print(f"devset: {len(ordered)} recordings, {total:,} bytes in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
