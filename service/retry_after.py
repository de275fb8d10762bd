"""`Retry-After`: how long a server asks a client to wait, from untrusted header text.

Shared by the feed client (service/feeds/http.py) and the receivers' transport
(service/deliver/transport.py). RFC 9110 section 10.2.3 allows delta-seconds or an
HTTP-date; decimal seconds are accepted too, as some APIs send them.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC

# Longer values are not a wait anyone means; the header is ignored.
_MAX_LENGTH = 64


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait (a past date or a negative number is 0), or None when absent or
    unparseable, so the caller falls back to its own backoff. `now`: unix seconds,
    default the wall clock. Callers cap the result; it may be very large."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > _MAX_LENGTH:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # HTTP-dates are GMT by definition
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)
