"""Hours of feed time through the service's pipeline: time and memory per hour must stay
flat once the tracks are full.

    python bench/soak.py [HOURS] [REDIS_URL]       # default 24 hours, local Redis

A world of 3,000 aircraft over Europe (5% state aircraft, so about 150 followed and
crossing borders), one snapshot every 10 s of feed time, 5% of the aircraft replaced by
new addresses every hour (those that leave go silent: signal-lost episodes, then
resolution). Every snapshot goes through `Pipeline.process` with the shipped config on
Redis, under a key prefix of its own that is deleted afterwards (without Redis, the
in-memory store). After each hour of feed time it prints the wall time that hour took,
the slowest snapshot, the resident memory, the aircraft followed, the notifications so
far and the store's keys. It prints, asserts nothing and writes nothing.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import numpy as np
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flood import delete_prefix, keys_of, rss_mib
from run import SNAPSHOT_NOW, Flight, _redis_answers, bench_settings, make_rows

from service import logs
from service.app import build_app
from service.models import Snapshot

AIRCRAFT = 3_000
STATE_FRACTION = 0.05
CHURN_PER_HOUR = 0.05
STEP_S = 10.0
SEED = 24


def new_flights(rng: np.random.Generator, n: int) -> list[Flight]:
    """`n` aircraft at random over Europe, headings and speeds at random."""
    return [
        Flight(
            row,
            float(rng.uniform(36.0, 60.0)),
            float(rng.uniform(-8.0, 40.0)),
            int(rng.integers(50, 450)) * 100,
            float(rng.uniform(150, 480)),
            float(rng.uniform(0, 360)),
        )
        for row in make_rows(rng, n, state_fraction=STATE_FRACTION)
    ]


async def soak(hours: int, redis_url: str | None) -> None:
    settings = bench_settings()
    prefix = f"borderwatch-soak-{os.getpid()}"
    if redis_url:
        store = settings.store.model_copy(
            update={"redis_url": SecretStr(redis_url), "key_prefix": prefix}
        )
        settings = settings.model_copy(update={"store": store})
    rng = np.random.default_rng(SEED)
    flights = new_flights(rng, AIRCRAFT)
    app = await build_app(settings)
    notified = 0
    now = SNAPSHOT_NOW
    print(f"{'hour':>4} {'seconds':>8} {'max ms':>7} {'rss MiB':>8} {'followed':>9} "
          f"{'notified':>9} {'keys':>7}")  # fmt: skip
    try:
        for hour in range(1, hours + 1):
            began, slowest = time.perf_counter(), 0.0
            for _ in range(int(3600 / STEP_S)):
                now += STEP_S
                for flight in flights:
                    flight.advance(STEP_S)
                seen = rng.uniform(0.0, 2.0, len(flights))
                positions = [f.position(now, float(seen[i])) for i, f in enumerate(flights)]
                started = time.perf_counter()
                notified += len(await app.pipeline.process(Snapshot(now, positions), "bench"))
                slowest = max(slowest, time.perf_counter() - started)
            seconds = time.perf_counter() - began
            keys = await keys_of(redis_url, prefix) if redis_url else 0
            print(f"{hour:>4} {seconds:>8.1f} {slowest * 1000:>7.0f} {rss_mib():>8.0f} "
                  f"{len(app.fleet):>9,} {notified:>9,} {keys:>7,}")  # fmt: skip
            replaced = int(len(flights) * CHURN_PER_HOUR)
            flights = flights[replaced:] + new_flights(rng, replaced)
    finally:
        await app.close()
        if redis_url:
            await delete_prefix(redis_url, prefix)


def main() -> int:
    logs.configure(level="warning")  # the pipeline logs every notification at info
    hours = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    url = sys.argv[2] if len(sys.argv) > 2 else "redis://127.0.0.1:6379/0"
    redis_url = url if asyncio.run(_redis_answers(url)) else None
    store = "Redis" if redis_url else "the in-memory store (no Redis answers)"
    print(f"soak: {hours} h of feed time, {AIRCRAFT:,} aircraft, a snapshot every "
          f"{STEP_S:.0f} s, {CHURN_PER_HOUR:.0%} new addresses an hour, {store}")  # fmt: skip
    asyncio.run(soak(hours, redis_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
