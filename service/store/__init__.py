"""State store: in-process (embedded default) or Redis."""

from __future__ import annotations

from service.store.base import (
    AircraftSave,
    BudgetStore,
    EpisodeStore,
    InstanceStore,
    OutboxStore,
    SilenceStore,
    Store,
    StoreError,
    StoreHooks,
    TrackStore,
)
from service.store.keys import DEFAULT_PREFIX, KeySpace
from service.store.memory import MemoryStore
from service.store.redis import RedisStore, redact_url

__all__ = [
    "DEFAULT_PREFIX",
    "AircraftSave",
    "BudgetStore",
    "EpisodeStore",
    "InstanceStore",
    "KeySpace",
    "MemoryStore",
    "OutboxStore",
    "RedisStore",
    "SilenceStore",
    "Store",
    "StoreError",
    "StoreHooks",
    "TrackStore",
    "open_store",
    "redact_url",
]


def open_store(
    redis_url: str | None, prefix: str = DEFAULT_PREFIX, hooks: StoreHooks | None = None
) -> Store:
    """A `RedisStore` for a (non-empty) URL, else a `MemoryStore` (state lost on exit).

    Nothing connects yet; call `ping()` to check Redis. `prefix` only applies to Redis:
    a memory store belongs to one process and needs no namespace. `hooks` hear the
    outcome of every Redis operation (the memory store never fails).
    """
    if redis_url:
        return RedisStore(redis_url, prefix=prefix, hooks=hooks)
    return MemoryStore()
