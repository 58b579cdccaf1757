"""The chain and the budget: an async call does a store's blocking I/O off the event loop, and a
stream that stops early is charged the text it received."""
from __future__ import annotations

import asyncio
import gc
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support import Deny

from guardlayer import Blocked, Context, guarded, last_report, scope
from guardlayer.budget import Budget
from guardlayer.stores.sqlite import SQLiteStore

LIMITS = [{"per": "user", "tokens": 1_000_000, "window": "day"}]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("phase", ["reserve", "settle"])
async def test_an_async_call_waits_for_a_locked_store_off_the_event_loop(
        tmp_path: Path, phase: str, stream: bool) -> None:
    # another writer holds the store's lock and lets go from a task on the same loop: a
    # reservation or settlement made on the loop would freeze it, that task could not run,
    # and the store would give up (StoreUnavailable) after its busy timeout
    path = tmp_path / "budget.db"
    budget = Budget(LIMITS, SQLiteStore(path, busy_timeout=5), model="gpt-4o")
    other = sqlite3.connect(path, isolation_level=None)
    order: list[str] = []
    tasks: list[asyncio.Task[None]] = []

    async def let_go() -> None:
        await asyncio.sleep(0.05)
        order.append("released")
        other.execute("COMMIT")

    def lock() -> None:
        other.execute("BEGIN IMMEDIATE")
        tasks.append(asyncio.ensure_future(let_go()))

    async def answer(prompt: str) -> str:
        order.append("model")
        if phase == "settle":
            lock()
        return "the answer"

    async def streamed(prompt: str) -> AsyncIterator[str]:
        yield await answer(prompt)

    ask = guarded(streamed if stream else answer, budget=budget)
    if phase == "reserve":
        lock()
    with scope(user="ann"):
        result = "".join([p async for p in ask("q")]) if stream else await ask("q")
        assert budget.remaining(Context())[0]["used"] > 0  # reserved and settled
    await asyncio.gather(*tasks)
    assert result == "the answer"
    assert order == (["released", "model"] if phase == "reserve" else ["model", "released"])
    assert "error" not in last_report().extra.get("budget", {})  # settled, not given up on


def stream_model(prompt: str):
    for i in range(200):
        yield "lorem ipsum "
        if i == 150:
            yield "forbidden "


@pytest.mark.parametrize("how", ["cut", "closed"])
def test_a_stream_stopped_early_is_charged_the_text_it_received(how: str) -> None:
    budget = Budget(LIMITS, "memory://", model="gpt-4o")
    ask = guarded(stream_model, budget=budget, output=[Deny("forbidden", holdback=20)])
    with scope(user="ann"):
        stream = ask("write")
        got = []
        if how == "cut":
            with pytest.raises(Blocked):
                got.extend(stream)
        else:
            got.extend(piece for _, piece in zip(range(30), stream))
            stream.close()
        used = budget.remaining(Context())[0]["used"]
    received = last_report().attempts[0].output
    assert received is not None and received.startswith("".join(got)) and len(received) > len("".join(got))
    assert used >= len(received.split())  # a word of this text is at least a token


FIRST = "the first words of the answer "
CHUNKS = [{"choices": [{"delta": {"role": "assistant"}}]},  # no text: read ahead past it
          {"choices": [{"delta": {"content": FIRST}}]},
          {"choices": [{"delta": {"content": "never read"}}]}]


async def chunks_async():
    for chunk in CHUNKS:
        yield chunk


async def ask_async(prompt: str):
    return chunks_async()


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("drop", ["close", "del"])
async def test_a_stream_dropped_unread_is_charged_the_chunks_read_ahead(tmp_path: Path, kind: str,
                                                                        drop: str) -> None:
    # the chain read the stream ahead, up to its first text, before handing it on: that text
    # was received (and paid for) even if the caller never reads a piece of it
    budget = Budget(LIMITS, f"sqlite:///{tmp_path / 'b.db'}", model="gpt-4o")
    with scope(user="ann"):
        if kind == "sync":
            stream = guarded(lambda prompt: iter(CHUNKS), budget=budget)("write")
            if drop == "close":
                stream.close()
        else:
            stream = await guarded(ask_async, budget=budget)("write")
            if drop == "close":
                await stream.aclose()
        del stream
        gc.collect()
        report = last_report()
        deadline = time.monotonic() + 5
        while "budget" not in report.extra and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # (a dropped async stream is settled by a task on the loop)
        used = budget.remaining(Context())[0]["used"]
    assert report.outcome == "abandoned" and report.attempts[0].output == FIRST
    charged = report.extra["budget"]["call"]
    assert charged["output_tokens"] >= len(FIRST.split()) and used == charged["total_tokens"]


class SlowSettle(SQLiteStore):
    """An SQLite store whose settlement takes a while (a store busy elsewhere)."""

    settled = 0

    def adjust(self, items, now, op_id):  # type: ignore[no-untyped-def]
        time.sleep(SETTLE_S)
        try:
            return super().adjust(items, now, op_id)
        finally:
            self.settled += 1


SETTLE_S = 0.3


async def beats_while(work) -> int:  # type: ignore[no-untyped-def]
    """How often a 10 ms ticker ran on the loop while ``work`` (a coroutine) went on."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(ticker())
    try:
        await work
    finally:
        beat.cancel()
    return ticks


async def test_a_cancelled_call_settles_its_budget_off_the_event_loop(tmp_path: Path) -> None:
    store = SlowSettle(tmp_path / "b.db")
    budget = Budget(LIMITS, store, model="gpt-4o")
    started = asyncio.Event()

    async def hangs(prompt: str) -> str:
        started.set()
        await asyncio.sleep(30)
        return "late"

    async def cancel_it() -> None:
        with scope(user="ann"):
            task = asyncio.create_task(guarded(hangs, budget=budget)("q"))
            await started.wait()
            start = time.perf_counter()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert time.perf_counter() - start >= SETTLE_S and store.settled == 1  # ended once settled

    assert await beats_while(cancel_it()) >= 3  # the loop went on meanwhile (settled on it: 0)


@pytest.mark.parametrize("drop", ["aclose", "del"])
async def test_a_dropped_async_stream_settles_its_budget_off_the_event_loop(tmp_path: Path,
                                                                            drop: str) -> None:
    store = SlowSettle(tmp_path / "b.db")
    budget = Budget(LIMITS, store, model="gpt-4o")

    async def drop_it() -> None:
        with scope(user="ann"):
            stream = await guarded(ask_async, budget=budget)("write")
            if drop == "aclose":
                await stream.aclose()
            del stream
            gc.collect()
            deadline = time.monotonic() + 5
            while not store.settled and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert store.settled == 1

    assert await beats_while(drop_it()) >= 3
