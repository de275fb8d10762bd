"""`borderwatch replay`: a recording through the whole pipeline on its own clock."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

import structlog

from service.cli.common import add_config, existing_file, settings_of

if TYPE_CHECKING:
    import aiohttp

    from service.deliver.outbox import OutboxWorker
    from service.settings import Settings

log = structlog.get_logger(__name__)

# How long `replay --deliver` keeps delivering after the recording ends; what is left
# stays in the outbox (in Redis, when configured) for the next run or the service.
DRAIN_TIMEOUT_S = 120.0


def register(commands: Any) -> None:
    """Add the command to the `borderwatch` parser's subparsers."""
    parser = commands.add_parser(
        "replay",
        help="run a recording through the whole pipeline",
        description="Replay a JSONL or gzip JSONL recording of snapshots "
        '({"now": <unix s>, "aircraft": [...]}, readsb field names) on its own clock, '
        "as fast as possible. Prints one JSON line per notification on stdout "
        "(or delivers them with --deliver); logs go to stderr.",
    )
    parser.add_argument("file", type=existing_file, help="recording path, or - for standard input")
    add_config(parser)
    parser.add_argument(
        "--deliver", action="store_true", help="send to the configured receivers instead"
    )
    parser.set_defaults(func=replay_command)


def replay_command(args: argparse.Namespace) -> int:
    """Replay; the summary line goes to stderr."""
    settings = settings_of(args)
    summary = asyncio.run(replay(settings, args.file, deliver=args.deliver, out=sys.stdout))
    print(summary, file=sys.stderr)
    return 0


async def replay(settings: Settings, path: str, *, deliver: bool, out: TextIO) -> str:
    """Replay `path`; print (or deliver) each notification; return the summary line."""
    # Imported here, not at the top: every other command starts without them.
    import aiohttp

    from service.app import build_app, build_worker
    from service.pipeline import replay as replay_recording
    from service.pipeline.heap import settle_heap

    started = time.monotonic()
    app = await build_app(settings, deliver=deliver)
    settle_heap()
    session: aiohttp.ClientSession | None = None
    worker: OutboxWorker | None = None
    running: asyncio.Task[None] | None = None
    if deliver:
        # Deliveries go through the durable outbox, as in `borderwatch run`: entries left
        # by an interrupted earlier run are delivered too, with their original ids.
        session = aiohttp.ClientSession()
        worker = build_worker(app, session)
        running = asyncio.create_task(worker.run())
    try:
        async for notifications in replay_recording(app.pipeline, path):
            for notification in notifications:
                if worker is not None:
                    worker.kick()
                else:
                    out.write(notification.body().decode() + "\n")
                    out.flush()
        if worker is not None and running is not None:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            left = await worker.drain(DRAIN_TIMEOUT_S)
            if left:
                log.warning("replay.undelivered", notifications=left)
    finally:
        if worker is not None:
            if running is not None:
                running.cancel()
            await worker.close(grace_s=0)
        if session is not None:
            await session.close()
        await app.close()
    return app.pipeline.stats.summary(time.monotonic() - started)
