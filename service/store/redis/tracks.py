"""`TrackStore` on Redis: the feed clock and the followed aircraft."""

from __future__ import annotations

from collections.abc import Sequence

from service.store.base import AircraftSave, StoreError, check_save_args
from service.store.redis.connection import RedisConnection, as_bytes


class RedisTracks(RedisConnection):
    """The feed clock (no TTL) and per-aircraft state and track (TTL per save)."""

    async def load_aircraft(self, hex_: str) -> bytes | None:
        """The saved engine state of one aircraft, or None (never saved or expired)."""
        async with self._guard("load_aircraft"):
            value = await self._client.get(self._keys.aircraft(hex_))
        return None if value is None else as_bytes(value)

    async def load_track(self, hex_: str) -> list[bytes]:
        """The saved track points of one aircraft, oldest first."""
        async with self._guard("load_track"):
            values = await self._client.lrange(self._keys.track(hex_), 0, -1)
        return [as_bytes(v) for v in values]

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
                if save.replace:
                    pipe.delete(track_key)
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

    async def drop_aircraft_many(self, hexes: Sequence[str]) -> None:
        """Forget aircraft: state, track and active mark, in one MULTI/EXEC."""
        if not hexes:
            return
        async with self._guard("drop_aircraft"), self._client.pipeline(transaction=True) as pipe:
            keys = [key for h in hexes for key in (self._keys.aircraft(h), self._keys.track(h))]
            pipe.delete(*keys)
            pipe.srem(self._keys.active, *hexes)
            await pipe.execute()

    async def drop_aircraft(self, hex_: str) -> None:
        """Forget an aircraft: state, track and active mark, atomically."""
        await self.drop_aircraft_many([hex_])

    async def active_aircraft(self) -> set[str]:
        """Addresses with saved state; members whose state expired may still be listed."""
        async with self._guard("active_aircraft"):
            members = await self._client.smembers(self._keys.active)
        return {as_bytes(m).decode() for m in members}

    async def get_feed_clock(self) -> float | None:
        """The feed time of the last fully processed snapshot, or None if never set."""
        async with self._guard("get_feed_clock"):
            value = await self._client.get(self._keys.feed_clock)
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            raise StoreError(
                f"redis at {self._url}: {self._keys.feed_clock} is not a number"
            ) from None

    async def set_feed_clock(self, now: float) -> None:
        """Record the feed time of the last fully processed snapshot (no TTL)."""
        async with self._guard("set_feed_clock"):
            # repr() round-trips a float exactly.
            await self._client.set(self._keys.feed_clock, repr(float(now)))
