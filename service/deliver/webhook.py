"""Deliver one notification to one webhook target: sign, POST, retry with backoff.

Policy (docs/webhooks.md has the receiver's view): 2xx is delivered; 408, 429, 5xx,
transport errors and timeouts are retried with exponential backoff and full jitter
(``Retry-After`` on 429/503 wins, capped at `backoff_max_s`), `max_attempts` in all;
anything else (3xx, other 4xx) is rejected at once. Redirects are not followed: that
would replay a signed alert to a host nobody configured.

The URL may carry a token in its path or query, so it is a secret like the signing
secret: logs, reprs and error labels show only the target name and origin.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum
from functools import partial
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
import structlog

from service.deliver.signing import sign

log = structlog.get_logger(__name__)

MAX_RESPONSE_BYTES = 64 * 1024  # most of a response body ever read
_RETRYABLE_4XX = frozenset({408, 429})
RETRY_AFTER_STATUSES = frozenset({429, 503})


def url_origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) `url`, without userinfo, path or query.

    None when `url` is not a usable http:// or https:// URL.
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port  # .port raises on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    if ":" in host:  # IPv6 literal: restore the brackets urlsplit removed
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + ("" if port is None else f":{port}")


@dataclass(frozen=True, repr=False)
class WebhookTarget:
    """Where and how to deliver notifications for one configured receiver.

    `url` and `secret` are both secrets (a URL often embeds a token): the repr shows
    only the URL's origin and whether a secret is set.
    """

    name: str
    url: str
    secret: str | None
    timeout_s: float = 10
    max_attempts: int = 5
    backoff_initial_s: float = 1
    backoff_max_s: float = 60

    def __post_init__(self) -> None:
        # Messages name the target, never the URL.
        if url_origin(self.url) is None:
            raise ValueError(f"webhook {self.name!r}: url must be an http:// or https:// URL")
        limits_ok = self.timeout_s > 0 and self.max_attempts >= 1
        if not limits_ok or min(self.backoff_initial_s, self.backoff_max_s) < 0:
            raise ValueError(f"webhook {self.name!r}: bad timeout_s, max_attempts or backoff")

    @property
    def origin(self) -> str:
        """The URL's ``scheme://host[:port]``, safe to log."""
        return url_origin(self.url) or "<invalid url>"  # unreachable after __post_init__

    def __repr__(self) -> str:
        secret = "'<redacted>'" if self.secret else "None"
        return (
            f"WebhookTarget(name={self.name!r}, url={self.origin!r}, secret={secret}, "
            f"timeout_s={self.timeout_s!r}, max_attempts={self.max_attempts!r}, "
            f"backoff_initial_s={self.backoff_initial_s!r}, "
            f"backoff_max_s={self.backoff_max_s!r})"
        )


class DeliveryOutcome(StrEnum):
    """How a delivery ended."""

    DELIVERED = "delivered"  # a 2xx answer
    REJECTED = "rejected"  # a permanent refusal: 3xx or 4xx other than 408/429
    GAVE_UP = "gave_up"  # every attempt failed with a retryable error


class DeliveryHooks(Protocol):
    """Explicit instrumentation callbacks; the caller wires metrics or logs to them.

    `on_attempt` runs after each attempt; `attempt` counts from 1 and `outcome_label` is
    the HTTP status as text ("200", "503"), "timeout" or "error": a bounded set, fit for
    a metric label. `on_finished` runs once per delivery (not when it is cancelled).
    A callback that raises is logged and otherwise ignored: instrumentation must not
    change whether an alert is delivered.
    """

    def on_attempt(
        self, target_name: str, attempt: int, outcome_label: str, duration_s: float
    ) -> None:
        """One HTTP attempt ended."""

    def on_finished(self, target_name: str, outcome: DeliveryOutcome) -> None:
        """The delivery ended with `outcome`."""


@dataclass(frozen=True, slots=True)
class _Attempt:
    label: str  # outcome_label for hooks
    status: int | None = None
    retry_after_s: float | None = None
    error: str | None = None  # exception class name only: messages can embed the URL


async def deliver(
    session: aiohttp.ClientSession,
    target: WebhookTarget,
    notification_id: str,
    body: bytes,
    *,
    user_agent: str,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    hooks: DeliveryHooks | None = None,
) -> DeliveryOutcome:
    """POST `body` to `target` until it is accepted, refused, or attempts run out.

    Every attempt carries the same ``X-Borderwatch-Id`` (`notification_id`) so the
    receiver can deduplicate, and a fresh ``X-Borderwatch-Timestamp`` (from `clock`,
    unix seconds) with a signature over it when the target has a secret. `sleep` waits
    between attempts; tests inject a recorder. Cancellation propagates unchanged.
    """
    logger = log.bind(target=target.name, host=target.origin, notification_id=notification_id)
    secret = target.secret.encode("utf-8") if target.secret else None
    last = _Attempt(label="none")
    for attempt in range(1, target.max_attempts + 1):
        started = time.monotonic()
        last = await _send(session, target, notification_id, body, user_agent, secret, clock)
        duration = time.monotonic() - started
        if hooks is not None:
            on_attempt = partial(hooks.on_attempt, target.name, attempt, last.label, duration)
            _run_hook(logger, "on_attempt", on_attempt)
        outcome = classify(last.status)
        if outcome is DeliveryOutcome.DELIVERED:
            logger.info("webhook.delivered", attempt=attempt, status=last.status)
        elif outcome is DeliveryOutcome.REJECTED:
            logger.error("webhook.rejected", attempt=attempt, status=last.status)
        if outcome is not None:
            return _finish(logger, hooks, target, outcome)
        if attempt == target.max_attempts:
            break
        delay = _retry_delay(target, attempt, last.retry_after_s)
        logger.warning(
            "webhook.retry_scheduled",
            attempt=attempt,
            status=last.status,
            error=last.error,
            delay_s=round(delay, 3),
            retry_after=last.retry_after_s is not None,
        )
        await sleep(delay)
    logger.error(
        "webhook.gave_up", attempts=target.max_attempts, status=last.status, error=last.error
    )
    return _finish(logger, hooks, target, DeliveryOutcome.GAVE_UP)


async def _send(
    session: aiohttp.ClientSession,
    target: WebhookTarget,
    notification_id: str,
    body: bytes,
    user_agent: str,
    secret: bytes | None,
    clock: Callable[[], float],
) -> _Attempt:
    """One POST; transport failures become an `_Attempt`, never an exception."""
    timestamp = int(clock())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": user_agent,
        "X-Borderwatch-Id": notification_id,
        "X-Borderwatch-Timestamp": str(timestamp),
    }
    if secret is not None:
        # Re-signed per attempt: a receiver's replay window must not expire a retry.
        headers["X-Borderwatch-Signature"] = sign(secret, timestamp, body)
    try:
        async with session.post(
            target.url,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=target.timeout_s),
            allow_redirects=False,
            # The caller's session may raise on 4xx/5xx; the policy here needs the status.
            raise_for_status=False,
        ) as response:
            retry_after = None
            if response.status in RETRY_AFTER_STATUSES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), clock())
            await discard_body(response)
            return _Attempt(str(response.status), response.status, retry_after)
    # aiohttp's own timeout classes are also ClientErrors; report them as timeouts.
    except TimeoutError as exc:
        return _Attempt("timeout", error=type(exc).__name__)
    except (aiohttp.ClientError, OSError) as exc:
        return _Attempt("error", error=type(exc).__name__)


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


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or HTTP-date; a past date is 0).

    None when absent or unparseable: the caller falls back to its own backoff.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # Longer than 10 digits is centuries; any cap the caller applies is smaller.
        return float(value) if len(value) <= 10 else float("inf")
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _retry_delay(target: WebhookTarget, attempt: int, retry_after_s: float | None) -> float:
    """Delay before attempt `attempt + 1`: the server's wish, else full-jitter backoff."""
    if retry_after_s is not None:
        return min(retry_after_s, target.backoff_max_s)
    exponent = min(attempt - 1, 32)  # the cap below binds long before; avoids huge floats
    ceiling = min(target.backoff_max_s, target.backoff_initial_s * 2**exponent)
    # Full jitter spreads retries from many notifications failing at once (one receiver
    # outage) instead of hitting the receiver in synchronised waves.
    return random.uniform(0, ceiling)


def _finish(
    logger: Any, hooks: DeliveryHooks | None, target: WebhookTarget, outcome: DeliveryOutcome
) -> DeliveryOutcome:
    if hooks is not None:
        _run_hook(logger, "on_finished", partial(hooks.on_finished, target.name, outcome))
    return outcome


def _run_hook(logger: Any, name: str, call: Callable[[], None]) -> None:
    try:
        call()
    except Exception:
        logger.exception("webhook.hook_failed", hook=name)
