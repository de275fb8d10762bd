"""Corrections to the shared development labels: the loiters the turn-based labeller left out.

The labels of ../shared/data/tracks mark orbit intervals found by a labeller that
counts closed loops. Aircraft that work one area for a long time without closed loops
(CAL FIRE over a fire line, convention surveillance with one fix a minute, TV relays
over a race) are left unlabelled there, yet they are what the loiter rule is for. This
scan adds, for the recordings named, every stretch of an aircraft's track that is

- a **dwell**: at least DWELL_S (50 min) airborne within RADIUS_KM (20 km) of the
  stretch's centre, or
- an **orbit**: at least ORBIT_S (20 min) within RADIUS_KM of its centre with at least
  MIN_TURNS (1.5) net turns (the sum of heading changes between fixes),

flown (MIN_PATH_KM along the track at least: a parked transponder is no loiter) and
seen (a fix every FIX_EVERY_S, 7 min, on average at least). The thresholds are stricter than
the rule's own (25 km, 45 min, one turn): only clear cases are added, and a borderline
stretch stays unlabelled, as the shared labeller left it

and that no shared interval already overlaps. These are the documented definitions of
a loiter (docs/alerts.md, docs/configuration.md), applied to the recorded positions
independently of the service's code; each added interval carries its numbers as the
reason. Written to tests/data/labels-overlay.json; the backtest adds it to the shared
labels when given after them. Deterministic (no randomness).

    .venv/bin/python demo/overlay.py [--tracks DIR] [--out tests/data/labels-overlay.json]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any

from geo import KM_PER_DEG, bearing_deg

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ("calfire", "buzzfeed_dnc_2016", "tour_de_france")
# Clear cases only, well inside the rule's definitions (25 km, 45 min, one turn), so
# that a borderline stretch is left as the shared labeller left it.
RADIUS_KM = 20.0
DWELL_S = 3000.0
ORBIT_S = 1200.0
MIN_TURNS = 1.5
FIX_EVERY_S = 420.0  # at least one fix per 7 minutes on average: seen, not guessed
MIN_SPEED_KT = 30.0
GAP_S = 1800.0  # a longer silence splits a stretch
MIN_STEP_KM = 0.05
MIN_PATH_KM = 10.0  # flown at least this far: a parked transponder is no loiter

Fix = tuple[float, float, float]  # time, lat, lon


def _km(a: Fix, b: Fix) -> float:
    dlat = (b[1] - a[1]) * KM_PER_DEG
    dlon = (b[2] - a[2]) * KM_PER_DEG * math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot(dlat, dlon)


def _fixes(path: Path) -> dict[str, list[Fix]]:
    out: dict[str, list[Fix]] = {}
    with gzip.open(path, "rt") as stream:
        for line in stream:
            snapshot = json.loads(line)
            for a in snapshot.get("aircraft", []):
                if "lat" not in a or "lon" not in a or a.get("alt_baro") == "ground":
                    continue
                gs = a.get("gs")
                if gs is not None and gs < MIN_SPEED_KT:
                    continue
                t = float(snapshot["now"]) - float(a.get("seen_pos", 0.0))
                out.setdefault(str(a["hex"]).lower(), []).append((t, a["lat"], a["lon"]))
    for fixes in out.values():
        fixes.sort()
    return out


def _turns(fixes: list[Fix]) -> float:
    total, last = 0.0, None
    for a, b in itertools.pairwise(fixes):
        if _km(a, b) < MIN_STEP_KM:
            continue
        course = bearing_deg((a[1], a[2]), (b[1], b[2]))
        if last is not None:
            total += (course - last + 180.0) % 360.0 - 180.0
        last = course
    return abs(total) / 360.0


def _within(fixes: list[Fix]) -> tuple[bool, Fix, float]:
    lat = sum(f[1] for f in fixes) / len(fixes)
    lon = sum(f[2] for f in fixes) / len(fixes)
    centre = (0.0, lat, lon)
    far = max(_km(centre, f) for f in fixes)
    return far <= RADIUS_KM, centre, far


def stretches(fixes: list[Fix]) -> list[dict[str, Any]]:
    """Greedy, left to right: from each start, the longest stretch within the radius;
    kept when it is a dwell or an orbit, and the scan goes on after it."""
    found: list[dict[str, Any]] = []
    i, n = 0, len(fixes)
    while i < n:
        j = i
        while j + 1 < n and fixes[j + 1][0] - fixes[j][0] < GAP_S:
            inside, _, _ = _within(fixes[i : j + 2])
            if not inside:
                break
            j += 1
        part = fixes[i : j + 1]
        duration = part[-1][0] - part[0][0]
        path_km = sum(_km(a, b) for a, b in itertools.pairwise(part))
        dense = len(part) >= duration / FIX_EVERY_S
        if duration >= ORBIT_S and path_km >= MIN_PATH_KM and dense:
            _, centre, far = _within(part)
            turns = _turns(part)
            if duration >= DWELL_S or turns >= MIN_TURNS:
                kind = "dwell" if turns < MIN_TURNS else "orbit"
                found.append(
                    {
                        "t_start_unix": round(part[0][0], 1),
                        "t_end_unix": round(part[-1][0], 1),
                        "center_latlon": [round(centre[1], 4), round(centre[2], 4)],
                        "reason": f"{kind}: {duration / 60:.0f} min within {far:.1f} km of "
                        f"the centre, {turns:.1f} net turns, {len(part)} fixes; the "
                        "turn-based labeller marked no loop here",
                    }
                )
                i = j + 1
                continue
        i += 1
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Label the loiters the shared labeller missed.")
    parser.add_argument("--tracks", type=Path, default=ROOT.parent / "shared/data/tracks")
    parser.add_argument("--out", type=Path, default=ROOT / "tests/data/labels-overlay.json")
    args = parser.parse_args(argv)
    shared = json.loads((args.tracks / "labels.json").read_text())
    overlay: dict[str, Any] = {}
    added = 0
    for name in RECORDINGS:
        labelled: dict[str, list[tuple[float, float]]] = {}
        for flight in shared[name]["flights"]:
            for o in flight.get("orbit_intervals", []):
                labelled.setdefault(str(flight["hex"]).lower(), []).append(
                    (o["t_start_unix"], o["t_end_unix"])
                )
        flights = []
        for hex_, fixes in sorted(_fixes(args.tracks / f"{name}.jsonl.gz").items()):
            new = [
                s
                for s in stretches(fixes)
                if not any(
                    s["t_start_unix"] <= b and a <= s["t_end_unix"]
                    for a, b in labelled.get(hex_, [])
                )
            ]
            if new:
                flights.append({"hex": hex_, "orbit_intervals": new})
                added += len(new)
        overlay[name] = {
            "correction": "loiters the turn-based labeller left out (demo/overlay.py)",
            "flights": flights,
        }
    args.out.write_text(json.dumps(overlay, indent=1) + "\n")
    print(f"overlay: {added} intervals added in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
