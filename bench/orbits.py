"""A feed where every aircraft is a state aircraft in a loiter: replay cost against a
plain `json.loads` of the same recording, and its growth with recording length.

    python bench/orbits.py [AIRCRAFT] [HOURS ...] [--at LAT,LON]
        # default 300 aircraft, 1 and 3 hours, over Valle de Bravo (19.19,-100.13)

For each length it writes a recording (readsb aircraft.json lines, gzip, one snapshot
every 10 s) of AIRCRAFT US military aircraft (AE-block addresses) orbiting over central
Mexico (or around LAT,LON: `--at 50,31` puts them over Ukraine, where borders are
measured at another latitude and in shorter segments), a third of them on racetracks,
then measures in a fresh process:
  - `json.loads` of every line (the lines already read and unzipped: parsing only);
  - the whole replay (`service.pipeline.replay.replay`: gunzip, decode, identify,
    locate, track, detect, notify) with the shipped config and the in-memory store,
    `build_app` not counted;
  - the peak resident memory of that process.
Times are CPU time (`time.process_time`: a busy machine moves wall time by 2x). It prints
positions per second, the replay/json.loads time ratio, the seconds of each pipeline
stage (wall time, `borderwatch_stage_duration_seconds`), and the ratios of the longest
recording to the shortest per hour of recording (1.0: flat). Asserts nothing.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STEP_S = 10.0
START = 1_755_072_000.0  # 2025-08-13 08:00 UTC
CENTRE = (19.19, -100.13)  # Valle de Bravo


@dataclass(frozen=True)
class Orbiter:
    """One aircraft flying an orbit (leg_km 0) or a racetrack around (lat, lon)."""

    hex: str
    flight: str
    lat: float
    lon: float
    radius_km: float
    leg_km: float
    gs: float
    phase: float
    alt: int

    def at(self, t: float) -> tuple[float, float, float]:
        """(lat, lon, heading) at t seconds."""
        x, y, heading = self._shape(self.gs * 1.852 * t / 3600.0)
        lat = self.lat + y / 111.2
        lon = self.lon + x / (111.2 * math.cos(math.radians(self.lat)))
        return lat, lon, heading

    def _shape(self, km: float) -> tuple[float, float, float]:
        """(east km, north km, heading) after flying `km`."""
        r, leg = self.radius_km, self.leg_km
        if not leg:
            angle = self.phase + km / r
            return r * math.cos(angle), r * math.sin(angle), math.degrees(-angle) % 360
        s = (km + self.phase * r) % (2 * leg + 2 * math.pi * r)
        if s < leg:
            return s - leg / 2, r, 90.0
        s -= leg
        if s < math.pi * r:
            angle = math.pi / 2 - s / r
            return leg / 2 + r * math.cos(angle), r * math.sin(angle), 180.0
        s -= math.pi * r
        if s < leg:
            return leg / 2 - s, -r, 270.0
        angle = -math.pi / 2 - (s - leg) / r
        return -leg / 2 + r * math.cos(angle), r * math.sin(angle), 0.0


def write_recording(
    path: Path, aircraft: int, hours: float, seed: int = 13, centre: tuple[float, float] = CENTRE
) -> int:
    """The recording; returns the number of positions written."""
    rng = random.Random(seed)
    fleet = [
        Orbiter(
            hex=f"ae{0x2000 + n:04x}",
            flight=f"TROY{n:03d}",
            lat=centre[0] + rng.uniform(-1.5, 1.5),
            lon=centre[1] + rng.uniform(-2.0, 2.0),
            radius_km=rng.uniform(5.0, 20.0),
            leg_km=rng.uniform(50.0, 120.0) if n % 3 == 0 else 0.0,
            gs=rng.uniform(120.0, 250.0),
            phase=rng.uniform(0.0, 2 * math.pi),
            alt=rng.randrange(12_000, 30_000, 500),
        )
        for n in range(aircraft)
    ]
    positions = 0
    with gzip.open(path, "wt") as out:
        for step in range(int(hours * 3600 / STEP_S)):
            records = []
            for a in fleet:
                lat, lon, heading = a.at(step * STEP_S)
                records.append({
                    "hex": a.hex, "type": "adsb_icao", "flight": f"{a.flight:<8}",
                    "alt_baro": a.alt, "gs": round(a.gs, 1), "track": round(heading, 1),
                    "squawk": "4000", "lat": round(lat, 5), "lon": round(lon, 5),
                    "seen_pos": 0.4, "seen": 0.2, "rssi": -20.5, "dbFlags": 1,
                })  # fmt: skip
            positions += len(records)
            snapshot = {"now": START + step * STEP_S, "messages": step, "aircraft": records}
            out.write(json.dumps(snapshot) + "\n")
    return positions


def measure(path: str) -> None:
    """In a fresh process: print `json_s replay_s positions peak_mib` for one recording."""
    from run import bench_settings

    from service import logs
    from service.app import build_app
    from service.pipeline.heap import settle_heap
    from service.pipeline.replay import replay

    logs.configure(level="warning")
    with gzip.open(path, "rb") as raw:
        lines = raw.read().splitlines()
    began = time.process_time()
    for line in lines:
        json.loads(line)
    json_s = time.process_time() - began
    del lines

    async def run() -> tuple[float, int, dict[str, float]]:
        app = await build_app(bench_settings())
        settle_heap()  # as `borderwatch replay` does
        try:
            began = time.process_time()
            async for _ in replay(app.pipeline, path):
                pass
            replay_s = time.process_time() - began
            stages = {
                sample.labels["stage"]: sample.value
                for family in app.metrics.stage_seconds.collect()
                for sample in family.samples
                if sample.name.endswith("_sum")
            }
            return replay_s, app.pipeline.stats.positions, stages
        finally:
            await app.close()

    replay_s, positions, stages = asyncio.run(run())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{json_s} {replay_s} {positions} {peak}")
    print(json.dumps(stages))


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
        return 0
    args = sys.argv[1:]
    centre, where = CENTRE, "over Mexico"
    if "--at" in args:
        at = args.index("--at")
        lat, lon = (float(v) for v in args[at + 1].split(","))
        del args[at : at + 2]
        centre, where = (lat, lon), f"around {lat:g},{lon:g}"
    aircraft = int(args[0]) if args else 300
    lengths = [float(h) for h in args[1:]] or [1.0, 3.0]
    print(f"orbits: {aircraft} state aircraft orbiting or racetracking {where}, "
          f"a snapshot every {STEP_S:.0f} s, shipped config, in-memory store")  # fmt: skip
    print(f"{'hours':>5} {'positions':>10} {'json.loads/s':>13} {'replay/s':>9} "
          f"{'ratio':>6} {'peak MiB':>9}")  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for hours in lengths:
            path = Path(tmp) / f"orbits-{hours:g}h.jsonl.gz"
            write_recording(path, aircraft, hours, centre=centre)
            result = subprocess.run(
                [sys.executable, __file__, "--measure", str(path)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            figures, stages = result.stdout.splitlines()
            json_s, replay_s, positions, peak = (float(v) for v in figures.split())
            rows.append((hours, json_s, replay_s, peak))
            ratio = replay_s / json_s
            print(f"{hours:>5g} {positions:>10,.0f} {positions / json_s:>13,.0f} "
                  f"{positions / replay_s:>9,.0f} {ratio:>6.1f} {peak:>9,.0f}")  # fmt: skip
            seconds: dict[str, float] = json.loads(stages)
            by_cost = sorted(seconds.items(), key=lambda item: -item[1])
            print("      stages, s: " + ", ".join(f"{name} {s:.2f}" for name, s in by_cost))
    if len(rows) > 1:
        (h0, _, r0, m0), (h1, _, r1, m1) = rows[0], rows[-1]
        print(f"per hour of recording, {h1:g} h / {h0:g} h: time {(r1 / h1) / (r0 / h0):.2f}, "
              f"peak memory {m1 / m0:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
