"""`TrackStore` in process memory: the feed clock and the followed aircraft."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from service.store.base import AircraftSave, check_save_args
from service.store.memory.expiring import Expiring


class MemoryTracks:
    """Mixed into `MemoryStore`; `_clock` measures TTLs."""

    _clock: Callable[[], float]

    def _init_tracks(self) -> None:
        self._feed_clock: float | None = None
        self._states: Expiring[bytes] = Expiring()
        self._tracks: Expiring[deque[bytes]] = Expiring()
        # Like the Redis set: members do not expire one by one, the whole set does.
        self._active: Expiring[set[str]] = Expiring()

    def _sweep_tracks(self, now: float) -> None:
        for table in (self._states, self._tracks, self._active):
            table.sweep(now)

    async def get_feed_clock(self) -> float | None:
        """The feed time of the last fully processed snapshot, or None if never set."""
        return self._feed_clock

    async def set_feed_clock(self, now: float) -> None:
        """Record the feed time of the last fully processed snapshot (never expires)."""
        self._feed_clock = now

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
        now = self._clock()
        deadline = now + ttl_s
        for hex_, state, new_points, replace in saves:
            self._states.put(hex_, state, deadline)
            saved = None if replace else self._tracks.get(hex_, now)
            # Appending in place: a save costs its new points, not the whole track.
            track = saved if saved is not None and saved.maxlen == max_points else None
            if track is None:
                track = deque(saved or (), maxlen=max_points)
            track.extend(new_points)
            # Redis drops a list that becomes empty; an absent track stays absent here too.
            if track:
                self._tracks.put(hex_, track, deadline)
            else:
                self._tracks.pop(hex_)
        active = self._active.get("", now) or set()
        active.update(save.hex for save in saves)
        self._active.put("", active, deadline)

    async def drop_aircraft(self, hex_: str) -> None:
        """Forget an aircraft: state, track and active mark."""
        await self.drop_aircraft_many([hex_])

    async def drop_aircraft_many(self, hexes: Sequence[str]) -> None:
        """Forget aircraft; atomic because nothing here awaits."""
        now = self._clock()
        active = self._active.get("", now)
        for hex_ in hexes:
            self._states.pop(hex_)
            self._tracks.pop(hex_)
            if active is not None:
                active.discard(hex_)
        if active is not None and not active:
            self._active.pop("")  # Redis deletes a set whose last member goes

    async def active_aircraft(self) -> set[str]:
        """Addresses with saved state; members whose state expired may still be listed."""
        return set(self._active.get("", self._clock()) or ())
