"""The Redis connection every concern of `RedisStore` shares: one client, one key
space and one guard that bounds each operation and turns failures into `StoreError`.

Every operation runs under one deadline of `timeout_s` (socket connect/read timeouts
plus an overall `asyncio.timeout`, which also bounds the single reconnect retry), and
every Redis or socket failure surfaces as `StoreError` naming the URL with its password
redacted. Key names come from `service.store.keys` only.

Redis is a dependency that comes and goes. After a failure the connection backs off:
until the next try (from `retry_min_s`, doubling to `retry_max_s`) operations fail at
once instead of each waiting out a timeout, so the service keeps its pace on the
in-memory state; the first operation after the wait tries Redis again, and a success
ends the outage. `StoreHooks` hear every outcome (the store metrics).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from service.clock import SYSTEM_CLOCK, Clock
from service.store.base import NoHooks, StoreError, StoreHooks
from service.store.keys import DEFAULT_PREFIX, KeySpace

_REDACTED = "***"


def redact_url(url: str) -> str:
    """The URL with any password (userinfo or ``?password=``) replaced by ``***``.

    A userinfo without ':' is redacted whole: redis-py would send it as credentials and
    people do put bare passwords there. Unparsable input yields a placeholder rather
    than risking an echo of the secret.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable redis url>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{_REDACTED}@{hostport}" if colon else f"{_REDACTED}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, _REDACTED if k.lower() == "password" else v) for k, v in pairs], safe="*"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _password_of(url: str) -> str | None:
    # Only used to scrub error text; never stored in anything printable.
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.password:
        return parts.password
    from_query = dict(parse_qsl(parts.query)).get("password")
    if from_query:
        return from_query
    # A bare userinfo ("redis://secret@host") is treated as a secret, as in redact_url.
    return parts.username if "@" in parts.netloc else None


def as_bytes(value: bytes | str) -> bytes:
    """A reply as bytes: the client is built without decode_responses, so replies are
    bytes; this narrows redis-py's bytes-or-str reply type without a cast."""
    return value if isinstance(value, bytes) else value.encode()


class RedisConnection:
    """A client on one URL and key prefix; nothing connects until the first operation."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout_s: float = 5.0,
        retry_min_s: float = 0.2,
        retry_max_s: float = 5.0,
        hooks: StoreHooks | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """Raises `StoreError` for an unusable URL and `ValueError` for a bad prefix."""
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self._url = redact_url(url)  # the only form of the URL this object keeps
        self._secret = _password_of(url)
        self._keys = KeySpace(prefix)
        self._timeout_s = timeout_s
        self._retry_min_s, self._retry_max_s = retry_min_s, retry_max_s
        self._hooks = hooks or NoHooks()
        self._clock = clock
        self._failures = 0  # consecutive failed operations
        self._retry_at = 0.0  # monotonic time before which operations fail at once
        try:
            self._client: aioredis.Redis = aioredis.Redis.from_url(
                url,
                socket_timeout=timeout_s,
                socket_connect_timeout=timeout_s,
                # One immediate retry rides over a connection the server closed while it
                # sat idle in the pool (e.g. Redis restarted); the deadline bounds it.
                retry=Retry(NoBackoff(), 1),
            )
        except ValueError as exc:
            raise StoreError(f"invalid redis URL {self._url}: {self._scrub(exc)}") from None

    def __repr__(self) -> str:
        return f"RedisStore(url={self._url!r}, prefix={self._keys.prefix!r})"

    @property
    def keys(self) -> KeySpace:
        """The key names this store uses."""
        return self._keys

    @property
    def url(self) -> str:
        """The URL with its password redacted (for messages)."""
        return self._url

    async def ping(self) -> bool:
        """True when Redis answers within the timeout; False (never an error) otherwise,
        so health checks can call it freely. Other operations raise `StoreError`."""
        try:
            async with self._guard("ping"):
                return bool(await self._client.ping())
        except StoreError:
            return False

    async def close(self) -> None:
        """Close the connection pool; the data stays in Redis."""
        # Closing a pool whose server vanished is not worth failing shutdown over.
        with suppress(RedisError, OSError):
            await self._client.aclose()

    @asynccontextmanager
    async def _guard(self, op: str) -> AsyncIterator[None]:
        """Run the body under the store deadline and turn failures into `StoreError`;
        while backing off after a failure, fail at once."""
        wait = self._retry_at - self._clock.monotonic()
        if wait > 0:
            self._hooks.failed(op)
            raise StoreError(f"redis at {self._url}: unavailable, next try in {wait:.1f}s")
        try:
            async with asyncio.timeout(self._timeout_s):
                yield
        except TimeoutError:
            # Built-in TimeoutError: the overall deadline fired (it is also an OSError,
            # hence first). redis' own TimeoutError is a RedisError, handled below.
            self._failed(op)
            raise StoreError(
                f"redis at {self._url}: {op} timed out after {self._timeout_s:g}s"
            ) from None
        except (RedisError, OSError) as exc:
            self._failed(op)
            raise StoreError(f"redis at {self._url}: {op} failed: {self._scrub(exc)}") from exc
        if self._failures:
            self._failures, self._retry_at = 0, 0.0
        self._hooks.succeeded()

    def _failed(self, op: str) -> None:
        self._failures += 1
        backoff = min(self._retry_max_s, self._retry_min_s * 2 ** min(self._failures - 1, 16))
        self._retry_at = self._clock.monotonic() + backoff
        self._hooks.failed(op)

    def _scrub(self, exc: BaseException) -> str:
        # redis-py does not put passwords in messages today; make sure it never leaks.
        text = f"{type(exc).__name__}: {exc}"
        return text.replace(self._secret, _REDACTED) if self._secret else text
