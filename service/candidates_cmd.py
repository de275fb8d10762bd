"""`borderwatch candidates RECORDING`: which aircraft only weak evidence calls state aircraft.

Replays a recording through the whole pipeline (in memory, nothing delivered, the
configured Redis left alone) and prints the candidate book (`service.candidates`) as
one JSON line per aircraft, most recently seen first.
"""

from __future__ import annotations

import json
import time
from typing import TextIO

from service.app import build_app
from service.feeds.replay import iter_snapshots
from service.settings import Settings


async def list_candidates(settings: Settings, path: str, out: TextIO) -> str:
    """Replay `path`, write the candidates to `out`; return a summary line."""
    started = time.monotonic()
    # A fresh in-process store: saved state would make the replay skip snapshots as
    # already processed, and a review run must not touch the service's state.
    in_memory = settings.store.model_copy(update={"redis_url": None})
    app = await build_app(settings.model_copy(update={"store": in_memory}))
    pipeline = app.pipeline
    try:
        for item in iter_snapshots(path):
            if item.snapshot is None:
                pipeline.reject(item.error or "malformed_line")
                continue
            await pipeline.process(item.snapshot)
    finally:
        await app.close()
    found = pipeline.candidates.candidates()
    for candidate in found:
        out.write(json.dumps(candidate.to_json(), ensure_ascii=False) + "\n")
    out.flush()
    return (
        f"candidates: {len(found)} aircraft on weak evidence only, "
        f"{pipeline.stats.snapshots} snapshots, {time.monotonic() - started:.1f} s"
    )
