"""`BudgetStore` and `InstanceStore` in process memory: feed budgets, the liveness
heartbeat and leases."""

from __future__ import annotations

from collections.abc import Callable

from service.store.base import check_budget_args, check_ttl, lease_ms
from service.store.memory.expiring import Expiring


class MemoryInstances:
    """Mixed into `MemoryStore`; `_clock` measures TTLs."""

    _clock: Callable[[], float]

    def _init_instances(self) -> None:
        self._alive: Expiring[bytes] = Expiring()  # the single entry ""
        self._budgets: Expiring[int] = Expiring()  # "<source>:<day>" -> spent
        self._leases: Expiring[str] = Expiring()  # name -> holder

    def _sweep_instances(self, now: float) -> None:
        self._budgets.sweep(now)

    async def spend_budget(self, source: str, day: str, amount: int, *, ttl_s: int) -> int:
        """Add `amount` to the day's count, renew its expiry, return the new total."""
        check_budget_args(amount, ttl_s)
        now = self._clock()
        key = f"{source}:{day}"
        total = (self._budgets.get(key, now) or 0) + amount
        self._budgets.put(key, total, now + ttl_s)
        return total

    async def budget_spent(self, source: str, day: str) -> int:
        """The day's count, 0 when never spent (or expired)."""
        return self._budgets.get(f"{source}:{day}", self._clock()) or 0

    async def heartbeat(self, value: bytes, *, ttl_s: int) -> None:
        """Write the liveness value; it disappears `ttl_s` clock seconds later."""
        check_ttl(ttl_s)
        self._alive.put("", value, self._clock() + ttl_s)

    async def get_heartbeat(self) -> bytes | None:
        """The liveness value, or None once it expired or was cleared."""
        return self._alive.get("", self._clock())

    async def clear_heartbeat(self) -> None:
        """Delete the liveness value."""
        self._alive.pop("")

    async def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take or renew the lease unless another holder has it and it has not expired."""
        deadline = lease_ms(ttl_s) / 1000
        now = self._clock()
        current = self._leases.get(name, now)
        if current is not None and current != holder:
            return False
        self._leases.put(name, holder, now + deadline)
        return True

    async def release_lease(self, name: str, holder: str) -> bool:
        """Drop the lease if `holder` has it."""
        if self._leases.get(name, self._clock()) != holder:
            return False
        self._leases.pop(name)
        return True
