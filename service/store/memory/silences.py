"""`SilenceStore` in process memory: silences and acknowledgements."""

from __future__ import annotations

from collections.abc import Callable

from service.store.memory.expiring import Expiring
from service.store.records import Silence


class MemorySilences:
    """Mixed into `MemoryStore`; `_clock` measures TTLs."""

    _clock: Callable[[], float]

    def _init_silences(self) -> None:
        self._silences: dict[str, Silence] = {}
        self._acks: Expiring[bytes] = Expiring()

    def _sweep_silences(self, now: float) -> None:
        self._acks.sweep(now)

    async def add_silence(self, silence: Silence) -> None:
        """Store or replace a silence."""
        self._silences[silence.id] = silence

    async def silences(self) -> list[Silence]:
        """Every silence, expired ones included."""
        return list(self._silences.values())

    async def prune_silences(self, ended_before: float) -> int:
        """Forget silences that ended before `ended_before`."""
        old = [key for key, silence in self._silences.items() if silence.until < ended_before]
        for key in old:
            del self._silences[key]
        return len(old)

    async def acknowledge(self, episode_fingerprint: str, record: bytes, *, ttl_s: int) -> None:
        """Mark an episode acknowledged for `ttl_s` clock seconds."""
        self._acks.put(episode_fingerprint, record, self._clock() + ttl_s)

    async def acknowledged(self, episode_fingerprint: str) -> bytes | None:
        """The acknowledgement record, or None."""
        return self._acks.get(episode_fingerprint, self._clock())
