"""The chain and the budget: an async call does a store's blocking I/O off the event loop, and a
stream that stops early is charged the text it received."""
from __future__ import annotations

import asyncio
import sqlite3
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
