"""The limit holds on everything a call sends: a system prompt or instructions given as an
argument, earlier assistant turns and tool calls among a Responses ``input``, and tool definitions
count; truncation still cuts only untrusted texts, and blocks when the rest is over the limit.

The chain gives the guard the call in ``ctx.call`` (as it gives ``ctx.messages`` and
``ctx.texts``); these tests hand it over the same way, counting with o200k_base (gpt-4o)."""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from guardlayer.call import OWN_SOURCES, CallShape
from guardlayer.context import Context
from guardlayer.guards.limits import TokenLimit
from guardlayer.tokens import TiktokenCounter, count, count_messages, count_tools, load_encoding, register_model

BIG = "You are a helpful assistant. " * 400  # 2,401 tokens
QUESTION = "What is the capital of France? Answer in one word, please."


def anthropic(messages: list, system: Any = None, tools: Any = None) -> str:
    return "ok"


def responses(**kwargs: Any) -> str:
    return "ok"


def judged(guard: TokenLimit, fn: Callable[..., Any], **arguments: Any) -> list:
    """The guard's verdict on each untrusted text of the call, the call handed over as the chain
    hands it (its messages, its untrusted texts outside them, the call)."""
    call = CallShape.of(fn).bind((), arguments)
    slots = call.slots()
    ctx = Context(model="gpt-4o")
    ctx.messages, ctx.call = call.messages, call
    ctx.texts = tuple(s.text for s in slots if s.arg != call.shape.messages_arg and s.source not in OWN_SOURCES)
    verdicts = []
    for slot in slots:
        ctx.source = slot.source
        verdicts.append(guard.check(slot.text, ctx))
    return verdicts


def tokens(text: str) -> int:
    return count(text, "gpt-4o").tokens


@pytest.mark.parametrize("strategy", ["block", "truncate_tail", "drop_oldest"])
def test_an_anthropic_system_prompt_over_the_limit_blocks(strategy: str) -> None:
    guard = TokenLimit(1000, model="gpt-4o", strategy=strategy)
    verdicts = judged(guard, anthropic, messages=[{"role": "user", "content": "hi"}], system=BIG)
    assert verdicts and not any(v.passed for v in verdicts)
    assert "own text" in verdicts[-1].reason and verdicts[-1].meta["beside"] > 2400


def test_responses_instructions_and_earlier_assistant_turns_count() -> None:
    guard = TokenLimit(1000, model="gpt-4o")
    assert not any(v.passed for v in judged(guard, responses, model="gpt-4o", instructions=BIG, input="hi"))
    items = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": BIG},
             {"role": "user", "content": "and?"}]
    verdicts = judged(guard, responses, model="gpt-4o", input=items)
    assert not verdicts[-1].passed and verdicts[-1].meta["tokens"] > 2400
    call_item = {"type": "function_call", "call_id": "c", "name": "f", "arguments": json.dumps({"q": BIG})}
    verdicts = judged(guard, responses, model="gpt-4o",
                      input=[items[0], call_item, {"type": "function_call_output", "call_id": "c", "output": "ok"}])
    assert not verdicts[-1].passed


def test_tool_definitions_count_as_an_estimate() -> None:
    tools = [{"type": "function", "function": {"name": f"tool_{i}", "description": "does a thing " * 100}}
             for i in range(10)]
    guard = TokenLimit(1000, model="gpt-4o")
    (verdict,) = judged(guard, anthropic, messages=[{"role": "user", "content": "hi"}], tools=tools)
    assert not verdict.passed and verdict.meta["exact"] is False
    assert verdict.meta["beside"] == count_tools(tools, "gpt-4o").tokens > 3000
    (verdict,) = judged(TokenLimit(5000, model="gpt-4o"), anthropic,
                        messages=[{"role": "user", "content": "hi"}], tools=tools)
    assert verdict.passed and verdict.meta["tokens"] == verdict.meta["beside"] + count_messages(
        [{"role": "user", "content": "hi"}], "gpt-4o").tokens


@pytest.mark.parametrize("strategy", ["truncate_head", "truncate_tail", "truncate_middle"])
def test_truncation_leaves_the_system_prompt_and_cuts_the_user_text_to_what_is_left(strategy: str) -> None:
    system, question = "Answer briefly. " * 100, QUESTION * 40
    guard = TokenLimit(500, model="gpt-4o", strategy=strategy)
    messages = [{"role": "user", "content": question}]
    verdict = judged(guard, anthropic, messages=messages, system=system)[-1]
    assert verdict.passed and verdict.meta["messages"] is True
    kept = verdict.value
    own = count_messages([{"role": "system", "content": system}], "gpt-4o").tokens - 3  # less priming
    assert own + count_messages(kept, "gpt-4o").tokens <= 500 < own + count_messages(messages, "gpt-4o").tokens
    assert verdict.meta["tokens"] == own + count_messages(messages, "gpt-4o").tokens  # before the cut


def test_a_prompt_beside_instructions_is_cut_to_what_they_leave() -> None:
    guard = TokenLimit(300, model="gpt-4o", strategy="truncate_tail")
    (prompt_verdict, own_verdict) = judged(guard, responses, model="gpt-4o", input=QUESTION * 40,
                                           instructions="Answer briefly. " * 50)
    own = count_messages([{"role": "system", "content": "Answer briefly. " * 50}], "gpt-4o").tokens - 3
    assert prompt_verdict.passed and tokens(prompt_verdict.fixed) <= 300 - own
    assert own_verdict.passed and own_verdict.fixed is None  # the application's own text is never cut


def test_a_call_within_the_limit_passes_with_its_whole_count() -> None:
    guard = TokenLimit(5000, model="gpt-4o")
    (verdict, own) = judged(guard, responses, model="gpt-4o", input=QUESTION, instructions=BIG)
    assert own.passed and verdict.passed
    assert verdict.meta["tokens"] == tokens(QUESTION) + verdict.meta["beside"]


def test_a_prediction_is_not_counted_as_input() -> None:
    """Predicted Outputs (``prediction``) is what the reply may be, not input (R4's p11): a long
    one left the messages less room, and alone over the limit it blocked."""
    messages = [{"role": "user", "content": QUESTION}]
    for prediction in ({"type": "content", "content": "Paris " * 5}, {"type": "content", "content": BIG}):
        verdicts = judged(TokenLimit(1000, model="gpt-4o"), responses, messages=messages, prediction=prediction)
        assert all(v.passed for v in verdicts)
        assert verdicts[0].meta["tokens"] == count_messages(messages, "gpt-4o").tokens


class CountingCounter(TiktokenCounter):
    """o200k_base, counting how many texts it was asked to count."""

    def __init__(self) -> None:
        super().__init__(load_encoding("o200k_base"))
        self.calls = 0

    def count(self, text: str) -> int:
        self.calls += 1
        return super().count(text)


def test_the_texts_of_a_responses_input_are_counted_once_each() -> None:
    """Each of a Responses ``input``'s untrusted texts was recounted at every text the chain checked
    (R4's p18: 0.05 -> 2.86 s CPU from 100 to 800 turn pairs): each is counted a bounded number of
    times, however many there are."""
    counter = CountingCounter()
    register_model("counting-o200k", counter=counter, context_window=128_000)
    for turns in (50, 200):
        items = [item for i in range(turns) for item in (
            {"role": "user", "content": f"question {i} about Paris"},
            {"role": "assistant", "content": f"answer {i}: sunny"})]
        counter.calls = 0
        verdicts = judged(TokenLimit(10**5, model="counting-o200k"), responses, input=items)
        assert all(v.passed for v in verdicts) and len(verdicts) == 2 * turns
        assert counter.calls <= 8 * turns  # (each item's cost, each text; before: about turns squared)
