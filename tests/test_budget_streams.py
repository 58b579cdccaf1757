"""Streamed answers and the budget: an answer is priced as the model its chunks name (OpenAI's
chunks, Anthropic's message_start), and a stream cut by the per-chunk timeout is charged a guess
(the text received or the output reserved, whichever is more), marked not exact."""
from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import pytest

from guardlayer import ProviderError, guarded, last_report, scope
from guardlayer.budget import Budget
from guardlayer.testing import ProviderFailure
from guardlayer.tokens import count, model_info, register_model

PROMPT = [{"role": "user", "content": "Summarise the plot of Hamlet in one line."}]
PIECES = ["A prince ", "avenges his ", "father and ", "everyone dies."]


def _openai_chunks(model: str) -> list[dict[str, Any]]:
    chunks = [{"object": "chat.completion.chunk", "model": model,
               "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]} for p in PIECES]
    return chunks + [{"object": "chat.completion.chunk", "model": model, "choices": [],
                      "usage": {"prompt_tokens": 1200, "completion_tokens": 800, "total_tokens": 2000}}]


def _anthropic_events(model: str) -> list[dict[str, Any]]:
    start = {"type": "message_start", "message": {"type": "message", "role": "assistant", "model": model,
                                                  "content": [], "usage": {"input_tokens": 1200, "output_tokens": 1}}}
    deltas = [{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
              for p in PIECES]
    return [start, {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            *deltas, {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 800}},
            {"type": "message_stop"}]


def _first(messages: list[dict[str, str]]) -> Any:
    raise ProviderFailure(503)  # answered with an error: charged its prompt only


def _budget() -> Budget:
    return Budget([{"per": "user", "cost": 5.0, "window": "day"}], model="gpt-4o", reserve_output_tokens=300)


def _price(model: str, inp: int, out: int) -> float:
    info = model_info(model)
    assert info is not None and info.cost(inp, out) is not None
    return info.cost(inp, out)


def test_a_streamed_fallback_is_charged_at_the_price_of_the_model_its_chunks_name() -> None:
    def second(messages: list[dict[str, str]]) -> Any:
        return iter(_openai_chunks("gpt-4o-mini-2024-07-18"))  # create(model="gpt-4o-mini", stream=True)

    with scope(user="ann"):
        assert "".join(guarded(retries=0, budget=_budget(), fallback=[second])(_first)(PROMPT)) == "".join(PIECES)
    call = last_report().extra["budget"]["call"]
    first = call["input_tokens"] - 1200  # the 503: its messages, counted at gpt-4o's price
    assert call["cost"] == pytest.approx(_price("gpt-4o", first, 0) + _price("gpt-4o-mini", 1200, 800), abs=2e-6)
    assert last_report().attempts[-1].model == "gpt-4o-mini-2024-07-18"


async def test_an_anthropic_stream_is_charged_at_the_price_of_the_model_its_message_start_names() -> None:
    family = f"zeta-{uuid.uuid4().hex[:6]}"  # the price table is global: a family of this test's own
    register_model(family, context_window=100_000, input_price=1.0, output_price=2.0)

    async def second(messages: list[dict[str, str]]) -> Any:
        for event in _anthropic_events(f"{family}-20250514"):
            yield event

    async def first(messages: list[dict[str, str]]) -> Any:
        raise ProviderFailure(503)

    ask = guarded(retries=0, budget=_budget(), fallback=[second])(first)
    with scope(user="bo"):
        assert "".join([p async for p in await ask(PROMPT)]) == "".join(PIECES)
    call = last_report().extra["budget"]["call"]
    assert call["output_tokens"] == 800
    assert call["cost"] == pytest.approx(_price("gpt-4o", call["input_tokens"] - 1200, 0) + 0.0012 + 0.0016, abs=2e-6)


def _expected_cut(call: dict[str, Any], received: str) -> None:
    assert call["output_tokens"] == max(300, count(received, "gpt-4o").tokens) and call["exact"] is False
    assert call["input_tokens"] == count(PROMPT[0]["content"], "gpt-4o").tokens + 7  # (chat overhead)


def test_a_stream_cut_by_the_chunk_timeout_is_charged_a_guess() -> None:
    never = threading.Event()

    def stalls(messages: list[dict[str, str]]) -> Any:
        yield from PIECES[:2]
        never.wait(5)  # the provider stops sending
        yield PIECES[2]

    got: list[str] = []
    try:
        with scope(user="cy"), pytest.raises(ProviderError, match="no chunk within"):
            got.extend(guarded(retries=0, timeout=0.2, budget=_budget())(stalls)(PROMPT))  # (kept as read)
    finally:
        never.set()
    assert "".join(got) == "".join(PIECES[:2])
    _expected_cut(last_report().extra["budget"]["call"], "".join(PIECES[:2]))
    assert "no chunk within" in (last_report().attempts[-1].error or "")


async def test_an_async_stream_cut_by_the_chunk_timeout_is_charged_a_guess() -> None:
    async def stalls(messages: list[dict[str, str]]) -> Any:
        for piece in PIECES[:2]:
            yield piece
        await asyncio.sleep(5)
        yield PIECES[2]

    got: list[str] = []
    with scope(user="di"), pytest.raises(ProviderError, match="no chunk within"):
        async for piece in guarded(retries=0, timeout=0.2, budget=_budget())(stalls)(PROMPT):
            got.append(piece)
    assert "".join(got) == "".join(PIECES[:2])
    _expected_cut(last_report().extra["budget"]["call"], "".join(PIECES[:2]))


def test_an_anthropic_stream_cut_after_message_start_is_charged_a_guess_not_its_first_report() -> None:
    # message_start says 1 output token: a report made before the answer, not of it
    never = threading.Event()

    def stalls(messages: list[dict[str, str]]) -> Any:
        events = _anthropic_events("claude-sonnet-4-20250514")
        yield from events[:3]  # message_start, the block's start, one text delta
        never.wait(5)
        yield from events[3:]

    budget = Budget([{"per": "user", "tokens": 100_000, "window": "day"}], model="gpt-4o", reserve_output_tokens=300)
    try:
        with scope(user="cy"), pytest.raises(ProviderError):
            list(guarded(retries=0, timeout=0.2, budget=budget)(stalls)(PROMPT))
    finally:
        never.set()
    call = last_report().extra["budget"]["call"]
    assert (call["input_tokens"], call["output_tokens"], call["exact"]) == (1200, 300, False)


def test_a_stream_that_finished_then_lost_its_connection_is_charged_as_reported() -> None:
    def answer(messages: list[dict[str, str]]) -> Any:
        yield from _openai_chunks("gpt-4o")[:-1]
        yield {"object": "chat.completion.chunk", "model": "gpt-4o",
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        raise ProviderFailure(502)  # the connection drops before [DONE]

    budget = Budget([{"per": "user", "tokens": 100_000, "window": "day"}], model="gpt-4o", reserve_output_tokens=4000)
    with scope(user="ed"), pytest.raises(ProviderError):
        list(guarded(retries=0, budget=budget)(answer)(PROMPT))
    call = last_report().extra["budget"]["call"]
    assert call["output_tokens"] == count("".join(PIECES), "gpt-4o").tokens
    assert call["exact"] is True
