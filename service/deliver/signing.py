"""HMAC-SHA256 request signing for webhook deliveries, and the matching receiver check.

The signed message is ``b"<timestamp>." + body``: binding the timestamp into the MAC
lets a receiver reject replays of an old, validly signed request (see `verify`).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE_S = 300

# Unix seconds fit in 10 digits until the year 2286; a longer header is garbage, and
# bounding it keeps int() away from pathological inputs.
_MAX_TIMESTAMP_DIGITS = 12


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """Return ``"sha256=<hex>"``, the HMAC-SHA256 of ``b"<timestamp>." + body`` under `secret`.

    The hex digest is lowercase. The body is signed byte for byte, exactly as sent.
    """
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(
    secret: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    *,
    now: float,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> bool:
    """Check a delivery's ``X-Borderwatch-Timestamp`` and ``X-Borderwatch-Signature``.

    True only when the timestamp is a plain non-negative integer within `tolerance_s`
    seconds of `now` (either direction, to absorb clock skew) and the signature equals
    ``sign(secret, timestamp, body)``. The comparison is constant-time. `body` must be
    the raw request body, before any JSON parsing.
    """
    if not timestamp_header or not signature_header:
        return False
    stamp = timestamp_header.strip()
    # isdigit() alone also accepts non-ASCII digits such as "²"; only ASCII is valid here.
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > _MAX_TIMESTAMP_DIGITS:
        return False
    timestamp = int(stamp)
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).encode("ascii")
    # Compare bytes: compare_digest raises TypeError on non-ASCII str, and a hostile
    # header must yield False, not an exception.
    given = signature_header.strip().encode("utf-8", errors="replace")
    return hmac.compare_digest(expected, given)
