"""What every outbound HTTP request shares: the User-Agent, and how long a server
asks us to wait (`Retry-After`, untrusted header text).

Used by the two HTTP clients of the service: the feed client (service/feeds/http.py)
and the receivers' transport (service/deliver/transport.py).
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC
from typing import Final

from service import __version__

# Honest and contactable, as the providers ask (adsb.fi, OpenSky terms).
USER_AGENT: Final = (
    f"borderwatch/{__version__} "
    "(open-source alert service; +https://github.com/borderwatch/borderwatch)"
)

# Longer values are not a wait anyone means; the header is ignored.
_MAX_LENGTH = 64


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait (a past date or a negative number is 0), or None when absent or
    unparseable, so the caller falls back to its own backoff. RFC 9110 section 10.2.3
    allows delta-seconds or an HTTP-date; decimal seconds are accepted too, as some APIs
    send them. `now`: unix seconds, default the wall clock. Callers cap the result; it
    may be very large."""
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
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # HTTP-dates are GMT by definition
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)
