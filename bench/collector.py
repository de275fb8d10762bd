"""The garbage collector's share of a live poll, with CPython's default settings and
with the service's (`settle_heap`, service/pipeline/heap.py).

    python bench/collector.py [SIZE:POLLS ...]   # default 1000:200 15000:40 150000:10

For each size, two fresh processes (the settings are the whole interpreter's, and a
frozen heap cannot be thawed) poll the mixed readsb feed of `bench/scale.py` POLLS
times as the service does (`decode_snapshot(lazy=True)`, the `Fuser`,
`Pipeline.process` on a `build_app` pipeline with the default config and the in-memory
store): one with the collector as CPython sets it, one after `settle_heap`. No
collection is forced anywhere. `gc.callbacks` time every collection that runs inside a
poll, by generation (young, middle, full). It prints, per size and setting, the mean
and the slowest poll and the collector's milliseconds per poll (CPU time,
`time.process_time`); asserts nothing and writes nothing.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import SNAPSHOT_NOW, bench_settings, check_index
from scale import NO_LIMIT, SEED, STEP_S, advance, mixed_feed

from service import logs
from service.app import build_app
from service.feeds.fuse import Fuser
from service.feeds.readsb import decode_snapshot
from service.pipeline.heap import settle_heap

DEFAULT = ("1000:200", "15000:40", "150000:10")


def measure(size: int, polls: int, settled: bool) -> dict[str, float]:
    """In this (fresh) process: the polls' figures, in ms."""
    logs.configure(level="warning")
    rng = np.random.default_rng(SEED + size)
    records = mixed_feed(rng, size)
    in_poll = False
    started: dict[int, float] = {}
    spent = [0.0, 0.0, 0.0]
    scans = [0, 0, 0]

    def timed(phase: str, info: dict[str, int]) -> None:
        generation = info["generation"]
        if phase == "start":
            started[generation] = time.process_time()
        elif in_poll:
            spent[generation] += time.process_time() - started[generation]
            scans[generation] += 1

    async def run() -> list[float]:
        nonlocal in_poll
        app = await build_app(bench_settings())
        if settled:
            settle_heap()
        fuser = Fuser()
        times = []
        try:
            for step in range(polls + 1):
                advance(records, rng)
                now = SNAPSHOT_NOW + STEP_S * step
                data = msgspec.json.encode({"now": now, "aircraft": records})
                in_poll = bool(step)  # the first poll is cold: not counted
                began = time.process_time()
                snapshot = decode_snapshot(
                    data, source="bench", max_aircraft=NO_LIMIT, max_bytes=NO_LIMIT, lazy=True
                )
                fused = fuser.fuse(snapshot)
                if fused is not None:
                    await app.pipeline.process(fused, source="live")
                if step:
                    times.append(time.process_time() - began)
                in_poll = False
        finally:
            await app.close()
        return times

    gc.callbacks.append(timed)
    times = asyncio.run(run())
    return {
        "mean": 1000 * sum(times) / len(times),
        "max": 1000 * max(times),
        **{f"gc{g}": 1000 * spent[g] / len(times) for g in range(3)},
        "full_scans": scans[2],
    }


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[0] == "--measure":
        print(json.dumps(measure(int(argv[1]), int(argv[2]), argv[3] == "settled")))
        return 0
    problem = check_index()
    if problem is not None:
        print(f"bench: {problem}", file=sys.stderr)
        return 2
    print(
        "\ncollector: the garbage collector inside live polls of bench/scale.py's feed,\n"
        "  CPython's default settings against settle_heap (service/pipeline/heap.py);\n"
        "  CPU ms per poll (the collector's by generation: young, middle, full)"
    )
    print(
        f"  {'aircraft':>9} {'polls':>5} {'setting':>8} {'poll ms':>8} {'max ms':>7} "
        f"{'gc ms':>6} {'young':>6} {'middle':>6} {'full':>6} {'full scans':>10}"
    )
    for item in argv or DEFAULT:
        size, polls = (int(part) for part in item.split(":"))
        for setting in ("default", "settled"):
            done = subprocess.run(
                [sys.executable, __file__, "--measure", str(size), str(polls), setting],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            f = json.loads(done.stdout.splitlines()[-1])
            total = f["gc0"] + f["gc1"] + f["gc2"]
            print(
                f"  {size:>9,} {polls:>5} {setting:>8} {f['mean']:>8.1f} {f['max']:>7.0f} "
                f"{total:>6.1f} {f['gc0']:>6.1f} {f['gc1']:>6.1f} {f['gc2']:>6.1f} "
                f"{f['full_scans']:>10.0f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
