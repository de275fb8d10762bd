"""The Redis connection every concern of `RedisStore` shares: one client, one key
space and one guard that bounds each operation and turns failures into `StoreError`.

Every operation runs under one deadline of `timeout_s` (socket connect/read timeouts
plus an overall `asyncio.timeout`, which also bounds the single reconnect retry), and
every Redis or socket failure surfaces as `StoreError` naming the URL with its password
redacted. Key names come from `service.store.keys` only.
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

from service.store.base import StoreError
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

    def __init__(self, url: str, *, prefix: str = DEFAULT_PREFIX, timeout_s: float = 5.0) -> None:
        """Raises `StoreError` for an unusable URL and `ValueError` for a bad prefix."""
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self._url = redact_url(url)  # the only form of the URL this object keeps
        self._secret = _password_of(url)
        self._keys = KeySpace(prefix)
        self._timeout_s = timeout_s
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
        """Run the body under the store deadline and turn failures into `StoreError`."""
        try:
            async with asyncio.timeout(self._timeout_s):
                yield
        except TimeoutError:
            # Built-in TimeoutError: the overall deadline fired (it is also an OSError,
            # hence first). redis' own TimeoutError is a RedisError, handled below.
            raise StoreError(
                f"redis at {self._url}: {op} timed out after {self._timeout_s:g}s"
            ) from None
        except (RedisError, OSError) as exc:
            raise StoreError(f"redis at {self._url}: {op} failed: {self._scrub(exc)}") from exc

    def _scrub(self, exc: BaseException) -> str:
        # redis-py does not put passwords in messages today; make sure it never leaks.
        text = f"{type(exc).__name__}: {exc}"
        return text.replace(self._secret, _REDACTED) if self._secret else text
