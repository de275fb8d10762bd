"""A dict whose entries expire, the in-process stand-in for keys with a TTL."""

from __future__ import annotations

from typing import Generic, TypeVar

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
