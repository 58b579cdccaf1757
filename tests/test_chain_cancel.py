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


async def _cancel_again_and_again(task: asyncio.Task) -> None:
    await asyncio.sleep(0.05)
    for _ in range(30):
        task.cancel()
        await asyncio.sleep(0.001)
    await asyncio.wait([task])


@pytest.mark.parametrize("timeout", [None, 30])
async def test_a_stream_given_up_on_is_closed_to_the_end(timeout) -> None:
    closed: list[str] = []
    chunks, _ = _provider(closed)

    @guarded(timeout=timeout)
    async def ask(prompt: str):
        return chunks()

    async def reader() -> None:
        async for _ in await ask("q"):
            pass

    await _cancel_again_and_again(asyncio.create_task(reader()))
    await asyncio.sleep(0.05)
    assert closed == ["stream"]


@pytest.mark.parametrize("timeout", [None, 30])
async def test_a_call_given_up_on_is_closed_to_the_end(timeout) -> None:
    closed: list[str] = []
    _, answer = _provider(closed)
    ask = guarded(timeout=timeout)(answer)
    await _cancel_again_and_again(asyncio.create_task(ask("q")))
    await asyncio.sleep(0.05)
    assert closed == ["call"]
