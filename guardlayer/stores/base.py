"""The Store interface budgets run on, and the one algorithm the local stores share.

A store keeps two kinds of state, both addressed by string keys:

- counters (integers) that `Window` items sum: one key for a fixed window, one key per
  sub-bucket for a sliding one; amounts are added to the item's last key;
- token buckets (`Bucket`): a level that refills at ``rate`` per second up to ``capacity``.

`reserve` checks every item and applies all of them or none, atomically; `adjust` applies
amounts unconditionally (settling actual usage, refunds are negative); `usage` reads. Times
come from the caller's clock (``now``), so windows and buckets behave the same on every store.
The memory and SQLite stores run `LocalStore`'s Python; Redis runs the same steps in Lua.
"""
from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..errors import GuardlayerError


class StoreUnavailable(GuardlayerError):
    """The budget store cannot be reached or can no longer be trusted; the call must not
    proceed (budgets fail closed)."""


@dataclass(frozen=True, slots=True)
class Window:
    """A limit on the sum of counters ``keys``; amounts go to ``keys[-1]``, which expires
    ``ttl`` seconds from now (None: never)."""

    keys: tuple[str, ...]
    limit: int
    amount: int
    ttl: int | None


@dataclass(frozen=True, slots=True)
class Bucket:
    """A token bucket holding up to ``capacity``, refilled at ``rate`` per second; ``amount``
    is what this call takes. Its usage is ``capacity - level``."""

    key: str
    capacity: float
    rate: float
    amount: int
    ttl: int


Item = Window | Bucket


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a store did: ``used`` per item after the operation (before it, when denied), and
    the index of the first item that would have been overspent."""

    granted: bool
    used: tuple[float, ...]
    denied: int | None = None


class Store(Protocol):
    def reserve(self, items: Sequence[Item], now: float, op_id: str) -> Outcome: ...

    def adjust(self, items: Sequence[Item], now: float, op_id: str) -> Outcome: ...

    def usage(self, items: Sequence[Item], now: float) -> tuple[float, ...]: ...

    def close(self) -> None: ...


def refill(level: float, ts: float, bucket: Bucket, now: float) -> tuple[float, float]:
    """A bucket's (level, time) at ``now``. Time never runs backwards (clocks of many machines)."""
    if now <= ts:
        return level, ts
    return min(bucket.capacity, level + (now - ts) * bucket.rate), now


class LocalStore(ABC):
    """Reserve/adjust/usage written once over a few primitives run inside `_transaction`.
    ``op_id`` (which makes Redis retries safe) is not needed where a transaction either
    commits or raises."""

    @abstractmethod
    def _transaction(self, now: float) -> contextlib.AbstractContextManager[object]: ...

    @abstractmethod
    def _sum(self, keys: Sequence[str], now: float) -> int: ...

    @abstractmethod
    def _add(self, key: str, amount: int, ttl: int | None, now: float) -> None: ...

    @abstractmethod
    def _bucket(self, key: str, now: float) -> tuple[float, float] | None: ...

    @abstractmethod
    def _set_bucket(self, key: str, level: float, ts: float, ttl: int, now: float) -> None: ...

    def _current(self, items: Sequence[Item], now: float) -> list[float]:
        used: list[float] = []
        for item in items:
            if isinstance(item, Window):
                used.append(self._sum(item.keys, now))
            else:
                state = self._bucket(item.key, now) or (item.capacity, now)
                used.append(item.capacity - refill(*state, item, now)[0])
        return used

    def _apply(self, items: Sequence[Item], now: float) -> list[float]:
        for item in items:
            if isinstance(item, Window):
                if item.amount:
                    self._add(item.keys[-1], item.amount, item.ttl, now)
            else:
                level, ts = refill(*(self._bucket(item.key, now) or (item.capacity, now)), item, now)
                self._set_bucket(item.key, min(item.capacity, level - item.amount), ts, item.ttl, now)
        return self._current(items, now)

    def reserve(self, items: Sequence[Item], now: float, op_id: str = "") -> Outcome:
        with self._transaction(now):
            used = self._current(items, now)
            for i, (item, u) in enumerate(zip(items, used)):
                cap = item.limit if isinstance(item, Window) else item.capacity
                # a call whose estimate is 0 (say, output not reserved) is still refused once
                # the limit is spent
                if u + item.amount > cap or (item.amount <= 0 and u >= cap):
                    return Outcome(False, tuple(used), i)
            return Outcome(True, tuple(self._apply(items, now)))

    def adjust(self, items: Sequence[Item], now: float, op_id: str = "") -> Outcome:
        with self._transaction(now):
            return Outcome(True, tuple(self._apply(items, now)))

    def usage(self, items: Sequence[Item], now: float) -> tuple[float, ...]:
        with self._transaction(now):
            return tuple(self._current(items, now))

    def close(self) -> None:
        """Release connections (nothing to do for memory)."""
