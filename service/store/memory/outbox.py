"""`OutboxStore` in process memory: pending entries, dead letters and the sent log.

Nothing here awaits, so each method is atomic like its Redis counterpart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from service.store.memory.expiring import Expiring
from service.store.records import OutboxItem, fresh


class MemoryOutbox:
    """Mixed into `MemoryStore`; `_clock` measures TTLs."""

    _clock: Callable[[], float]

    def _init_outbox(self) -> None:
        # Insertion order is enqueue order, as the Redis zset's counter score is.
        self._queue: dict[str, OutboxItem] = {}
        self._dead: dict[str, OutboxItem] = {}
        self._sent: Expiring[bool] = Expiring()

    def _sweep_outbox(self, now: float) -> None:
        self._sent.sweep(now)

    def _enqueue(self, items: Sequence[OutboxItem]) -> None:
        for item in items:
            self._queue[item.key] = item

    async def outbox_pending(self, limit: int = 1000) -> list[OutboxItem]:
        """Up to `limit` pending entries, oldest enqueued first."""
        return list(self._queue.values())[:limit]

    async def outbox_depth(self) -> int:
        """How many entries are pending."""
        return len(self._queue)

    async def outbox_update(self, item: OutboxItem) -> None:
        """Save retry state of a still-pending entry, keeping its place in the order."""
        if item.key in self._queue:
            self._queue[item.key] = item

    async def outbox_done(self, item: OutboxItem, *, sent_ttl_s: int, sent: bool = True) -> None:
        """Remove the entry and, when `sent`, record it in the receiver's sent log."""
        self._queue.pop(item.key, None)
        if sent:
            self._sent.put(item.key, True, self._clock() + sent_ttl_s)

    async def outbox_bury(self, item: OutboxItem) -> None:
        """Move the entry to the dead letters."""
        self._queue.pop(item.key, None)
        self._dead[item.key] = item

    async def dead_letters(self) -> list[OutboxItem]:
        """Every dead letter."""
        return list(self._dead.values())

    async def resend_dead_letters(self, keys: Sequence[str] | None, *, now: float) -> int:
        """Re-enqueue dead letters as fresh entries (attempts and age start over)."""
        chosen = list(self._dead) if keys is None else [k for k in keys if k in self._dead]
        for key in chosen:
            self._queue[key] = fresh(self._dead.pop(key), now)
        return len(chosen)

    async def prune_dead_letters(self, dead_before: float) -> int:
        """Forget dead letters given up on before `dead_before`."""
        old = [key for key, item in self._dead.items() if item.dead_at < dead_before]
        for key in old:
            del self._dead[key]
        return len(old)

    async def was_sent(self, receiver: str, notification_id: str) -> bool:
        """True when the receiver's sent log has the id."""
        return bool(self._sent.get(f"{receiver}|{notification_id}", self._clock()))
