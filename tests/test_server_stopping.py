"""The proxy's grace period when it stops (`guardlayer.server.stopping`): waits for the model
that outlast it end with `Stopped` (not retried); anything else (the block's own errors, a client
that left, the guards' work) goes on as it would. (The whole path, over HTTP with uvicorn:
test_server_serve.py.)"""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fake_openai import FakeOpenAI
from starlette.testclient import TestClient
from test_server import ASK, chain_from

from guardlayer import Verdict, register
from guardlayer.errors import CallTimeout
from guardlayer.registry import unregister
from guardlayer.server import create_app
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


class StopsMidway:
    """An output guard during whose check the proxy begins to stop, with no grace period (the
    test sets `begin`); it is judged in a worker thread while the event loop runs on."""

    name, offload = "stops-midway", True
    begin: Callable[[], None] | None = None

    def check(self, text: str, ctx: object) -> Verdict:
        assert StopsMidway.begin is not None
        StopsMidway.begin()
        time.sleep(0.2)  # (the loop's turn: a limit on the whole call would end it now)
        return Verdict.ok()


def stopping_proxy(rules: str, upstream: FakeOpenAI, tmp_path: Path) -> tuple[TestClient, Callable[[], None]]:
    """A proxy and what makes it begin to stop with no grace period (called from any thread)."""
    app = create_app(chain_from(tmp_path, rules), "http://upstream.test/v1",
                     transport=httpx.ASGITransport(app=upstream.app))
    client = TestClient(app)
    return client, lambda: client.portal.call(app.state.stopping.begin, 0)


def test_an_answer_the_model_gave_is_sent_though_the_stop_begins_while_a_guard_judges_it(tmp_path):
    register("stops-midway")(StopsMidway)
    try:
        client, stop = stopping_proxy("output:\n  - guard: stops-midway\n", FakeOpenAI(reply="Fine."), tmp_path)
        with client:
            StopsMidway.begin = stop
            response = client.post("/v1/chat/completions", json=ASK)
    finally:
        StopsMidway.begin = None
        unregister("stops-midway")
    assert response.status_code == 200 and response.json()["choices"][0]["message"]["content"] == "Fine."


def test_a_call_the_stop_cuts_while_the_model_works_is_not_retried(tmp_path):
    upstream = FakeOpenAI(delay=3600)
    client, stop = stopping_proxy("retries: 2\nbackoff: {initial: 0, max: 0}\n", upstream, tmp_path)
    answered: list[httpx.Response] = []
    with client:
        asking = threading.Thread(target=lambda: answered.append(client.post("/v1/chat/completions", json=ASK)))
        asking.start()
        for _ in range(BOUND * 100):  # until the upstream has it
            if upstream.requests:
                break
            time.sleep(0.01)
        stop()
        asking.join(BOUND)
    assert answered[0].status_code == 503 and answered[0].json()["error"]["code"] == "guardlayer_stopped"
    assert len(upstream.requests) == 1 and upstream.cancelled == 1  # cut, and not sent again
