"""`borderwatch candidates RECORDING`: which aircraft only weak evidence calls state
aircraft.

Replays a recording through the whole pipeline (in memory, nothing delivered, the
configured Redis left alone) and prints the candidate book
(`service.identify.candidates`) as one JSON line per aircraft, most recently seen first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from service.cli.common import add_config, existing_file, settings_of

if TYPE_CHECKING:
    from service.settings import Settings


def register(commands: Any) -> None:
    """Add the command to the `borderwatch` parser's subparsers."""
    parser = commands.add_parser(
        "candidates",
        help="aircraft called state aircraft on weak evidence only, from a recording",
        description="Replay a recording (in memory, nothing delivered) and print, one JSON "
        "line each, the aircraft identified only by a callsign designator or a VRS-only "
        "military range. Promote real ones by adding the hex to identify.watch or to a "
        "plane-alert-db list in identify.lists.",
    )
    parser.add_argument("file", type=existing_file, help="recording path, or - for standard input")
    add_config(parser)
    parser.set_defaults(func=candidates_command)


def candidates_command(args: argparse.Namespace) -> int:
    """List the candidates; the summary line goes to stderr."""
    summary = asyncio.run(list_candidates(settings_of(args), args.file, out=sys.stdout))
    print(summary, file=sys.stderr)
    return 0


async def list_candidates(settings: Settings, path: str, out: TextIO) -> str:
    """Replay `path`, write the candidates to `out`; return a summary line."""
    # Imported here, not at the top: every other command starts without them.
    from service.app import build_app
    from service.pipeline import replay

    started = time.monotonic()
    # A fresh in-process store: saved state would make the replay skip snapshots as
    # already processed, and a review run must not touch the service's state.
    in_memory = settings.store.model_copy(update={"redis_url": None})
    app = await build_app(settings.model_copy(update={"store": in_memory}))
    try:
        async for _ in replay(app.pipeline, path):
            pass
    finally:
        await app.close()
    found = app.candidates.candidates()
    for candidate in found:
        out.write(json.dumps(candidate.to_json(), ensure_ascii=False) + "\n")
    out.flush()
    return (
        f"candidates: {len(found)} aircraft on weak evidence only, "
        f"{app.pipeline.stats.snapshots} snapshots, {time.monotonic() - started:.1f} s"
    )
