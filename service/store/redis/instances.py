"""`BudgetStore` and `InstanceStore` on Redis: feed budgets, the liveness heartbeat
and leases."""

from __future__ import annotations

from service.store.base import StoreError, check_budget_args, check_ttl, lease_ms
from service.store.redis.connection import RedisConnection, as_bytes

# Take a lease (SET NX PX) or, when the caller already holds it, renew it (PEXPIRE), in
# one step: a renewal can never extend a lease someone else took after ours expired.
# KEYS: lease. ARGV: holder, ttl ms. Returns 1 when the caller holds it afterwards.
ACQUIRE_LEASE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# Compare and delete: only the holder may release. KEYS: lease. ARGV: holder.
RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisInstances(RedisConnection):
    """Budget counters per (source, day), the heartbeat key and lease keys."""

    async def spend_budget(self, source: str, day: str, amount: int, *, ttl_s: int) -> int:
        """INCRBY the day's count and EXPIRE it in one MULTI/EXEC; return the new total."""
        check_budget_args(amount, ttl_s)
        key = self._keys.budget(source, day)
        async with self._guard("spend_budget"), self._client.pipeline(transaction=True) as pipe:
            pipe.incrby(key, amount)
            pipe.expire(key, ttl_s)
            total, _ = await pipe.execute()
        return int(total)

    async def budget_spent(self, source: str, day: str) -> int:
        """The day's count, 0 when never spent (or expired)."""
        key = self._keys.budget(source, day)
        async with self._guard("budget_spent"):
            value = await self._client.get(key)
        if value is None:
            return 0
        try:
            return int(value)
        except ValueError:
            raise StoreError(f"redis at {self._url}: {key} is not an integer") from None

    async def heartbeat(self, value: bytes, *, ttl_s: int) -> None:
        """SET the liveness key with EX `ttl_s`: it vanishes unless renewed in time."""
        check_ttl(ttl_s)
        async with self._guard("heartbeat"):
            await self._client.set(self._keys.alive, value, ex=ttl_s)

    async def get_heartbeat(self) -> bytes | None:
        """The liveness value, or None once it expired or was cleared."""
        async with self._guard("get_heartbeat"):
            value = await self._client.get(self._keys.alive)
        return None if value is None else as_bytes(value)

    async def clear_heartbeat(self) -> None:
        """DEL the liveness key."""
        async with self._guard("clear_heartbeat"):
            await self._client.delete(self._keys.alive)

    async def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """SET NX PX, or PEXPIRE when `holder` already has it, in one Lua step."""
        ms = lease_ms(ttl_s)
        async with self._guard("acquire_lease"):
            taken = await self._client.eval(ACQUIRE_LEASE, 1, self._keys.lease(name), holder, ms)
        return bool(taken)

    async def release_lease(self, name: str, holder: str) -> bool:
        """DEL the lease key if `holder` has it, in one Lua step."""
        async with self._guard("release_lease"):
            deleted = await self._client.eval(RELEASE_LEASE, 1, self._keys.lease(name), holder)
        return bool(deleted)
