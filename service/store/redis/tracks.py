"""`TrackStore` on Redis: the feed clock and the followed aircraft."""

from __future__ import annotations

from collections.abc import Sequence

from service.store.base import AircraftSave, StoreError, check_save_args
from service.store.redis.connection import RedisConnection, as_bytes

# Save a snapshot's aircraft. KEYS: the active set, then each aircraft's state and track.
# ARGV: TTL, max points, aircraft count, then per aircraft: address, state, replace
# (1: the points replace the track), point count, the points. RPUSH takes the points
# in slices (Lua's unpack has a stack limit); the active set's TTL is renewed on every
# save, so it vanishes only after a full TTL without saves, when its members have
# expired too (readers treat a member without state as gone).
SAVE_BATCH_ARGS = 100_000  # per script call; a snapshot's saves are a few thousand
SAVE_AIRCRAFT = """
local ttl, max_points, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local at = 4
for i = 1, n do
  local state_key, track_key = KEYS[2 * i], KEYS[2 * i + 1]
  redis.call('SET', state_key, ARGV[at + 1], 'EX', ttl)
  if ARGV[at + 2] == '1' then redis.call('DEL', track_key) end
  local first, last = at + 4, at + 3 + tonumber(ARGV[at + 3])
  for j = first, last, 1000 do
    redis.call('RPUSH', track_key, unpack(ARGV, j, math.min(j + 999, last)))
  end
  redis.call('LTRIM', track_key, -max_points, -1)
  redis.call('EXPIRE', track_key, ttl)
  redis.call('SADD', KEYS[1], ARGV[at])
  at = last + 1
end
redis.call('EXPIRE', KEYS[1], ttl)
return n
"""


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
        and mark active, in one script call, so a crash never leaves a half-saved aircraft.

        A `StoreError` (e.g. a timeout after the call was sent) leaves it unknown whether the
        transaction applied; retrying may then append the points twice.
        """
        saves = [AircraftSave(hex_, state, new_points)]
        await self.save_aircraft_many(saves, max_points=max_points, ttl_s=ttl_s)

    async def save_aircraft_many(
        self, saves: Sequence[AircraftSave], *, max_points: int, ttl_s: int
    ) -> None:
        """`save_aircraft` for many aircraft in a script: one command per snapshot (a
        MULTI/EXEC's per-command replies cost more than the work for thousands of
        aircraft), or a few for a very large one, so that no call holds Redis long.
        Each aircraft is saved whole or not at all."""
        check_save_args(max_points, ttl_s)
        keys: list[str] = []
        args: list[bytes | str | int] = []
        count = 0
        for save in saves:
            keys += [self._keys.aircraft(save.hex), self._keys.track(save.hex)]
            args += [save.hex, save.state, int(save.replace), len(save.new_points)]
            args += save.new_points
            count += 1
            if len(args) >= SAVE_BATCH_ARGS:
                await self._save_batch(keys, args, count, max_points, ttl_s)
                keys, args, count = [], [], 0
        if count:
            await self._save_batch(keys, args, count, max_points, ttl_s)

    async def _save_batch(
        self,
        keys: list[str],
        args: list[bytes | str | int],
        count: int,
        max_points: int,
        ttl_s: int,
    ) -> None:
        async with self._guard("save_aircraft"):
            await self._client.eval(
                SAVE_AIRCRAFT,
                len(keys) + 1,
                self._keys.active,
                *keys,
                ttl_s,
                max_points,
                count,
                *args,
            )

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
