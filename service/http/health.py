"""`/healthz` (the process is alive) and `/readyz` (it can do its job).

Ready means: the store answers, the saved state is restored, no notification waits
for the store, the boundary index is loaded, and at least one enabled feed succeeded
within `FRESH_INTERVALS` of its poll interval or 60 s, whichever is longer (with no feed
configured there is nothing to be fresh). Not ready answers 503 with the problems,
which name the store (with its URL, password redacted) when it is the cause.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from service.http.context import HttpContext, context_of
from service.store.base import StoreError

# A feed counts as fresh within this many of its poll intervals (and at least 60 s).
FRESH_INTERVALS = 4
_STORE_PING_TIMEOUT_S = 2.0


def fresh_feeds(context: HttpContext, now: float | None = None) -> list[str]:
    """Names of the enabled feeds that succeeded recently enough."""
    now = time.time() if now is None else now
    enabled = {feed.name for feed in context.app.settings.feeds if feed.enabled}
    # At least 60 s: a stream (SBS) only succeeds when positions arrive, and a quiet sky
    # for a few of its 1 s intervals does not make it stale.
    return [
        name
        for name, status in context.feeds.items()
        if name in enabled and status.fresh(now, intervals=FRESH_INTERVALS)
    ]


async def problems_of(context: HttpContext) -> list[str]:
    """Why the service is not ready; empty when it is."""
    problems = []
    app = context.app
    try:
        async with asyncio.timeout(_STORE_PING_TIMEOUT_S):
            answers = await app.store.ping()
    except (TimeoutError, OSError, StoreError):
        answers = False
    if not answers:
        url = getattr(app.store, "url", None)
        problems.append(f"store not answering (redis at {url})" if url else "store not answering")
    if not app.restored:
        problems.append("saved state not restored yet (waiting for the store)")
    waiting = len(app.pipeline.notify.pending)
    if waiting:
        problems.append(f"{waiting} notifications waiting for the store")
    if len(context.app.boundaries) == 0:
        problems.append("boundaries not loaded")
    if context.feeds and not fresh_feeds(context):
        problems.append("no feed answered recently")
    return problems


async def healthz(_: web.Request) -> web.Response:
    """Always 200 while the event loop serves requests."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """200 when ready, else 503; the body lists the problems either way."""
    problems = await problems_of(context_of(request))
    return web.json_response(
        {"ready": not problems, "problems": problems}, status=503 if problems else 200
    )
