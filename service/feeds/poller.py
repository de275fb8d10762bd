"""Poll one HTTP feed on a drift-free cadence, with timeouts and bounded backoff.

Every request goes through `fetch`, the single choke point for the timeout, the
User-Agent, the response size bound and the mapping of failures to reasons.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import structlog

from service.config import FeedSettings
from service.feeds.readsb import FeedDecodeError, decode_snapshot
from service.models import Snapshot

log = structlog.get_logger(__name__)

USER_AGENT = (
    "borderwatch/0.1 (open-source alert service; +https://github.com/borderwatch/borderwatch)"
)


class FetchError(RuntimeError):
    """A poll failed; `reason` is a short, bounded label for metrics."""

    def __init__(self, reason: str, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(slots=True)
class FeedStatus:
    """What /readyz and the metrics know of one feed."""

    last_success: float | None = None
    consecutive_failures: int = 0


async def fetch(session: aiohttp.ClientSession, feed: FeedSettings) -> bytes:
    """GET the feed's URL; the body, bounded in size and time."""
    timeout = aiohttp.ClientTimeout(total=feed.timeout_s)
    try:
        async with session.get(
            feed.url, timeout=timeout, headers={"User-Agent": USER_AGENT}
        ) as response:
            if response.status == 429 or response.status >= 500:
                retry_after = _retry_after(response.headers.get("Retry-After"))
                raise FetchError(f"http_{response.status}", retry_after=retry_after)
            if response.status != 200:
                raise FetchError(f"http_{response.status}")
            body = bytearray()
            async for chunk in response.content.iter_chunked(65536):
                body.extend(chunk)
                if len(body) > feed.max_bytes:
                    raise FetchError("too_large", f"over {feed.max_bytes} bytes")
            return bytes(body)
    except TimeoutError as exc:
        raise FetchError("timeout", f"no answer within {feed.timeout_s} s") from exc
    except aiohttp.ClientError as exc:
        raise FetchError("connection", type(exc).__name__) from exc


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


async def poll_feed(
    session: aiohttp.ClientSession,
    feed: FeedSettings,
    status: FeedStatus,
    emit: Callable[[Snapshot], Awaitable[None]],
    on_outcome: Callable[[str, str, float], None],
) -> None:
    """Poll forever (until cancelled); each good snapshot goes to `emit`."""
    backoff = feed.interval_s
    while True:
        started = time.monotonic()
        wait = feed.interval_s
        try:
            body = await fetch(session, feed)
            snapshot = decode_snapshot(body, source=feed.name)
        except (FetchError, FeedDecodeError) as exc:
            reason = exc.reason
            status.consecutive_failures += 1
            backoff = min(feed.max_backoff_s, backoff * 2)
            retry_after = exc.retry_after if isinstance(exc, FetchError) else None
            wait = max(retry_after or 0.0, random.uniform(feed.interval_s, backoff))
            on_outcome(feed.name, reason, time.monotonic() - started)
            log.warning("poll.failed", feed=feed.name, reason=reason, retry_in_s=round(wait, 1))
        else:
            status.last_success = time.time()
            status.consecutive_failures = 0
            backoff = feed.interval_s
            on_outcome(feed.name, "ok", time.monotonic() - started)
            log.info(
                "poll.completed",
                feed=feed.name,
                positions=len(snapshot.positions),
                rejected=sum(snapshot.rejected.values()),
                seconds=round(time.monotonic() - started, 3),
            )
            await emit(snapshot)
        # Sleep the rest of the interval so the cadence does not drift with work time.
        await asyncio.sleep(max(0.0, wait - (time.monotonic() - started)))
