"""ADS-B Exchange v2 style APIs and local readsb aircraft.json: what to request.

Endpoints (ADSBx v2 as served by adsb.lol, adsb.fi, airplanes.live; see
../shared/reference/feeds-and-identification.md §1b and docs/feeds.md):
  /v2/mil                        every aircraft with the military database flag
  /v2/point/{lat}/{lon}/{nm}     a circle of at most 250 nm (adsb.fi spells it
                                 /v2/lat/{lat}/lon/{lon}/dist/{nm}: `point_path`)
  /v2/hex/{a,b,...}              a list of addresses (up to 1000 per request)
Both envelopes decode with `service.feeds.readsb.decode_snapshot` (`ac` or `aircraft`,
`now` in ms for v2, seconds for aircraft.json).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

import aiohttp

from service.feeds.http import FetchError, HttpResponse
from service.feeds.poller import FeedRequest, default_get
from service.feeds.readsb import decode_snapshot
from service.feeds.tiles import tile_box
from service.models import Snapshot
from service.settings.feeds import AdsbxFeed, ReadsbFeed

__all__ = ["AdsbxAdapter", "ReadsbAdapter", "adsbx_urls"]


def adsbx_urls(feed: AdsbxFeed, watch: Iterable[str] = ()) -> list[str]:
    """Every URL of one cycle, in a stable order: mil, circles, tiles, hex batches."""
    if feed.url is not None:
        return [feed.url]
    base = feed.base_url
    urls = [f"{base}/v2/mil"] if feed.mil else []
    circles = list(feed.circles)
    for box in feed.boxes:
        circles.extend(tile_box(box))
    if feed.point_path == "point":
        urls += [f"{base}/v2/point/{c.lat:g}/{c.lon:g}/{c.radius_nm:g}" for c in circles]
    else:
        urls += [f"{base}/v2/lat/{c.lat:g}/lon/{c.lon:g}/dist/{c.radius_nm:g}" for c in circles]
    hexes = list(dict.fromkeys([*feed.hexes, *(watch if feed.watch_list else ())]))
    # `~` addresses are not ICAO addresses and cannot be asked for by hex.
    hexes = [h for h in hexes if not h.startswith("~")]
    for start in range(0, len(hexes), feed.hex_batch):
        urls.append(f"{base}/v2/hex/{','.join(hexes[start : start + feed.hex_batch])}")
    return urls


class AdsbxAdapter:
    """Requests and decoding of one ADSBx-v2 style feed."""

    def __init__(self, feed: AdsbxFeed, watch: Iterable[str] = ()) -> None:
        self.feed = feed
        self._requests = [FeedRequest(url) for url in adsbx_urls(feed, watch)]
        self._headers: dict[str, str] = {}
        if feed.api_key is not None:
            self._headers[feed.api_key_header] = feed.api_key.get_secret_value()

    def plan(self) -> list[FeedRequest]:
        return self._requests

    async def get(self, session: aiohttp.ClientSession, request: FeedRequest) -> HttpResponse:
        return await default_get(session, self.feed, request, self._headers)

    def decode(self, response: HttpResponse, request: FeedRequest) -> Snapshot:
        return decode_snapshot(
            response.body,
            source=self.feed.name,
            max_aircraft=self.feed.max_aircraft,
            max_bytes=self.feed.max_bytes,
            lazy=True,
        )

    def remaining_reported(self, response: HttpResponse) -> float | None:
        return None


class ReadsbAdapter:
    """A readsb / dump1090 / tar1090 aircraft.json by URL, or a file it rewrites."""

    def __init__(self, feed: ReadsbFeed) -> None:
        self.feed = feed
        self._requests = [FeedRequest(feed.url or f"file://{feed.path}")]

    def plan(self) -> list[FeedRequest]:
        return self._requests

    async def get(self, session: aiohttp.ClientSession, request: FeedRequest) -> HttpResponse:
        if self.feed.path is None:
            return await default_get(session, self.feed, request)
        # readsb replaces the file atomically (rename), so a plain read sees a whole one.
        path, limit = self.feed.path, self.feed.max_bytes
        try:
            async with asyncio.timeout(self.feed.timeout_s):
                body = await asyncio.to_thread(_read_bounded, path, limit)
        except TimeoutError as exc:
            raise FetchError("timeout", str(path)) from exc
        return HttpResponse(body, {})

    def decode(self, response: HttpResponse, request: FeedRequest) -> Snapshot:
        return decode_snapshot(
            response.body,
            source=self.feed.name,
            max_aircraft=self.feed.max_aircraft,
            max_bytes=self.feed.max_bytes,
            now_unit="s",
            lazy=True,
        )

    def remaining_reported(self, response: HttpResponse) -> float | None:
        return None


def _read_bounded(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            body = handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise FetchError("file_missing", str(path)) from exc
    except OSError as exc:
        raise FetchError("file_error", type(exc).__name__) from exc
    if len(body) > limit:
        raise FetchError("too_large", f"over {limit} bytes")
    return body
