"""The Redis store: state that survives a restart of the service (or of its host).

One module per concern (tracks, episodes, outbox, silences, instances), each a mixin on
the shared `RedisConnection` (connection.py: client, key space, deadline and error
mapping); `RedisStore` combines them.
"""

from __future__ import annotations

from service.store.base import Store
from service.store.redis.connection import redact_url
from service.store.redis.episodes import RedisEpisodes
from service.store.redis.instances import RedisInstances
from service.store.redis.outbox import RedisOutbox
from service.store.redis.silences import RedisSilences
from service.store.redis.tracks import RedisTracks

__all__ = ["RedisStore", "redact_url"]


class RedisStore(RedisTracks, RedisEpisodes, RedisOutbox, RedisSilences, RedisInstances, Store):
    """`Store` over redis.asyncio; instances on the same URL and prefix share all data."""
