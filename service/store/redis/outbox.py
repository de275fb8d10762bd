"""`OutboxStore` on Redis: pending entries, dead letters and the sent log.

Layout (key names in service/store/keys.py): a zset orders the pending entries by an
ever-growing enqueue counter and a hash holds them, both without TTL, so an entry
leaves Redis only when it was delivered (`outbox_done`) or buried as a dead letter.
With persistence on (compose runs Redis with appendonly) this survives a restart of
Redis as well as of the service.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.store.records import OutboxItem, fresh, item_decoder, item_encoder
from service.store.redis.connection import RedisConnection, as_bytes

# Rewrite an entry only while it is pending: an update racing a delivery must not
# resurrect it. KEYS: queue, items. ARGV: field, blob.
UPDATE_IF_PENDING = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
return 0
"""


class RedisOutbox(RedisConnection):
    """The outbox zset and hash, the dead-letter hash and the sent-log keys."""

    async def outbox_pending(self, limit: int = 1000) -> list[OutboxItem]:
        """Up to `limit` pending entries, oldest enqueued first."""
        async with self._guard("outbox_pending"):
            found = await self._client.zrange(self._keys.outbox_queue, 0, limit - 1)
            fields = [as_bytes(f) for f in found if isinstance(f, (bytes, str))]
            if not fields:
                return []
            blobs = await self._client.hmget(self._keys.outbox_items, fields)
        # A field without a blob cannot happen through this API; skip rather than crash.
        return [item_decoder.decode(blob) for blob in blobs if blob is not None]

    async def outbox_depth(self) -> int:
        """How many entries are pending."""
        async with self._guard("outbox_depth"):
            return int(await self._client.zcard(self._keys.outbox_queue))

    async def outbox_update(self, item: OutboxItem) -> None:
        """Save retry state of a still-pending entry, keeping its place in the order."""
        async with self._guard("outbox_update"):
            await self._client.eval(
                UPDATE_IF_PENDING,
                2,
                self._keys.outbox_queue,
                self._keys.outbox_items,
                item.key,
                item_encoder.encode(item),
            )

    async def outbox_done(self, item: OutboxItem, *, sent_ttl_s: int, sent: bool = True) -> None:
        """ZREM + HDEL the entry and (when `sent`) SET the sent-log key, in one MULTI/EXEC."""
        async with self._guard("outbox_done"), self._client.pipeline(transaction=True) as pipe:
            pipe.zrem(self._keys.outbox_queue, item.key)
            pipe.hdel(self._keys.outbox_items, item.key)
            if sent:
                pipe.set(self._keys.sent(item.receiver, item.id), b"1", ex=sent_ttl_s)
            await pipe.execute()

    async def outbox_bury(self, item: OutboxItem) -> None:
        """Move the entry to the dead-letter hash, in one MULTI/EXEC."""
        async with self._guard("outbox_bury"), self._client.pipeline(transaction=True) as pipe:
            pipe.zrem(self._keys.outbox_queue, item.key)
            pipe.hdel(self._keys.outbox_items, item.key)
            pipe.hset(self._keys.dead_letters, item.key, item_encoder.encode(item))
            await pipe.execute()

    async def dead_letters(self) -> list[OutboxItem]:
        """Every dead letter."""
        async with self._guard("dead_letters"):
            blobs = await self._client.hvals(self._keys.dead_letters)
        return [item_decoder.decode(blob) for blob in blobs]

    async def resend_dead_letters(self, keys: Sequence[str] | None, *, now: float) -> int:
        """Re-enqueue dead letters as fresh entries at the end of the outbox."""
        dead = {item.key: item for item in await self.dead_letters()}
        chosen = list(dead) if keys is None else [k for k in keys if k in dead]
        for key in chosen:
            item = fresh(dead[key], now)
            async with self._guard("resend_dead_letters"):
                order = await self._client.incr(self._keys.outbox_seq)
                async with self._client.pipeline(transaction=True) as pipe:
                    pipe.hset(self._keys.outbox_items, key, item_encoder.encode(item))
                    pipe.zadd(self._keys.outbox_queue, {key: order})
                    pipe.hdel(self._keys.dead_letters, key)
                    await pipe.execute()
        return len(chosen)

    async def prune_dead_letters(self, dead_before: float) -> int:
        """HDEL the dead letters given up on before `dead_before`."""
        old = [item.key for item in await self.dead_letters() if item.dead_at < dead_before]
        if not old:
            return 0
        async with self._guard("prune_dead_letters"):
            return int(await self._client.hdel(self._keys.dead_letters, *old))

    async def was_sent(self, receiver: str, notification_id: str) -> bool:
        """True when the receiver's sent log has the id."""
        async with self._guard("was_sent"):
            return bool(await self._client.exists(self._keys.sent(receiver, notification_id)))
