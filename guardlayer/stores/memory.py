"""In-process store: one dict behind a lock. For tests and single-process apps."""
from __future__ import annotations

import threading
from collections.abc import Sequence

from .base import LocalStore


class MemoryStore(LocalStore):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, tuple[int, float | None]] = {}
        self._buckets: dict[str, tuple[float, float, float]] = {}

    def _transaction(self, now: float) -> threading.Lock:
        return self._lock

    def _sum(self, keys: Sequence[str], now: float) -> int:
        total = 0
        for key in keys:
            value, expires = self._counters.get(key, (0, None))
            if expires is None or expires > now:
                total += value
            else:
                del self._counters[key]
        return total

    def _add(self, key: str, amount: int, ttl: int | None, now: float) -> None:
        value = self._sum((key,), now)
        self._counters[key] = (value + amount, None if ttl is None else now + ttl)

    def _bucket(self, key: str, now: float) -> tuple[float, float] | None:
        state = self._buckets.get(key)
        if state is None or state[2] <= now:
            return None
        return state[0], state[1]

    def _set_bucket(self, key: str, level: float, ts: float, ttl: int, now: float) -> None:
        self._buckets[key] = (level, ts, now + ttl)
