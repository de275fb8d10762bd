"""`EpisodeStore` in process memory: the notification log, recent notifications and
open episodes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from service.store.base import check_save_args, check_ttl
from service.store.memory.expiring import Expiring
from service.store.records import OutboxItem


class MemoryEpisodes:
    """Mixed into `MemoryStore`; claiming enqueues through its outbox."""

    _clock: Callable[[], float]
    _enqueue: Callable[[Sequence[OutboxItem]], None]  # provided by MemoryOutbox

    def _init_episodes(self) -> None:
        self._notified: Expiring[bool] = Expiring()
        # Single entries under the key "" (like the Redis keys they mirror).
        self._recent: Expiring[list[bytes]] = Expiring()
        self._episodes: Expiring[dict[str, bytes]] = Expiring()

    def _sweep_episodes(self, now: float) -> None:
        self._notified.sweep(now)

    async def claim_notification(
        self, notification_id: str, *, ttl_s: int, outbox: Sequence[OutboxItem] = ()
    ) -> bool:
        """Record the id for `ttl_s` and enqueue `outbox`; False (nothing enqueued) if
        the id is already recorded (a duplicate)."""
        check_ttl(ttl_s)
        now = self._clock()
        if self._notified.get(notification_id, now):
            return False
        self._notified.put(notification_id, True, now + ttl_s)
        self._enqueue(outbox)
        return True

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
