"""A feed floods the service with 200,000 distinct military addresses: memory and Redis
keys must stay flat (the fleet is capped at `track.max_aircraft`).

    python bench/flood.py [REDIS_URL]

Ten snapshots of 20,000 new addresses each (all with the military flag, over the
United States, so every one is followed) go through `Pipeline.process` on Redis under a
key prefix of its own (deleted afterwards). After each snapshot it prints the aircraft
followed, the evictions, the Redis keys of the prefix and the resident memory.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import numpy as np
import redis.asyncio as aioredis
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service import logs
from service.app import build_app
from service.models import Position, Snapshot
from service.pipeline.heap import settle_heap
from service.settings import BoundarySettings, load_settings

ROOT = Path(__file__).resolve().parent.parent
DISTINCT = 200_000
PER_SNAPSHOT = 20_000
NOW = 1_755_081_600.0


def rss_mib() -> float:
    """The resident memory of this process now (not the peak)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


async def keys_of(url: str, prefix: str) -> int:
    client = aioredis.from_url(url)
    try:
        return sum([1 async for _ in client.scan_iter(match=f"{prefix}:*", count=5000)])
    finally:
        await client.aclose()


async def delete_prefix(url: str, prefix: str) -> None:
    client = aioredis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=5000)]
        for start in range(0, len(keys), 10_000):
            await client.delete(*keys[start : start + 10_000])
    finally:
        await client.aclose()


async def flood(url: str) -> dict[str, float]:
    prefix = f"borderwatch-flood-{os.getpid()}"
    settings = load_settings(environ={})
    store = settings.store.model_copy(update={"redis_url": SecretStr(url), "key_prefix": prefix})
    settings = settings.model_copy(
        update={
            "store": store,
            "boundaries": BoundarySettings(path=ROOT / "var" / "boundaries.bin"),
        }
    )
    rng = np.random.default_rng(200_000)
    app = await build_app(settings)
    settle_heap()  # as the service does before its first poll
    figures: dict[str, float] = {}
    try:
        print(f"{'snapshot':>8} {'distinct':>9} {'followed':>9} {'evicted':>8} "
              f"{'keys':>7} {'rss MiB':>8} {'seconds':>8}")  # fmt: skip
        for step in range(DISTINCT // PER_SNAPSHOT):
            # Inside the United States, at home: followed, but no border to measure.
            lat = rng.uniform(34.0, 42.0, PER_SNAPSHOT)
            lon = rng.uniform(-105.0, -90.0, PER_SNAPSHOT)
            first = 0xA00000 + step * PER_SNAPSHOT  # the US block; dbFlags 1: military
            positions = [
                Position(
                    f"{first + i:06x}",
                    NOW + step,
                    float(lat[i]),
                    float(lon[i]),
                    alt_ft=20000,
                    gs_kt=300.0,
                    track_deg=90.0,
                    db_flags=1,
                )
                for i in range(PER_SNAPSHOT)
            ]
            began = time.perf_counter()
            await app.pipeline.process(Snapshot(now=NOW + step, positions=positions), "bench")
            seconds = time.perf_counter() - began
            evicted = app.metrics.aircraft_evicted._value.get()
            keys = await keys_of(url, prefix)
            print(f"{step + 1:>8} {(step + 1) * PER_SNAPSHOT:>9,} {len(app.fleet):>9,} "
                  f"{evicted:>8,.0f} {keys:>7,} {rss_mib():>8.0f} {seconds:>8.2f}")  # fmt: skip
            figures = {
                "flood_followed": float(len(app.fleet)),
                "flood_evicted": float(evicted),
                "flood_redis_keys": float(keys),
                "flood_rss_mib": rss_mib(),
            }
    finally:
        await app.close()
        await delete_prefix(url, prefix)
    return figures


def main() -> int:
    logs.configure(level="warning")
    url = sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/0"
    print(f"flood: {DISTINCT:,} distinct military addresses, {PER_SNAPSHOT:,} per snapshot")
    asyncio.run(flood(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
