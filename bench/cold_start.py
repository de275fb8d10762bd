"""Cold start: from process start to the first snapshot through the pipeline, in fresh
interpreters, with its parts.

    python bench/cold_start.py [RUNS]     # default 5

Each run is a new `python` process that does what `borderwatch run` does before its
first poll is processed: import the command line and the runtime, `build_app` (the
boundary index, the towns, the identify tables, the pipeline; in-memory store),
`warm_up` (every country's border index and the airports, which the service builds in
a thread before its first snapshot), `settle_heap` (the garbage collector's settings,
service/pipeline/heap.py), then one world snapshot (15,000 aircraft uniform
over the sphere, 3% of them state aircraft, as bench/run.py's world snapshot) through
`Pipeline.process`, then a second one 10 s later for comparison. The parts are
wall-clock times: interpreter start (from just before the process is spawned to the
first line of the script), imports, build_app, warm_up, settle_heap, first snapshot,
second snapshot; and the resident memory after them. It prints the median of the runs and
every run; it asserts nothing and writes nothing.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in the child; `time.time()` because the clock must be shared with the parent.
_CHILD = """
import time
started = time.time()
import asyncio, json, sys
import service.cli
import service.runtime.service
imported = time.time()
sys.path.insert(0, "bench")
import numpy as np
from run import SNAPSHOT_NOW, Flight, bench_settings, make_rows, world_points
from service import logs
from service.app import build_app, warm_up
from service.models import Snapshot
from service.pipeline.heap import settle_heap
logs.configure(level="warning")
rng = np.random.default_rng(20250813)
rows = make_rows(rng, 15_000, state_fraction=0.03)
lat, lon = world_points(rng, len(rows))
flights = [Flight(r, float(lat[i]), float(lon[i]), 30_000, 400.0, 90.0) for i, r in enumerate(rows)]
settings = bench_settings()

async def main() -> dict[str, float]:
    began = time.time()
    app = await build_app(settings)
    built = time.time()
    warm_up(app)  # the service runs it in a thread, while the feeds' first polls go on
    warmed = time.time()
    settle_heap()  # then this, before its first snapshot
    settled = time.time()
    times = []
    for step in range(2):
        now = SNAPSHOT_NOW + 10.0 * step
        snapshot = Snapshot(now, [f.position(now, 0.5) for f in flights])
        t = time.time()
        await app.pipeline.process(snapshot, "bench")
        times.append(time.time() - t)
        for f in flights:
            f.advance(10.0)
    await app.close()
    with open("/proc/self/status") as status:  # resident memory now, in MiB
        rss = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))
    return {
        "rss_mib": rss,
        "build_app": built - began, "warm_up": warmed - built, "settle_heap": settled - warmed,
        "first": times[0], "second": times[1],
    }

parts = asyncio.run(main())
print(json.dumps({"started": started, "imports": imported - started, **parts}))
"""

PARTS = (
    ("interpreter", "interpreter start"),
    ("imports", "imports (service.cli, service.runtime)"),
    ("build_app", "build_app"),
    ("warm_up", "warm_up (indexes, airports)"),
    ("settle_heap", "settle_heap (collect, freeze)"),
    ("first", "first snapshot"),
)


def one_run() -> dict[str, float]:
    """One fresh process; its parts in seconds."""
    spawned = time.time()
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True, cwd=ROOT
    )
    parts: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    parts["interpreter"] = parts.pop("started") - spawned
    parts["total"] = sum(parts[key] for key, _ in PARTS)
    return parts


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"\ncold start to the first processed snapshot: {runs} fresh processes", flush=True)
    results = [one_run() for _ in range(runs)]
    rows = [("total", "process start to first snapshot processed"), *PARTS]
    rows.append(("second", "(second snapshot, for comparison)"))
    for key, label in rows:
        values = [r[key] for r in results]
        detail = ", ".join(f"{v * 1000:.0f}" for v in values)
        print(f"  {label:<44} {statistics.median(values) * 1000:>7.0f} ms   (runs ms: {detail})")
    rss = statistics.median(r["rss_mib"] for r in results)
    print(f"  resident memory after the two snapshots    {rss:>7.0f} MiB (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
