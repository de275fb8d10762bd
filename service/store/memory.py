"""The embedded store: process memory with the same semantics as `RedisStore`.

Used when no Redis URL is configured (state is lost on exit) and as the reference
the shared test suite holds both implementations to. Expiry mirrors Redis: every entry
saved with a TTL disappears once the clock reaches its deadline, and the active set as
a whole expires like the Redis key does. The clock is injectable so tests can move time
without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from service.store.base import Store

_T = TypeVar("_T")

# Expired entries are dropped lazily on read; a full sweep at most this often (clock
# seconds) stops never-read entries, such as old notification ids, piling up.
_SWEEP_EVERY_S = 60.0


def check_save_args(max_points: int, ttl_s: int) -> None:
    """Reject arguments Redis would reject or silently misread (shared by both stores)."""
    if max_points < 1:
        # LTRIM key -0 -1 would keep the whole list, not none of it.
        raise ValueError(f"max_points must be >= 1, got {max_points}")
    check_ttl(ttl_s)


def check_ttl(ttl_s: int) -> None:
    """Reject a TTL Redis would refuse (EX must be a positive whole number of seconds)."""
    if ttl_s < 1:
        raise ValueError(f"ttl_s must be >= 1, got {ttl_s}")


class _Expiring(Generic[_T]):
    """A dict whose entries each carry a deadline on the store's clock."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[_T, float]] = {}

    def get(self, key: str, now: float) -> _T | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        value, deadline = entry
        if now >= deadline:
            del self._data[key]
            return None
        return value

    def put(self, key: str, value: _T, deadline: float) -> None:
        self._data[key] = (value, deadline)

    def pop(self, key: str) -> None:
        self._data.pop(key, None)

    def sweep(self, now: float) -> None:
        for key in [k for k, (_, deadline) in self._data.items() if now >= deadline]:
            del self._data[key]


class MemoryStore(Store):
    """In-process `Store`; one instance is one independent store."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        """`clock` gives seconds on any monotonic scale; TTLs are measured on it."""
        self._clock = clock
        self._states: _Expiring[bytes] = _Expiring()
        self._tracks: _Expiring[list[bytes]] = _Expiring()
        self._notified: _Expiring[bool] = _Expiring()
        # Like the Redis set: members do not expire one by one, the whole set does.
        self._active: _Expiring[set[str]] = _Expiring()
        self._feed_clock: float | None = None
        self._last_sweep = clock()

    def __repr__(self) -> str:
        return "MemoryStore()"

    async def ping(self) -> bool:
        """Always True: the store is this process."""
        return True

    async def load_aircraft(self, hex_: str) -> bytes | None:
        """The saved engine state of one aircraft, or None (never saved or expired)."""
        return self._states.get(hex_, self._clock())

    async def load_track(self, hex_: str) -> list[bytes]:
        """The saved track points of one aircraft, oldest first (a copy)."""
        return list(self._tracks.get(hex_, self._clock()) or [])

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
        and mark active. Atomic because nothing here awaits."""
        check_save_args(max_points, ttl_s)
        now = self._maybe_sweep()
        deadline = now + ttl_s
        self._states.put(hex_, state, deadline)
        track = (self._tracks.get(hex_, now) or []) + new_points
        # Redis drops a list that becomes empty; an absent track stays absent here too.
        if track:
            self._tracks.put(hex_, track[-max_points:], deadline)
        active = self._active.get("", now) or set()
        active.add(hex_)
        self._active.put("", active, deadline)

    async def drop_aircraft(self, hex_: str) -> None:
        """Forget an aircraft: state, track and active mark."""
        now = self._clock()
        self._states.pop(hex_)
        self._tracks.pop(hex_)
        active = self._active.get("", now)
        if active is not None:
            active.discard(hex_)
            if not active:
                self._active.pop("")  # Redis deletes a set whose last member goes

    async def active_aircraft(self) -> set[str]:
        """Addresses with saved state; members whose state expired may still be listed."""
        return set(self._active.get("", self._clock()) or ())

    async def claim_notification(self, notification_id: str, *, ttl_s: int) -> bool:
        """Record the id for `ttl_s`; False if it is already recorded (a duplicate)."""
        check_ttl(ttl_s)
        now = self._maybe_sweep()
        if self._notified.get(notification_id, now):
            return False
        self._notified.put(notification_id, True, now + ttl_s)
        return True

    async def get_clock(self) -> float | None:
        """The feed time of the last fully processed snapshot, or None if never set."""
        return self._feed_clock

    async def set_clock(self, now: float) -> None:
        """Record the feed time of the last fully processed snapshot (never expires)."""
        self._feed_clock = now

    async def close(self) -> None:
        """Nothing to release; the data stays readable until the instance is dropped."""

    def _maybe_sweep(self) -> float:
        now = self._clock()
        if now - self._last_sweep >= _SWEEP_EVERY_S:
            for table in (self._states, self._tracks, self._notified, self._active):
                table.sweep(now)
            self._last_sweep = now
        return now
