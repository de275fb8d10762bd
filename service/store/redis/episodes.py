"""`EpisodeStore` on Redis: the notification log (claimed together with the outbox
entries, in one Lua step), the recent notifications and the open episodes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.store.base import check_save_args, check_ttl
from service.store.records import OutboxItem, item_encoder
from service.store.redis.connection import RedisConnection, as_bytes

# Claim an id and enqueue its entries in one step: a crash can never leave a claimed
# notification that nobody will deliver. KEYS: notified, seq, queue, items.
# ARGV: ttl, then field/blob pairs.
CLAIM_AND_ENQUEUE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
for i = 2, #ARGV, 2 do
  local order = redis.call('INCR', KEYS[2])
  redis.call('ZADD', KEYS[3], order, ARGV[i])
  redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
end
return 1
"""


class RedisEpisodes(RedisConnection):
    """Notification ids (SET NX EX), the recent list and the episodes hash."""

    async def claim_notification(
        self, notification_id: str, *, ttl_s: int, outbox: Sequence[OutboxItem] = ()
    ) -> bool:
        """Record the id (SET NX EX) and enqueue `outbox` in one Lua step; False (nothing
        enqueued) if it was already recorded.

        Atomic across processes: of several instances claiming one id, exactly one wins.
        """
        check_ttl(ttl_s)
        keys = self._keys
        argv: list[Any] = [ttl_s]
        for item in outbox:
            argv += [item.key, item_encoder.encode(item)]
        async with self._guard("claim_notification"):
            won = await self._client.eval(
                CLAIM_AND_ENQUEUE,
                4,
                keys.notified(notification_id),
                keys.outbox_seq,
                keys.outbox_queue,
                keys.outbox_items,
                *argv,
            )
        return bool(won)

    async def record_notification(
        self, fingerprint: str, payload: bytes, *, resolved: bool, keep: int, ttl_s: int
    ) -> None:
        """LPUSH + LTRIM the recent list and HSET (or HDEL when resolved) the episode,
        refreshing both expiries, in one MULTI/EXEC."""
        check_save_args(keep, ttl_s)
        recent, episodes = self._keys.recent, self._keys.episodes
        async with (
            self._guard("record_notification"),
            self._client.pipeline(transaction=True) as pipe,
        ):
            pipe.lpush(recent, payload)
            pipe.ltrim(recent, 0, keep - 1)
            pipe.expire(recent, ttl_s)
            if resolved:
                pipe.hdel(episodes, fingerprint)
            else:
                pipe.hset(episodes, fingerprint, payload)
            pipe.expire(episodes, ttl_s)
            await pipe.execute()

    async def recent_notifications(self, limit: int) -> list[bytes]:
        """Up to `limit` recorded payloads, newest first."""
        if limit < 1:
            return []
        async with self._guard("recent_notifications"):
            values = await self._client.lrange(self._keys.recent, 0, limit - 1)
        return [as_bytes(v) for v in values]

    async def open_episodes(self) -> dict[str, bytes]:
        """fingerprint -> latest payload of every open episode."""
        async with self._guard("open_episodes"):
            fields = await self._client.hgetall(self._keys.episodes)
        return {as_bytes(k).decode(): as_bytes(v) for k, v in fields.items()}
