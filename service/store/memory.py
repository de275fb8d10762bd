"""The embedded store: process memory with the same semantics as `RedisStore`.

Used when no Redis URL is configured (state is lost on exit) and as the reference
the shared test suite holds both implementations to. Expiry mirrors Redis: every entry
saved with a TTL disappears once the clock reaches its deadline, and the active set as
a whole expires like the Redis key does. The clock is injectable so tests can move time
without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from service.store.base import AircraftSave, Store
from service.store.memory_outbox import Expiring as _Expiring
from service.store.memory_outbox import MemoryOutbox
from service.store.records import OutboxItem

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


def check_budget_args(amount: int, ttl_s: int) -> None:
    """Reject a negative spend (a budget only ever fills up) and a bad TTL."""
    if amount < 0:
        raise ValueError(f"amount must be >= 0, got {amount}")
    check_ttl(ttl_s)


def lease_ms(ttl_s: float) -> int:
    """A lease TTL in whole milliseconds (PX), rejecting what Redis would refuse."""
    ms = int(ttl_s * 1000)
    if ms < 1:
        raise ValueError(f"ttl_s must be >= 0.001, got {ttl_s}")
    return ms


class MemoryStore(MemoryOutbox, Store):
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
        # Single entries under the key "" (like the Redis keys they mirror).
        self._alive: _Expiring[bytes] = _Expiring()
        self._recent: _Expiring[list[bytes]] = _Expiring()
        self._episodes: _Expiring[dict[str, bytes]] = _Expiring()
        self._budgets: _Expiring[int] = _Expiring()  # "<source>:<day>" -> spent
        self._leases: _Expiring[str] = _Expiring()  # name -> holder
        self._last_sweep = clock()
        self._init_outbox()

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
        saves = [AircraftSave(hex_, state, new_points)]
        await self.save_aircraft_many(saves, max_points=max_points, ttl_s=ttl_s)

    async def save_aircraft_many(
        self, saves: Sequence[AircraftSave], *, max_points: int, ttl_s: int
    ) -> None:
        """`save_aircraft` for many aircraft; atomic because nothing here awaits."""
        check_save_args(max_points, ttl_s)
        if not saves:
            return
        now = self._maybe_sweep()
        deadline = now + ttl_s
        for hex_, state, new_points in saves:
            self._states.put(hex_, state, deadline)
            track = (self._tracks.get(hex_, now) or []) + new_points
            # Redis drops a list that becomes empty; an absent track stays absent here too.
            if track:
                self._tracks.put(hex_, track[-max_points:], deadline)
        active = self._active.get("", now) or set()
        active.update(save.hex for save in saves)
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

    async def claim_notification(
        self, notification_id: str, *, ttl_s: int, outbox: Sequence[OutboxItem] = ()
    ) -> bool:
        """Record the id for `ttl_s` and enqueue `outbox`; False (nothing enqueued) if
        the id is already recorded (a duplicate)."""
        check_ttl(ttl_s)
        now = self._maybe_sweep()
        if self._notified.get(notification_id, now):
            return False
        self._notified.put(notification_id, True, now + ttl_s)
        self._enqueue(outbox)
        return True

    async def get_clock(self) -> float | None:
        """The feed time of the last fully processed snapshot, or None if never set."""
        return self._feed_clock

    async def set_clock(self, now: float) -> None:
        """Record the feed time of the last fully processed snapshot (never expires)."""
        self._feed_clock = now

    async def heartbeat(self, value: bytes, *, ttl_s: int) -> None:
        """Write the liveness value; it disappears `ttl_s` clock seconds later."""
        check_ttl(ttl_s)
        self._alive.put("", value, self._clock() + ttl_s)

    async def get_heartbeat(self) -> bytes | None:
        """The liveness value, or None once it expired or was cleared."""
        return self._alive.get("", self._clock())

    async def clear_heartbeat(self) -> None:
        """Delete the liveness value."""
        self._alive.pop("")

    async def record_notification(
        self, fingerprint: str, payload: bytes, *, resolved: bool, keep: int, ttl_s: int
    ) -> None:
        """Push on the recent list (newest `keep` kept) and update the open episodes."""
        check_save_args(keep, ttl_s)
        now = self._clock()
        deadline = now + ttl_s
        recent = [payload, *(self._recent.get("", now) or [])][:keep]
        self._recent.put("", recent, deadline)
        episodes = self._episodes.get("", now) or {}
        if resolved:
            episodes.pop(fingerprint, None)
        else:
            episodes[fingerprint] = payload
        if episodes:
            self._episodes.put("", episodes, deadline)
        else:
            self._episodes.pop("")  # Redis deletes a hash whose last field goes

    async def recent_notifications(self, limit: int) -> list[bytes]:
        """Up to `limit` recorded payloads, newest first (a copy)."""
        if limit < 1:
            return []
        return list((self._recent.get("", self._clock()) or [])[:limit])

    async def open_episodes(self) -> dict[str, bytes]:
        """fingerprint -> latest payload of every open episode (a copy)."""
        return dict(self._episodes.get("", self._clock()) or {})

    async def spend_budget(self, source: str, day: str, amount: int, *, ttl_s: int) -> int:
        """Add `amount` to the day's count, renew its expiry, return the new total."""
        check_budget_args(amount, ttl_s)
        now = self._maybe_sweep()
        key = f"{source}:{day}"
        total = (self._budgets.get(key, now) or 0) + amount
        self._budgets.put(key, total, now + ttl_s)
        return total

    async def budget_spent(self, source: str, day: str) -> int:
        """The day's count, 0 when never spent (or expired)."""
        return self._budgets.get(f"{source}:{day}", self._clock()) or 0

    async def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take or renew the lease unless another holder has it and it has not expired."""
        deadline = lease_ms(ttl_s) / 1000
        now = self._clock()
        current = self._leases.get(name, now)
        if current is not None and current != holder:
            return False
        self._leases.put(name, holder, now + deadline)
        return True

    async def release_lease(self, name: str, holder: str) -> bool:
        """Drop the lease if `holder` has it."""
        if self._leases.get(name, self._clock()) != holder:
            return False
        self._leases.pop(name)
        return True

    async def close(self) -> None:
        """Nothing to release; the data stays readable until the instance is dropped."""

    def _maybe_sweep(self) -> float:
        now = self._clock()
        if now - self._last_sweep >= _SWEEP_EVERY_S:
            for table in (self._states, self._tracks, self._notified, self._active):
                table.sweep(now)
            self._budgets.sweep(now)
            self._sent.sweep(now)
            self._acks.sweep(now)
            self._last_sweep = now
        return now
