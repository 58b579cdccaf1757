"""Timed calls run in threads of their own: the timeout measures the provider's own time, and a
provider that hangs cannot starve other calls, its fallback or other chains."""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from guardlayer import Backoff, CallTimeout, Verdict, guarded, last_report
from guardlayer.chain import STUCK_LIMIT
from guardlayer.testing import ProviderFailure

FAST = Backoff(initial=0.001, max=0.01)


def test_many_concurrent_calls_all_run_at_once_none_waits_for_a_thread() -> None:
    # each call answers only once all of them are under way: calls queued behind a fixed
    # pool of threads would never start, and the running ones would time out waiting
    many = 40
    everyone = threading.Barrier(many, timeout=10)

    @guarded(timeout=8, retries=0)
    def ask(prompt: str) -> str:
        everyone.wait()
        return "ok"

    with ThreadPoolExecutor(many) as callers:
        assert list(callers.map(ask, ["q"] * many)) == ["ok"] * many


def test_a_hung_provider_keeps_a_bounded_number_of_threads_and_starves_no_one() -> None:
    hang, started = threading.Event(), []

    def stuck(prompt: str) -> str:
        started.append(1)
        hang.wait(30)
        return "late"

    def second(prompt: str) -> str:
        return "from the second model"

    ask = guarded(stuck, timeout=0.02, retries=1, backoff=FAST, fallback=[second])
    healthy = guarded(lambda prompt: "healthy", timeout=5)
    try:
        for _ in range(STUCK_LIMIT + 5):
            assert ask("q") == "from the second model"
            assert last_report().fallback.endswith("second")
        assert len(started) == STUCK_LIMIT  # then its calls failed at once, adding no threads
        assert "still running past their timeout" in (last_report().attempts[0].error or "")
        assert healthy("q") == "healthy"
    finally:
        hang.set()
    deadline = time.monotonic() + 10
    while len(started) == STUCK_LIMIT and time.monotonic() < deadline:
        ask("q")  # its threads came back: the provider is called again
    assert len(started) > STUCK_LIMIT


def test_a_timeout_still_stops_waiting_for_a_slow_provider() -> None:
    hang = threading.Event()

    def slow(prompt: str) -> str:
        hang.wait(30)
        return "late"

    try:
        with pytest.raises(CallTimeout, match="slow did not answer within 0.02 s"):
            guarded(slow, timeout=0.02, retries=0)("q")
    finally:
        hang.set()


async def test_a_hung_sync_fallback_does_not_stall_offloaded_guard_work() -> None:
    hang = threading.Event()

    def sync_second(prompt: str) -> str:
        hang.wait(30)
        return "late"

    async def down(prompt: str) -> str:
        raise ProviderFailure(503)

    class Cheap:
        name, offload = "cheap", True

        def check(self, text: str, ctx: object) -> Verdict:
            return Verdict.ok()

    ask = guarded(down, timeout=0.02, retries=0, fallback=[sync_second, "static"])

    async def other_async(prompt: str) -> str:
        return "other"

    other = guarded(other_async, input=[Cheap()])
    try:
        for _ in range(12):  # more than the loop's default executor has threads
            assert await ask("q") == "static"
        assert await asyncio.wait_for(other("q"), 10) == "other"
    finally:
        hang.set()


def test_the_callables_own_timeout_error_is_its_error_not_the_chains_timeout() -> None:
    @guarded(timeout=5, retries=0)
    def ask(prompt: str) -> str:
        raise TimeoutError("read timed out (socket)")

    with pytest.raises(Exception) as info:
        ask("hi")
    assert "read timed out (socket)" in str(info.value) and "within 5" not in str(info.value)


async def test_an_async_callables_own_timeout_error_is_its_error_too() -> None:
    @guarded(timeout=5, retries=0)
    async def ask(prompt: str) -> str:
        raise TimeoutError("read timed out (socket)")

    def second(prompt: str) -> str:  # a sync fallback of an async call runs in a worker thread
        raise TimeoutError("second read timed out (socket)")

    @guarded(timeout=5, retries=0, fallback=[second])
    async def ask_then_second(prompt: str) -> str:
        raise ProviderFailure(503)

    for call, says in ((ask, "read timed out (socket)"), (ask_then_second, "second read timed out")):
        with pytest.raises(Exception):
            await call("hi")
        error = last_report().attempts[-1].error  # the last attempt's: the fallback's in the second
        assert says in error and "within 5" not in error and "CallTimeout" not in error, error
