"""The state store interface: what must survive a restart.

Hot state lives in process memory; the store keeps what the engine needs to continue
an episode after a restart (per-aircraft rule state and recent track), the
notification log that stops a notification being produced twice, and the feed clock.
Two implementations: `MemoryStore` (embedded default) and `RedisStore`.
"""

from __future__ import annotations

from typing import Protocol


class StoreError(RuntimeError):
    """The store could not be reached or answered badly."""


class Store(Protocol):
    async def ping(self) -> bool:
        """True when the store answers."""
        ...

    async def load_aircraft(self, hex_: str) -> bytes | None:
        """The saved engine state of one aircraft, or None."""
        ...

    async def load_track(self, hex_: str) -> list[bytes]:
        """The saved track points of one aircraft, oldest first."""
        ...

    async def save_aircraft(
        self,
        hex_: str,
        state: bytes,
        new_points: list[bytes],
        *,
        max_points: int,
        ttl_s: int,
    ) -> None:
        """Atomically replace the aircraft's state, append track points (keeping the
        newest `max_points`), refresh both expiries and mark the aircraft active."""
        ...

    async def drop_aircraft(self, hex_: str) -> None:
        """Forget an aircraft: state, track and active mark."""
        ...

    async def active_aircraft(self) -> set[str]:
        """Addresses that have saved state (expired ones may still be listed)."""
        ...

    async def claim_notification(self, notification_id: str, *, ttl_s: int) -> bool:
        """Record a notification id; False if it was already recorded (a duplicate)."""
        ...

    async def get_clock(self) -> float | None:
        """The feed time of the last fully processed snapshot."""
        ...

    async def set_clock(self, now: float) -> None: ...

    async def close(self) -> None: ...
