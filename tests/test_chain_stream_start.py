"""A stream that fails before its first chunk has sent nothing: it is retried and falls back
like a call that fails outright (sync and async)."""
from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator

import pytest
from support import LiveUpper

from guardlayer import Backoff, ProviderError, guarded, last_report
from guardlayer.testing import ProviderFailure

FAST = Backoff(initial=0.001, max=0.01)


def failing_stream(calls: list[int]) -> Iterator[str]:
    calls.append(1)
    raise ProviderFailure(529, "overloaded_error")
    yield "never"


async def failing_async_stream(calls: list[int]) -> AsyncIterator[str]:
    calls.append(1)
    raise ProviderFailure(529, "overloaded_error")
    yield "never"


def second(prompt: str) -> Iterator[str]:
    yield from ["from the ", "second model"]


async def second_async(prompt: str) -> AsyncIterator[str]:
    for piece in ["from the ", "second model"]:
        yield piece


def test_a_stream_failing_before_its_first_chunk_is_retried_then_falls_back() -> None:
    calls: list[int] = []
    ask = guarded(lambda prompt: failing_stream(calls), retries=2, backoff=FAST, fallback=[second],
                  output=[LiveUpper()])
    assert "".join(ask("q")) == "FROM THE SECOND MODEL"
    assert len(calls) == 3
    report = last_report()
    assert [a.kind for a in report.attempts] == ["call", "retry", "retry", "fallback"]
    assert report.fallback == "second" and report.outcome == "fallback"


async def test_an_async_stream_failing_before_its_first_chunk_is_retried_then_falls_back() -> None:
    calls: list[int] = []

    async def ask_model(prompt: str) -> AsyncIterator[str]:
        return failing_async_stream(calls)

    ask = guarded(ask_model, retries=2, backoff=FAST, fallback=[second_async], output=[LiveUpper()])
    assert "".join([piece async for piece in await ask("q")]) == "FROM THE SECOND MODEL"
    assert len(calls) == 3
    assert [a.kind for a in last_report().attempts] == ["call", "retry", "retry", "fallback"]


def test_a_retry_that_streams_serves_the_whole_answer_first_chunk_included() -> None:
    calls: list[int] = []

    def flaky(prompt: str) -> Iterator[str]:
        return failing_stream(calls) if not calls else iter(["one ", "two"])

    assert list(guarded(flaky, backoff=FAST)("q")) == ["one ", "two"]
    assert [a.kind for a in last_report().attempts] == ["call", "retry"]


def test_a_stream_that_fails_early_is_closed() -> None:
    closed = []

    class Upstream:  # an SDK stream: iterating raises, close() frees the connection
        def __iter__(self) -> Upstream:
            return self

        def __next__(self) -> str:
            raise ProviderFailure(503)

        def close(self) -> None:
            closed.append(True)

    with pytest.raises(ProviderError):
        guarded(lambda prompt: Upstream(), retries=1, backoff=FAST)("q")
    assert closed == [True, True]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_the_fallback_value_of_a_streamed_call_is_a_stream(mode: str) -> None:
    calls: list[int] = []
    if mode == "sync":
        stream = guarded(lambda prompt: failing_stream(calls), retries=0, fallback="Sorry.")("q")
        assert list(stream) == ["Sorry."]
    else:
        async def ask_model(prompt: str) -> AsyncIterator[str]:
            return failing_async_stream(calls)

        stream = await guarded(ask_model, retries=0, fallback="Sorry.")("q")
        assert [piece async for piece in stream] == ["Sorry."]
    report = last_report()
    assert report.fallback == "value" and report.attempts[0].output is None


def test_the_timeout_bounds_the_wait_for_the_first_chunk_and_retries_it() -> None:
    hang, closed = threading.Event(), threading.Event()

    def silent(prompt: str) -> Iterator[str]:
        try:
            hang.wait(30)
            yield "late"
        finally:
            closed.set()

    try:
        stream = guarded(silent, timeout=0.02, retries=1, backoff=FAST, fallback=[second])("q")
        assert "".join(stream) == "from the second model"
        assert [a.error.split(":")[0] for a in last_report().attempts[:2]] == ["CallTimeout"] * 2
    finally:
        hang.set()
    assert closed.wait(10)  # the streams given up on are closed once their chunk arrives


def test_an_empty_stream_is_still_a_stream() -> None:
    assert list(guarded(lambda prompt: iter(()), output=[LiveUpper()])("q")) == []
