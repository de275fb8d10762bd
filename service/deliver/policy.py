"""The retry policy every receiver shares, and the response handling behind it.

Policy (docs/webhooks.md has the receiver's view; `transport.post` makes the attempt,
`outbox.OutboxWorker` schedules the next one): 2xx is delivered; 408, 429, 5xx,
transport errors and timeouts are retried with exponential backoff and full jitter
(``Retry-After`` on 429/503 wins, capped at `backoff_max_s`) until `max_attempts` or
`dead_letter_after_s`; anything else (3xx, other 4xx) is refused at once and becomes a
dead letter. Redirects are not followed: that would replay a signed alert to a host
nobody configured.

The URL may carry a token in its path or query, so it is a secret like the signing
secret: logs and error labels show only the receiver's name, never the URL, and a
response body is never logged.
"""

from __future__ import annotations

from enum import StrEnum

import aiohttp

MAX_RESPONSE_BYTES = 64 * 1024  # most of a response body ever read
_RETRYABLE_4XX = frozenset({408, 429})
RETRY_AFTER_STATUSES = frozenset({429, 503})


class DeliveryOutcome(StrEnum):
    """How a delivery ended."""

    DELIVERED = "delivered"  # a 2xx answer
    REJECTED = "rejected"  # a permanent refusal: 3xx or 4xx other than 408/429
    GAVE_UP = "gave_up"  # retryable failures until max_attempts or dead_letter_after_s


async def discard_body(response: aiohttp.ClientResponse) -> None:
    """Read at most MAX_RESPONSE_BYTES, so a short body frees the connection for reuse.

    Never interpreted (the status decides) nor logged (an error page may echo the URL's
    token). A longer or stalled body is cut off by closing the connection.
    """
    remaining = MAX_RESPONSE_BYTES
    try:
        while remaining > 0:
            chunk = await response.content.read(remaining)
            if not chunk:
                return
            remaining -= len(chunk)
    except (TimeoutError, aiohttp.ClientError, OSError):
        pass  # the status line already arrived; a broken body does not change it
    if not response.content.at_eof():
        response.close()


def classify(status: int | None) -> DeliveryOutcome | None:
    """The final outcome a status implies, or None when the attempt should be retried."""
    if status is None or status >= 500 or status in _RETRYABLE_4XX:
        return None
    if 200 <= status < 300:
        return DeliveryOutcome.DELIVERED
    return DeliveryOutcome.REJECTED
