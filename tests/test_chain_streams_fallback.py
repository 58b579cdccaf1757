"""Streams and fallbacks as SDKs behave: a first chunk without text, a fallback model answering a
streaming caller, and stuck threads counted per callable, not per name."""
from __future__ import annotations

import asyncio
import threading

from guardlayer import guarded, last_report
from guardlayer.chain import STUCK_LIMIT
from guardlayer.stream import GuardedAsyncStream, GuardedStream


class Overloaded(Exception):
    status_code = 529


def _second(prompt):
    return "second model answer"


def _role_then_error():
    yield {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}  # as OpenAI's first
    raise Overloaded("overloaded")


async def _async_role_then_error(prompt: str):
    async def gen():
        yield {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
        raise Overloaded("overloaded")
    return gen()


def test_a_stream_failing_after_a_chunk_without_text_is_retried_then_falls_back():
    calls = []

    @guarded(retries=2, timeout=5, fallback=[_second])
    def ask(prompt: str):
        calls.append(1)
        return _role_then_error()

    assert "".join(ask("hi")) == "second model answer"
    assert len(calls) == 3 and last_report().fallback == "_second"


def test_a_fallback_models_text_reaches_a_streaming_caller_as_a_stream():
    def ask(prompt: str):
        return _role_then_error()

    sync = guarded(ask, retries=0, fallback=[_second])("hi")
    assert isinstance(sync, GuardedStream) and "".join(sync) == "second model answer"

    async def main():
        stream = await guarded(_async_role_then_error, retries=0, fallback=[_second])("hi")
        assert isinstance(stream, GuardedAsyncStream)
        return "".join([piece async for piece in stream])

    assert asyncio.run(main()) == "second model answer"


class Completions:
    """Two clients whose methods share a name (as every SDK client's ``create`` does)."""

    def __init__(self, release: threading.Event | None) -> None:
        self.release = release

    def create(self, prompt):
        if self.release is not None:
            self.release.wait(10)
        return "answer"


def test_a_hung_client_does_not_stop_another_client_of_the_same_name():
    release = threading.Event()
    hung, healthy = Completions(release), Completions(None)
    try:
        ask = guarded(hung.create, retries=0, timeout=0.02, fallback=["busy"])
        answers = [ask(prompt="x") for _ in range(STUCK_LIMIT + 2)]
        assert answers == ["busy"] * (STUCK_LIMIT + 2)  # the hung one's calls fail over, bounded
        assert guarded(healthy.create, timeout=1)(prompt="y") == "answer"
    finally:
        release.set()
