"""The live poll path at world scale: cost per position from 1k to 150k aircraft, and
its ratio to msgspec's typed decode of the same bytes.

    python bench/scale.py [SIZES...]       # default 1000 15000 60000 150000

For each size, a readsb `aircraft.json` feed of that many aircraft (a typical mixed
feed, see bench/README.md) is polled several times, the aircraft moving 10 s between
polls. Each poll is timed as a live poll runs it: the response bytes through
`decode_snapshot(lazy=True)` as the adapters call it (Position objects only for the
rows the pipeline reads; the feed's limits raised so that no size is refused), the `Fuser`
that merges the sources, and `Pipeline.process` (identify, locate, track, detect,
alerts), on a pipeline built by `build_app` with the default config. The first poll
is cold and not counted; no garbage collection is forced (the process is set up as the
service's, `settle_heap`). The same bytes are then decoded by a `msgspec.json.Decoder`
of a typed Struct list (the fields the service reads): the limit for any decoder that
builds one Python object per aircraft. Times are the CPU time of the process
(`time.process_time`, the pipeline runs on one thread with the in-memory store and does
no I/O), so that other work on a shared machine counts less than in wall time. It
prints, asserts nothing and writes nothing.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import SNAPSHOT_NOW, bench_settings, check_index, make_rows, readsb_records

from service import logs
from service.app import build_app
from service.feeds.fuse import Fuser
from service.feeds.readsb import FeedDecodeError, decode_snapshot
from service.pipeline.heap import settle_heap

SIZES = (1_000, 15_000, 60_000, 150_000)
SEED = 150_000
STEP_S = 10.0
STATE_FRACTION = 0.03
NO_POSITION = 0.06  # readsb lists targets it has no position for (Mode S only, stale)
CHURN = 0.01  # aircraft per poll that are new to the feed (take-offs, coming into range)
# Limits far above any size here: the benchmark measures cost, not the defaults.
NO_LIMIT = 1 << 40
MIB = 1024.0 * 1024.0


class TypedRecord(msgspec.Struct, gc=False):
    """The fields the service reads from a readsb aircraft, typed: the decode limit."""

    hex: str | None = None
    flight: str | None = None
    lat: float | None = None
    lon: float | None = None
    alt_baro: float | str | None = None
    gs: float | None = None
    track: float | None = None
    squawk: str | None = None
    r: str | None = None
    t: str | None = None
    dbFlags: int | None = None
    seen_pos: float | None = None
    type: str | None = None
    mlat: tuple[str, ...] | None = None
    tisb: tuple[str, ...] | None = None


class TypedSnapshot(msgspec.Struct, gc=False):
    now: float
    aircraft: list[TypedRecord]


TYPED_DECODER = msgspec.json.Decoder(TypedSnapshot)


def mixed_feed(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    """`n` readsb records: the bench's mix of aircraft with the fields a real readsb
    writes besides those the service reads, some MLAT and TIS-B, some without position."""
    records = readsb_records(rng, make_rows(rng, n, state_fraction=STATE_FRACTION))
    kinds = rng.uniform(0.0, 1.0, n)
    used: set[str] = set()
    for i, record in enumerate(records):
        if record["hex"] in used:  # a feed lists each address once
            record["hex"] = new_address(rng, used)
        used.add(record["hex"])
        record.update(
            alt_geom=(record["alt_baro"] if record["alt_baro"] != "ground" else 0) + 125,
            baro_rate=int(rng.integers(-20, 20)) * 64,
            category="A3",
            nav_qnh=1013.2,
            nav_altitude_mcp=36000,
            version=2,
            nic=8,
            rc=186,
            nic_baro=1,
            nac_p=9,
            nac_v=1,
            sil=3,
            sil_type="perhour",
            gva=2,
            sda=2,
            mlat=[],
            tisb=[],
            messages=int(rng.integers(100, 100_000)),
        )
        u = float(kinds[i])
        if u < NO_POSITION:
            for key in ("lat", "lon", "seen_pos", "track", "gs"):
                del record[key]
            record["type"] = "mode_s"
        elif u < NO_POSITION + 0.02:
            record["type"] = "tisb_icao"
            record["tisb"] = ["lat", "lon", "track", "gs"]
    return records


def new_address(rng: np.random.Generator, used: set[str]) -> str:
    """A civil US address not in `used`."""
    while True:
        address = f"{int(rng.integers(0xA00000, 0xADF7C7)):06x}"
        if address not in used:
            return address


def advance(records: list[dict[str, Any]], rng: np.random.Generator) -> None:
    """Move every positioned aircraft a little, draw fresh fix ages, and give `CHURN` of
    the records a new address and callsign (aircraft that are new to the feed)."""
    n = len(records)
    used = {record["hex"] for record in records}
    for i in rng.choice(n, size=max(1, int(n * CHURN)), replace=False).tolist():
        record = records[i]
        used.discard(record["hex"])
        record["hex"] = new_address(rng, used)
        used.add(record["hex"])
        record["flight"] = f"N{int(rng.integers(100, 99999))}"
    dlat = rng.uniform(-0.02, 0.02, n).tolist()
    dlon = rng.uniform(-0.02, 0.02, n).tolist()
    seen = rng.uniform(0.0, 5.0, n).round(1).tolist()
    for i, record in enumerate(records):
        if "lat" in record:
            record["lat"] = round(max(-90.0, min(90.0, record["lat"] + dlat[i])), 5)
            record["lon"] = round((record["lon"] + dlon[i] + 180.0) % 360.0 - 180.0, 5)
            record["seen_pos"] = seen[i]


def default_limits(data: bytes) -> str:
    """Whether `decode_snapshot` with its default limits takes the response."""
    try:
        decode_snapshot(data, source="bench", now_unit="s")
    except FeedDecodeError as exc:
        return f"refused: {exc.reason}"
    return "taken"


@dataclass(slots=True)
class Polls:
    """Seconds per warm poll: the whole poll, its decode_snapshot, the typed decode."""

    poll: list[float] = field(default_factory=list)
    decode: list[float] = field(default_factory=list)
    typed: list[float] = field(default_factory=list)
    positions: int = 0  # per poll
    data: bytes = b""  # the last response


async def poll_path(records: list[dict[str, Any]], polls: int, rng: np.random.Generator) -> Polls:
    """Poll a feed of `records` `polls` times (after one cold poll)."""
    app = await build_app(bench_settings())
    settle_heap()  # as the service does before its first poll
    fuser = Fuser()
    result = Polls()
    try:
        for step in range(polls + 1):
            advance(records, rng)
            now = SNAPSHOT_NOW + STEP_S * step
            data = msgspec.json.encode({"now": now, "messages": 123_456_789, "aircraft": records})
            started = time.process_time()
            snapshot = decode_snapshot(
                data,
                source="bench",
                max_aircraft=NO_LIMIT,
                max_bytes=NO_LIMIT,
                now_unit="s",
                lazy=True,
            )
            decoded = time.process_time() - started
            fused = fuser.fuse(snapshot)
            if fused is not None:
                await app.pipeline.process(fused, source="live")
            elapsed = time.process_time() - started
            result.positions, result.data = len(snapshot.positions), data
            del snapshot, fused
            started = time.process_time()
            typed = TYPED_DECODER.decode(data)
            typed_elapsed = time.process_time() - started
            del typed
            if step:  # the first poll is cold: tracks and depth indexes are built
                result.poll.append(elapsed)
                result.decode.append(decoded)
                result.typed.append(typed_elapsed)
    finally:
        await app.close()
    return result


def polls_for(n: int) -> int:
    """Enough polls for a stable mean, without spending minutes on the largest."""
    return max(8, min(15, 60_000 // n))


def main(argv: list[str]) -> int:
    problem = check_index()
    if problem is not None:
        print(f"bench: {problem}", file=sys.stderr)
        return 2
    logs.configure(level="warning")
    sizes = [int(arg) for arg in argv] or list(SIZES)
    began = time.perf_counter()
    print(
        "\nscale: a live poll (decode_snapshot -> Fuser -> Pipeline.process) of a readsb "
        "feed, per size;\n  typed = msgspec.json.Decoder(typed Struct list) of the same "
        "bytes; means of warm polls, CPU time"
    )
    print(
        f"  {'aircraft':>9} {'MiB':>6} {'positions':>9} {'poll ms':>9} {'positions/s':>12} "
        f"{'us/pos':>7} {'typed ms':>9} {'decode/typed':>12} {'poll/typed':>10}  default limits"
    )
    per_position: dict[int, float] = {}
    for n in sizes:
        rng = np.random.default_rng(SEED + n)
        records = mixed_feed(rng, n)
        polls = polls_for(n)
        result = asyncio.run(poll_path(records, polls, rng))
        # Means: a cost paid every other poll (a cache emptied and refilled) must count.
        poll_s, typed_s = statistics.mean(result.poll), statistics.mean(result.typed)
        decode_s, positions = statistics.mean(result.decode), result.positions
        per_position[n] = poll_s / positions
        print(
            f"  {n:>9,} {len(result.data) / MIB:>6.1f} {positions:>9,} {poll_s * 1000:>9.1f} "
            f"{positions / poll_s:>12,.0f} {per_position[n] * 1e6:>7.2f} "
            f"{typed_s * 1000:>9.1f} {decode_s / typed_s:>12.2f} {poll_s / typed_s:>10.2f}  "
            f"{default_limits(result.data)}",
            flush=True,
        )
        del records, result
        gc.collect()
    if 15_000 in per_position and 150_000 in per_position:
        ratio = per_position[150_000] / per_position[15_000]
        print(f"  cost per position, 150k / 15k: {ratio:.2f}")
    print(f"  ({time.perf_counter() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
