"""In-process store: one dict behind a lock. For tests and single-process apps. Expired keys
are dropped when read, and all of them at most every ``purge_every`` seconds (of the budget's
clock, at the first operation after that time), so ids seen once (sessions, users) do not
pile up in a long-running process, and a purge over many keys is rare."""
from __future__ import annotations

import threading
from collections.abc import Sequence

from .base import LocalStore


class MemoryStore(LocalStore):
    def __init__(self, *, purge_every: float = 60.0) -> None:
        self.purge_every = purge_every
        self._lock = threading.Lock()
        self._next_purge = float("-inf")
        self._counters: dict[str, tuple[int, float | None]] = {}
        self._buckets: dict[str, tuple[float, float, float]] = {}

    def _transaction(self, now: float) -> _Locked:
        return _Locked(self, now)

    def _purge(self, now: float) -> None:
        self._counters = {k: v for k, v in self._counters.items() if v[1] is None or v[1] > now}
        self._buckets = {k: v for k, v in self._buckets.items() if v[2] > now}

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
        value, expires = self._counters.get(key, (0, None))
        if expires is not None and expires <= now:
            value = 0  # expired: counted again from 0
        self._counters[key] = (value + amount, None if ttl is None else now + ttl)

    def _bucket(self, key: str, now: float) -> tuple[float, float] | None:
        state = self._buckets.get(key)
        if state is None or state[2] <= now:
            return None
        return state[0], state[1]

    def _set_bucket(self, key: str, level: float, ts: float, ttl: int, now: float) -> None:
        self._buckets[key] = (level, ts, now + ttl)


class _Locked:
    """The store's lock held, expired keys purged first when they are due (a plain class: a
    generator's context manager took about 1 µs more, of a reserve and settle's 50)."""

    __slots__ = ("now", "store")

    def __init__(self, store: MemoryStore, now: float) -> None:
        self.store, self.now = store, now

    def __enter__(self) -> None:
        store = self.store
        store._lock.acquire()
        try:
            if self.now >= store._next_purge:
                store._purge(self.now)
                store._next_purge = self.now + store.purge_every
        except BaseException:
            store._lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        self.store._lock.release()
