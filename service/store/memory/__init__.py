"""The embedded store: process memory with the same semantics as `RedisStore`.

Used when no Redis URL is configured (state is lost on exit) and held to the same
contract suite as Redis. Expiry mirrors Redis: every entry saved with a TTL disappears
once the clock reaches its deadline, and the active set as a whole expires like the
Redis key does. Each concern is one module (tracks, episodes, outbox, silences,
instances); `MemoryStore` mixes them together. The clock is injectable so tests can
move time without sleeping.
"""

from __future__ import annotations

from service.clock import SYSTEM_CLOCK, Clock
from service.store.base import Store
from service.store.memory.episodes import MemoryEpisodes
from service.store.memory.instances import MemoryInstances
from service.store.memory.outbox import MemoryOutbox
from service.store.memory.silences import MemorySilences
from service.store.memory.tracks import MemoryTracks

__all__ = ["MemoryStore"]

# Expired entries are dropped lazily on read; a full sweep at most this often (clock
# seconds) stops never-read entries, such as old notification ids, piling up.
_SWEEP_EVERY_S = 60.0


class MemoryStore(
    MemoryTracks, MemoryEpisodes, MemoryOutbox, MemorySilences, MemoryInstances, Store
):
    """In-process `Store`; one instance is one independent store."""

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK) -> None:
        """TTLs are measured on `clock.monotonic()`."""
        self._monotonic = clock.monotonic
        self._last_sweep = clock.monotonic()
        self._init_tracks()
        self._init_episodes()
        self._init_outbox()
        self._init_silences()
        self._init_instances()

    def __repr__(self) -> str:
        return "MemoryStore()"

    def _clock(self) -> float:
        """The current clock time; sweeps every expired entry now and then."""
        now = self._monotonic()
        if now - self._last_sweep >= _SWEEP_EVERY_S:
            self._last_sweep = now
            self._sweep_tracks(now)
            self._sweep_episodes(now)
            self._sweep_outbox(now)
            self._sweep_silences(now)
            self._sweep_instances(now)
        return now

    async def ping(self) -> bool:
        """Always True: the store is this process."""
        return True

    async def close(self) -> None:
        """Nothing to release; the data stays readable until the instance is dropped."""
