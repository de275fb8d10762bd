"""The development set's feed and labels: simulated aircraft to snapshots, truth to labels.

A Craft is one aircraft as the feed reports it (address, callsign, registration, type,
dbFlags) flying one or more flightsim Tracks (a multi-day trip is several). `snapshots`
turns crafts into replay-format lines every POLL_S seconds with position noise and
coverage gaps; `entries` finds, on the noise-free 1 s track, the foreign countries an
aircraft really entered (the crossing labels). Used by demo/devset.py.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from flightsim import Flight, Track, simulate
from geo import Route, destination, local_offset

from service.locate import Boundaries

POLL_S = 10.0
# An entry is labelled when the true path stays inside the country this long and this
# deep: an analyst marks an aircraft that went in, not one that clipped a border corner.
ENTRY_MIN_S = 120.0
ENTRY_MIN_DEPTH_KM = 5.0
# Outside for less than this and back into the same country is the same entry (a quick
# leave-and-re-enter); the foreign_airspace rule's default exit_confirm_s.
REENTER_MERGE_S = 120.0
# Silent this long, the aircraft is heard again as a new arrival (resolve_after_silent_s).
SILENCE_NEW_S = 3600.0


@dataclass
class Craft:
    """One aircraft as the feed shows it, and what it flies."""

    hex: str
    flight: str
    reg: str
    icao_type: str
    state: str  # state of registry (labels only; the service derives its own)
    db_flags: int = 0
    squawk: str = "1000"
    noise_m: float = 15.0
    tracks: list[Track] = field(default_factory=list)
    gaps: list[tuple[float, float]] = field(default_factory=list)  # no reports in [a, b)
    orbits: list[dict[str, Any]] = field(default_factory=list)  # labelled intervals
    quiet: bool = False
    expect_crossings: bool = True  # label its country entries

    def state_at(self, t: float) -> tuple[float, float, float, float, float, bool] | None:
        if any(a <= t < b for a, b in self.gaps):
            return None
        for track in self.tracks:
            state = track.state(t)
            if state is not None:
                lat, lon, alt, gs, course, ground, _ = state
                return lat, lon, alt, gs, course, ground
        return None


def fly(fl: Flight) -> Track:
    """simulate(), named for what the scenarios do with it."""
    return simulate(fl)


def route_time(fl: Flight, track: Track, index: int) -> float:
    """When the simulated flight passes route[index] (as simulate lays the route out)."""
    pts = [fl.origin.point, destination(fl.origin.point, fl.dep_runway, 8000.0), *fl.route]
    if fl.dest is not None:
        touchdown = destination(fl.dest.point, fl.arr_runway + 180.0, 1000.0)
        pts += [destination(touchdown, fl.arr_runway + 180.0, 16000.0), touchdown]
    route = Route(pts)
    fraction = route.cum[2 + index] / route.length
    for k, value in enumerate(track.fraction):
        if value >= fraction:
            return track.t0 + k
    return track.t0 + len(track.fraction) - 1


def follow(
    leader: Track, start: float, end: float, behind_m: float, right_m: float, below_ft: float
) -> Track:
    """A receiver in formation with a tanker from start to end (1 s steps)."""
    out = Track(t0=start, takeoff=start)
    t = start
    while t <= end:
        state = leader.state(t)
        if state is None:
            break
        lat, lon, alt, gs, course, _, _ = state
        back = destination((lat, lon), course + 180.0, behind_m)
        lat, lon = destination(back, course + 90.0, right_m)
        out.lat.append(lat)
        out.lon.append(lon)
        out.alt.append(alt - below_ft)
        out.gs.append(gs)
        out.course.append(course)
        out.ground.append(False)
        out.fraction.append(0.0)
        t += 1.0
    return out


def join(first: Track, second: Track) -> Track:
    """Two tracks one after the other as one (the second starts where the first ends)."""
    out = Track(t0=first.t0, takeoff=first.takeoff)
    for track in (first, second):
        offset = round(track.t0 - (out.t0 + len(out.lat)))
        for name in ("lat", "lon", "alt", "gs", "course", "ground", "fraction"):
            values = getattr(track, name)
            getattr(out, name).extend(values[max(0, -offset) :])
    return out


def snapshots(
    crafts: list[Craft], start: float, end: float, rng: random.Random, poll_s: float = POLL_S
) -> Iterator[dict[str, Any]]:
    """Replay-format snapshots every poll_s (jittered); empty ones only every 5 minutes."""
    messages = rng.randrange(1_000_000, 9_000_000)
    index = 0
    while True:
        now = round(start + index * poll_s + rng.uniform(0.0, 0.3), 3)
        if now > end:
            return
        aircraft = []
        for craft in crafts:
            entry = _report(craft, now, rng)
            if entry is not None:
                aircraft.append(entry)
                messages += rng.randint(20, 90)
        messages += rng.randint(1, 9)
        if aircraft or index % 30 == 0:
            yield {"now": now, "messages": messages, "aircraft": aircraft}
        index += 1


def _report(craft: Craft, now: float, rng: random.Random) -> dict[str, Any] | None:
    seen_pos = round(rng.uniform(0.0, 1.5), 1)
    state = craft.state_at(now - seen_pos)
    if state is None:
        return None
    lat, lon, alt, gs, course, ground = state
    east, north = rng.gauss(0.0, craft.noise_m), rng.gauss(0.0, craft.noise_m)
    lat, lon = local_offset((lat, lon), east / 1000.0, north / 1000.0)
    entry: dict[str, Any] = {"hex": craft.hex, "type": "adsb_icao"}
    if craft.flight:
        entry["flight"] = f"{craft.flight:<8}"
    entry["r"] = craft.reg
    entry["t"] = craft.icao_type
    if craft.db_flags:
        entry["dbFlags"] = craft.db_flags
    entry["alt_baro"] = "ground" if ground else round(alt / 25.0) * 25
    entry["gs"] = round(abs(gs + rng.gauss(0.0, 0.5)), 1)
    entry["track"] = round((course + rng.gauss(0.0, 0.3)) % 360.0, 1)
    entry["squawk"] = craft.squawk
    entry["lat"] = round(lat, 5)
    entry["lon"] = round(lon, 5)
    entry["seen_pos"] = seen_pos
    entry["seen"] = round(rng.uniform(0.0, min(seen_pos, 1.0)), 1)
    return entry


def write(path: Path, lines: Iterable[dict[str, Any]]) -> int:
    """gzip JSONL with no name and mtime 0 in the header: the same input, the same bytes."""
    count = 0
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        for line in lines:
            out.write((json.dumps(line, separators=(",", ":")) + "\n").encode())
            count += 1
    return count


def entries(
    boundaries: Boundaries, state: str, samples: list[tuple[float, float, float]]
) -> list[dict[str, Any]]:
    """The foreign countries entered along (time, lat, lon) samples (1 s apart where
    heard), as labels: [{"country", "t_unix"}]. A country counts once the path stays in
    it ENTRY_MIN_S and ENTRY_MIN_DEPTH_KM deep; back in the same country within
    REENTER_MERGE_S of leaving is the same entry; heard again after SILENCE_NEW_S, an
    aircraft already inside is a new arrival."""
    if not samples:
        return []
    times = np.array([s[0] for s in samples])
    lats = np.array([s[1] for s in samples])
    lons = np.array([s[2] for s in samples])
    index = boundaries.locate_many(lats, lons)
    codes = [boundaries.code(int(i)) if i >= 0 else None for i in index]
    runs: list[tuple[str | None, int, int]] = []  # (country, first, last) sample
    for k, code in enumerate(codes):
        silent = k > 0 and times[k] - times[k - 1] >= SILENCE_NEW_S
        if runs and runs[-1][0] == code and not silent:
            runs[-1] = (code, runs[-1][1], k)
        else:
            runs.append((code, k, k))
    found: list[dict[str, Any]] = []
    last_end: dict[str, float] = {}
    for code, first, last in runs:
        if code is None or code == state:
            continue
        if times[last] - times[first] < ENTRY_MIN_S:
            continue
        picks = np.arange(first, last + 1, max(1, (last - first) // 40))
        depth = boundaries.depth_many(index[picks], lats[picks], lons[picks])
        if float(np.max(depth)) < ENTRY_MIN_DEPTH_KM:
            continue
        previous = last_end.get(code)
        quick = previous is not None and times[first] - previous < REENTER_MERGE_S
        if quick and found and found[-1]["country"] == code:
            last_end[code] = float(times[last])
            continue
        found.append({"country": code, "t_unix": round(float(times[first]), 1)})
        last_end[code] = float(times[last])
    return found


def heard(craft: Craft, start: float, end: float) -> list[tuple[float, float, float]]:
    """Noise-free 1 s samples of the craft while it transmits between start and end."""
    out = []
    for track in craft.tracks:
        t0 = max(start, track.t0)
        t1 = min(end, track.t0 + len(track.lat) - 1)
        t = math.ceil(t0)
        while t <= t1:
            state = craft.state_at(t)
            if state is not None:
                out.append((float(t), state[0], state[1]))
            t += 1
    return out
