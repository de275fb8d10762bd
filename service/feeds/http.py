"""The one choke point for feed HTTP requests: timeout, User-Agent, size bound, errors.

Responses are untrusted. The whole request (connect, headers, every body byte) runs
under one deadline, so a server that trickles bytes costs at most `timeout_s`; the
body is read in chunks and abandoned as soon as it passes `max_bytes` (after
decompression, so a small gzip bomb is caught too), and a Content-Length over the
bound is refused before any of the body is read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import aiohttp

from service.outbound import USER_AGENT, parse_retry_after

__all__ = ["FetchError", "HttpResponse", "fetch"]

_CHUNK: Final = 65536


class FetchError(RuntimeError):
    """A request failed; `reason` is a short, bounded label for metrics and logs."""

    def __init__(self, reason: str, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(slots=True, frozen=True)
class HttpResponse:
    """A successful (200) response: its body and the headers adapters care about."""

    body: bytes
    headers: Mapping[str, str]


def _status_reason(status: int) -> str:
    # Any 3-digit code is a bounded label; anything else is lumped together.
    return f"http_{status}" if 100 <= status <= 599 else "http_other"


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    timeout_s: float,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    data: Mapping[str, str] | None = None,
) -> HttpResponse:
    """Send one request; return the body of a 200, or raise FetchError with a reason.

    Reasons: timeout, connection, too_large, http_<status> (429 and 503 carry the
    Retry-After delay when the server sent one).
    """
    sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    sent.update(headers or {})
    try:
        async with asyncio.timeout(timeout_s):
            # No redirects: the configured URL is the endpoint, and a feed must not be
            # able to point us at another host (a 3xx is reported as http_3xx).
            async with session.request(
                method, url, headers=sent, data=data, allow_redirects=False
            ) as response:
                if response.status != 200:
                    retry_after = parse_retry_after(
                        response.headers.get("Retry-After")
                        or response.headers.get("X-Rate-Limit-Retry-After-Seconds")
                    )
                    raise FetchError(_status_reason(response.status), retry_after=retry_after)
                if (response.content_length or 0) > max_bytes:
                    raise FetchError("too_large", f"Content-Length {response.content_length}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(_CHUNK):
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise FetchError("too_large", f"over {max_bytes} bytes")
                return HttpResponse(bytes(body), dict(response.headers))
    except TimeoutError as exc:
        raise FetchError("timeout", f"no complete answer within {timeout_s} s") from exc
    except aiohttp.ClientError as exc:
        raise FetchError("connection", type(exc).__name__) from exc
    except OSError as exc:  # e.g. DNS failure surfacing below aiohttp
        raise FetchError("connection", type(exc).__name__) from exc
