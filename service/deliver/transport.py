"""One HTTP attempt for any receiver format.

The retry policy is the same for every receiver (service/deliver/policy.py documents
it): 2xx delivered; 408, 429, 5xx and transport errors retried; other statuses refused.
What differs per format is only the request (channels.py builds it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from service.deliver.policy import (
    RETRY_AFTER_STATUSES,
    DeliveryOutcome,
    classify,
    discard_body,
)
from service.outbound import parse_retry_after


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request body ready to send, with its content type and extra headers."""

    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one attempt ended: `label` is a bounded metric label (status, timeout, error)."""

    label: str
    outcome: DeliveryOutcome | None  # None: retry
    status: int | None = None
    retry_after_s: float | None = None


async def post(
    session: aiohttp.ClientSession,
    url: str,
    outgoing: Outgoing,
    *,
    timeout_s: float,
    user_agent: str,
    clock: Callable[[], float] = time.time,
) -> Attempt:
    """One POST; transport failures become an `Attempt`, never an exception."""
    headers = {"Content-Type": outgoing.content_type, "User-Agent": user_agent}
    headers.update(outgoing.headers)
    try:
        async with session.post(
            url,
            data=outgoing.body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            # A redirect would replay an alert to a host nobody configured.
            allow_redirects=False,
            raise_for_status=False,
        ) as response:
            retry_after = None
            if response.status in RETRY_AFTER_STATUSES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), clock())
            await discard_body(response)
            status = response.status
            return Attempt(str(status), classify(status), status, retry_after)
    except TimeoutError:
        return Attempt("timeout", None)
    except (aiohttp.ClientError, OSError):
        return Attempt("error", None)
