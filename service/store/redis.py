"""The Redis store: state that survives a restart of the service (or of its host).

Every operation runs under one deadline of `timeout_s` (socket connect/read timeouts
plus an overall `asyncio.timeout`, which also bounds the single reconnect retry), and
every Redis or socket failure surfaces as `StoreError` naming the URL with its password
redacted. Key names come from `service.store.keys` only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from service.store.base import AircraftSave, Store, StoreError
from service.store.keys import DEFAULT_PREFIX, KeySpace
from service.store.memory import check_budget_args, check_save_args, check_ttl, lease_ms
from service.store.records import OutboxItem
from service.store.redis_outbox import RedisOutbox

_REDACTED = "***"

# Take a lease (SET NX PX) or, when the caller already holds it, renew it (PEXPIRE), in
# one step: a renewal can never extend a lease someone else took after ours expired.
# KEYS: lease. ARGV: holder, ttl ms. Returns 1 when the caller holds it afterwards.
ACQUIRE_LEASE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# Compare and delete: only the holder may release. KEYS: lease. ARGV: holder.
RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


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


def _as_bytes(value: bytes | str) -> bytes:
    # The client is built without decode_responses, so replies are bytes; this narrows
    # redis-py's bytes-or-str reply type without a cast.
    return value if isinstance(value, bytes) else value.encode()


class RedisStore(RedisOutbox, Store):
    """`Store` over redis.asyncio; instances on the same URL and prefix share all data."""

    def __init__(self, url: str, *, prefix: str = DEFAULT_PREFIX, timeout_s: float = 5.0) -> None:
        """Prepare a client; nothing connects until the first operation.

        Raises `StoreError` for an unusable URL and `ValueError` for a bad prefix.
        """
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

    async def load_aircraft(self, hex_: str) -> bytes | None:
        """The saved engine state of one aircraft, or None (never saved or expired)."""
        async with self._guard("load_aircraft"):
            value = await self._client.get(self._keys.aircraft(hex_))
        return None if value is None else _as_bytes(value)

    async def load_track(self, hex_: str) -> list[bytes]:
        """The saved track points of one aircraft, oldest first."""
        async with self._guard("load_track"):
            values = await self._client.lrange(self._keys.track(hex_), 0, -1)
        return [_as_bytes(v) for v in values]

    async def save_aircraft(
        self,
        hex_: str,
        state: bytes,
        new_points: list[bytes],
        *,
        max_points: int,
        ttl_s: int,
    ) -> None:
        """Replace state, append points keeping the newest `max_points`, refresh expiries
        and mark active, in one MULTI/EXEC so a crash never leaves a half-saved aircraft.

        A `StoreError` (e.g. a timeout after EXEC was sent) leaves it unknown whether the
        transaction applied; retrying may then append the points twice.
        """
        saves = [AircraftSave(hex_, state, new_points)]
        await self.save_aircraft_many(saves, max_points=max_points, ttl_s=ttl_s)

    async def save_aircraft_many(
        self, saves: Sequence[AircraftSave], *, max_points: int, ttl_s: int
    ) -> None:
        """`save_aircraft` for many aircraft in one MULTI/EXEC: one round trip per
        snapshot instead of one per aircraft."""
        check_save_args(max_points, ttl_s)
        if not saves:
            return
        async with self._guard("save_aircraft"), self._client.pipeline(transaction=True) as pipe:
            for save in saves:
                track_key = self._keys.track(save.hex)
                pipe.set(self._keys.aircraft(save.hex), save.state, ex=ttl_s)
                if save.new_points:  # RPUSH with no values is a syntax error
                    pipe.rpush(track_key, *save.new_points)
                pipe.ltrim(track_key, -max_points, -1)
                pipe.expire(track_key, ttl_s)
            pipe.sadd(self._keys.active, *(save.hex for save in saves))
            # The set cannot expire member by member; renewing its TTL on every save
            # makes it vanish only after a full TTL without saves, when all members
            # have expired too (readers treat a member without state as gone).
            pipe.expire(self._keys.active, ttl_s)
            await pipe.execute()

    async def drop_aircraft(self, hex_: str) -> None:
        """Forget an aircraft: state, track and active mark, atomically."""
        async with self._guard("drop_aircraft"), self._client.pipeline(transaction=True) as pipe:
            pipe.delete(self._keys.aircraft(hex_), self._keys.track(hex_))
            pipe.srem(self._keys.active, hex_)
            await pipe.execute()

    async def active_aircraft(self) -> set[str]:
        """Addresses with saved state; members whose state expired may still be listed."""
        async with self._guard("active_aircraft"):
            members = await self._client.smembers(self._keys.active)
        return {_as_bytes(m).decode() for m in members}

    async def claim_notification(
        self, notification_id: str, *, ttl_s: int, outbox: Sequence[OutboxItem] = ()
    ) -> bool:
        """Record the id (SET NX EX) and enqueue `outbox` in one Lua step; False (nothing
        enqueued) if it was already recorded.

        Atomic across processes: of several instances claiming one id, exactly one wins.
        """
        check_ttl(ttl_s)
        return await self._claim(notification_id, ttl_s, outbox)

    async def get_clock(self) -> float | None:
        """The feed time of the last fully processed snapshot, or None if never set."""
        async with self._guard("get_clock"):
            value = await self._client.get(self._keys.clock)
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            raise StoreError(f"redis at {self._url}: {self._keys.clock} is not a number") from None

    async def set_clock(self, now: float) -> None:
        """Record the feed time of the last fully processed snapshot (no TTL)."""
        async with self._guard("set_clock"):
            # repr() round-trips a float exactly.
            await self._client.set(self._keys.clock, repr(float(now)))

    async def heartbeat(self, value: bytes, *, ttl_s: int) -> None:
        """SET the liveness key with EX `ttl_s`: it vanishes unless renewed in time."""
        check_ttl(ttl_s)
        async with self._guard("heartbeat"):
            await self._client.set(self._keys.alive, value, ex=ttl_s)

    async def get_heartbeat(self) -> bytes | None:
        """The liveness value, or None once it expired or was cleared."""
        async with self._guard("get_heartbeat"):
            value = await self._client.get(self._keys.alive)
        return None if value is None else _as_bytes(value)

    async def clear_heartbeat(self) -> None:
        """DEL the liveness key."""
        async with self._guard("clear_heartbeat"):
            await self._client.delete(self._keys.alive)

    async def record_notification(
        self, fingerprint: str, payload: bytes, *, resolved: bool, keep: int, ttl_s: int
    ) -> None:
        """LPUSH + LTRIM the recent list and HSET (or HDEL when resolved) the episode,
        refreshing both expiries, in one MULTI/EXEC."""
        check_save_args(keep, ttl_s)
        recent, episodes = self._keys.recent, self._keys.episodes
        async with (
            self._guard("record_notification"),
            self._client.pipeline(transaction=True) as pipe,
        ):
            pipe.lpush(recent, payload)
            pipe.ltrim(recent, 0, keep - 1)
            pipe.expire(recent, ttl_s)
            if resolved:
                pipe.hdel(episodes, fingerprint)
            else:
                pipe.hset(episodes, fingerprint, payload)
            pipe.expire(episodes, ttl_s)
            await pipe.execute()

    async def recent_notifications(self, limit: int) -> list[bytes]:
        """Up to `limit` recorded payloads, newest first."""
        if limit < 1:
            return []
        async with self._guard("recent_notifications"):
            values = await self._client.lrange(self._keys.recent, 0, limit - 1)
        return [_as_bytes(v) for v in values]

    async def open_episodes(self) -> dict[str, bytes]:
        """fingerprint -> latest payload of every open episode."""
        async with self._guard("open_episodes"):
            fields = await self._client.hgetall(self._keys.episodes)
        return {_as_bytes(k).decode(): _as_bytes(v) for k, v in fields.items()}

    async def spend_budget(self, source: str, day: str, amount: int, *, ttl_s: int) -> int:
        """INCRBY the day's count and EXPIRE it in one MULTI/EXEC; return the new total."""
        check_budget_args(amount, ttl_s)
        key = self._keys.budget(source, day)
        async with self._guard("spend_budget"), self._client.pipeline(transaction=True) as pipe:
            pipe.incrby(key, amount)
            pipe.expire(key, ttl_s)
            total, _ = await pipe.execute()
        return int(total)

    async def budget_spent(self, source: str, day: str) -> int:
        """The day's count, 0 when never spent (or expired)."""
        key = self._keys.budget(source, day)
        async with self._guard("budget_spent"):
            value = await self._client.get(key)
        if value is None:
            return 0
        try:
            return int(value)
        except ValueError:
            raise StoreError(f"redis at {self._url}: {key} is not an integer") from None

    async def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """SET NX PX, or PEXPIRE when `holder` already has it, in one Lua step."""
        ms = lease_ms(ttl_s)
        async with self._guard("acquire_lease"):
            taken = await self._client.eval(ACQUIRE_LEASE, 1, self._keys.lease(name), holder, ms)
        return bool(taken)

    async def release_lease(self, name: str, holder: str) -> bool:
        """DEL the lease key if `holder` has it, in one Lua step."""
        async with self._guard("release_lease"):
            deleted = await self._client.eval(RELEASE_LEASE, 1, self._keys.lease(name), holder)
        return bool(deleted)

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
