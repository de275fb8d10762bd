"""`SilenceStore` on Redis: silences (one hash, no TTL) and acknowledgements (EX)."""

from __future__ import annotations

import msgspec

from service.store.records import Silence, silence_decoder
from service.store.redis.connection import RedisConnection, as_bytes


class RedisSilences(RedisConnection):
    """Silences by id and one acknowledgement key per episode."""

    async def add_silence(self, silence: Silence) -> None:
        """HSET the silence by id."""
        async with self._guard("add_silence"):
            await self._client.hset(self._keys.silences, silence.id, msgspec.json.encode(silence))

    async def silences(self) -> list[Silence]:
        """Every silence, expired ones included."""
        async with self._guard("silences"):
            blobs = await self._client.hvals(self._keys.silences)
        return [silence_decoder.decode(blob) for blob in blobs]

    async def prune_silences(self, ended_before: float) -> int:
        """HDEL the silences that ended before `ended_before`."""
        old = [s.id for s in await self.silences() if s.until < ended_before]
        if not old:
            return 0
        async with self._guard("prune_silences"):
            return int(await self._client.hdel(self._keys.silences, *old))

    async def acknowledge(self, episode_fingerprint: str, record: bytes, *, ttl_s: int) -> None:
        """SET the ack key with EX `ttl_s`."""
        async with self._guard("acknowledge"):
            await self._client.set(self._keys.ack(episode_fingerprint), record, ex=ttl_s)

    async def acknowledged(self, episode_fingerprint: str) -> bytes | None:
        """The acknowledgement record, or None."""
        async with self._guard("acknowledged"):
            value = await self._client.get(self._keys.ack(episode_fingerprint))
        return None if value is None else as_bytes(value)
