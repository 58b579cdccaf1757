"""A cancelled async call (a client gone) cancels the provider's call once and lets its clean-up
run to the end, even when the server cancels the task again and again (as ASGI servers do), so
the provider's connection is closed, with or without a chain timeout."""
from __future__ import annotations

import asyncio

import pytest

from guardlayer import guarded


def _provider(closed: list[str]):
    async def chunks():
        try:
            for i in range(1000):
                await asyncio.sleep(0.005)
                yield f"part {i} "
        finally:  # closing the connection takes a few awaits
            for _ in range(3):
                await asyncio.sleep(0.005)
            closed.append("stream")

    async def answer(prompt: str) -> str:
        try:
            await asyncio.sleep(10)
            return "late"
        finally:
            for _ in range(3):
                await asyncio.sleep(0.005)
            closed.append("call")

    return chunks, answer


async def _cancel_again_and_again(task: asyncio.Task, closed: list[str], started: asyncio.Event) -> None:
    await asyncio.wait_for(started.wait(), 5)
    for _ in range(30):
        task.cancel()
        await asyncio.sleep(0.001)
    await asyncio.wait([task])
    for _ in range(100):  # its clean-up ran to the end (not cut by the next cancellation)
        if closed:
            return
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("timeout", [None, 30])
async def test_a_stream_given_up_on_is_closed_to_the_end(timeout) -> None:
    closed: list[str] = []
    chunks, _ = _provider(closed)

    @guarded(timeout=timeout)
    async def ask(prompt: str):
        return chunks()

    started = asyncio.Event()

    async def reader() -> None:
        async for _ in await ask("q"):
            started.set()

    await _cancel_again_and_again(asyncio.create_task(reader()), closed, started)
    assert closed == ["stream"]


@pytest.mark.parametrize("timeout", [None, 30])
async def test_a_call_given_up_on_is_closed_to_the_end(timeout) -> None:
    closed: list[str] = []
    _, answer = _provider(closed)
    started = asyncio.Event()

    async def calling(prompt: str) -> str:
        started.set()
        return await answer(prompt)

    await _cancel_again_and_again(asyncio.create_task(guarded(timeout=timeout)(calling)("q")), closed, started)
    assert closed == ["call"]


@pytest.mark.parametrize("timeout", [None, 30])
async def test_a_provider_that_ignores_cancellation_is_left_after_its_clean_up_time(monkeypatch, timeout) -> None:
    import guardlayer.chain

    monkeypatch.setattr(guardlayer.chain, "CLEANUP_SECONDS", 0.2)

    async def stubborn(prompt: str) -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await asyncio.sleep(10)  # a connection that never closes
        return "late"

    task = asyncio.create_task(guarded(timeout=timeout)(stubborn)("q"))
    await asyncio.sleep(0.05)
    started = asyncio.get_running_loop().time()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert asyncio.get_running_loop().time() - started < 2
