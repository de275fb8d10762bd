"""The delivery half of `MemoryStore`: outbox, dead letters, sent log, silences, acks.

Kept apart from the aircraft state so each module stays readable; `MemoryStore` mixes
it in. Nothing here awaits, so each method is atomic like its Redis counterpart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import msgspec

from service.store.records import OutboxItem, Silence

_T = TypeVar("_T")


class Expiring(Generic[_T]):
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


class MemoryOutbox:
    """Outbox and friends in process memory; `_clock` measures TTLs (see MemoryStore)."""

    _clock: Callable[[], float]

    def _init_outbox(self) -> None:
        # Insertion order is enqueue order, as the Redis zset's counter score is.
        self._queue: dict[str, OutboxItem] = {}
        self._dead: dict[str, OutboxItem] = {}
        self._sent: Expiring[bool] = Expiring()
        self._silences: dict[str, Silence] = {}
        self._acks: Expiring[bytes] = Expiring()

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

    async def was_sent(self, receiver: str, notification_id: str) -> bool:
        """True when the receiver's sent log has the id."""
        return bool(self._sent.get(f"{receiver}|{notification_id}", self._clock()))

    async def add_silence(self, silence: Silence) -> None:
        """Store or replace a silence."""
        self._silences[silence.id] = silence

    async def silences(self) -> list[Silence]:
        """Every silence, expired ones included."""
        return list(self._silences.values())

    async def acknowledge(self, episode_fingerprint: str, record: bytes, *, ttl_s: int) -> None:
        """Mark an episode acknowledged for `ttl_s` clock seconds."""
        self._acks.put(episode_fingerprint, record, self._clock() + ttl_s)

    async def acknowledged(self, episode_fingerprint: str) -> bytes | None:
        """The acknowledgement record, or None."""
        return self._acks.get(episode_fingerprint, self._clock())


def fresh(item: OutboxItem, now: float) -> OutboxItem:
    """A dead letter as a new pending entry: same id (the receiver can still dedupe)."""
    return msgspec.structs.replace(
        item, enqueued_at=now, attempts=0, next_at=0.0, last_error="", dead_reason="", dead_at=0.0
    )
