"""The proxy's grace period when it stops (`guardlayer.server.stopping`): waits for the model
that outlast it end with `Stopped`; anything else (the block's own errors, a client that left)
goes on as it would. (The whole path, over HTTP with uvicorn: test_server_serve.py.)"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from guardlayer.errors import CallTimeout
from guardlayer.server.stopping import Stopped, Stopping

BOUND = 30
"""Seconds after which a test that would otherwise wait for an hour fails (with TimeoutError)."""


async def one_then_silence() -> AsyncIterator[str]:
    """A stream whose model says one thing and then nothing more."""
    yield "Once upon a time"
    await asyncio.sleep(3600)
    yield "never"


async def test_a_stream_waiting_when_the_grace_period_ends_is_cut_after_what_it_said():
    stopping, said = Stopping(), []

    async def read() -> None:
        async for piece in stopping.each(one_then_silence()):
            said.append(piece)

    reading = asyncio.ensure_future(read())
    while not said:
        await asyncio.sleep(0)
    stopping.begin(0)
    with pytest.raises(Stopped, match="cut after its 0 s grace period"):
        async with asyncio.timeout(BOUND):
            await reading
    assert said == ["Once upon a time"]


async def test_a_call_begun_during_the_grace_period_has_only_what_is_left_of_it():
    stopping = Stopping()
    stopping.begin(0)
    stopping.begin(3600)  # (a second stop signal does not lengthen it)
    with pytest.raises(Stopped):
        async with asyncio.timeout(BOUND), stopping.bounded():
            await asyncio.sleep(3600)


async def test_a_stream_that_ends_within_the_grace_period_is_read_whole():
    async def story() -> AsyncIterator[str]:
        for piece in ("Once", " upon", " a time"):
            await asyncio.sleep(0)
            yield piece

    stopping = Stopping()
    stopping.begin(3600)
    assert [piece async for piece in stopping.each(story())] == ["Once", " upon", " a time"]


async def test_the_blocks_own_timeout_is_not_taken_for_the_stop():
    stopping = Stopping()
    with pytest.raises(CallTimeout, match="no chunk within 1 s"):
        async with stopping.bounded():
            raise CallTimeout("no chunk within 1 s")


async def test_a_client_that_left_still_cancels_the_call():
    stopping, waiting = Stopping(), asyncio.Event()

    async def call() -> None:
        async with stopping.bounded():
            waiting.set()
            await asyncio.sleep(3600)

    task = asyncio.ensure_future(call())
    await waiting.wait()
    stopping.begin(3600)
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled()
