"""A stopping proxy's grace period: calls still waiting for the model when it ends are cut with
an OpenAI-style error (an SSE error event in a stream, HTTP 503 before the answer began) rather
than left for the server to cancel, which breaks the client's connection."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

T = TypeVar("T")


class Stopped(Exception):
    """The proxy stopped before the call was answered: its grace period ended first."""


class Stopping:
    """The app's side of a server's stop. The server calls `begin` when it stops taking
    connections; waits in `bounded` blocks then end (`Stopped`) ``grace`` seconds later. Only
    the waits for the model are bounded (the relay's request and chunk reads), never the guards'
    work nor the sending of what it said."""

    def __init__(self) -> None:
        self._at: float | None = None  # (the loop's time the grace period ends, once begun)
        self._grace = 0.0
        self._open: set[asyncio.Timeout] = set()

    def begin(self, grace: float) -> None:
        """The server is stopping: open and later calls have ``grace`` seconds left."""
        if self._at is not None:
            return
        self._at, self._grace = asyncio.get_running_loop().time() + grace, grace
        for timeout in self._open:
            timeout.reschedule(self._at)

    @contextlib.asynccontextmanager
    async def bounded(self) -> AsyncIterator[None]:
        """Run the block unless the grace period ends first (then: `Stopped`)."""
        try:
            async with asyncio.timeout_at(self._at) as timeout:
                self._open.add(timeout)
                try:
                    yield
                finally:
                    self._open.discard(timeout)
        except TimeoutError:
            if not timeout.expired():
                raise  # (the block's own, a chain's CallTimeout)
            raise Stopped(f"the guard proxy stopped: the call was cut after its {self._grace:g} s "
                          "grace period; send it again") from None

    async def each(self, items: AsyncIterator[T]) -> AsyncIterator[T]:
        """``items``, each waited for in a `bounded` block (yielded outside it)."""
        while True:
            async with self.bounded():
                try:
                    item = await anext(items)
                except StopAsyncIteration:
                    return
            yield item
