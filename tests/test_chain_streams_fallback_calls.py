"""A fallback model answering a streaming caller with tool calls: a stream of its text would drop
the calls unseen, so that answer is not served; the next fallback (or the fixed value) is."""
from __future__ import annotations

import asyncio

import pytest

from guardlayer import guarded, last_report
from guardlayer.errors import ProviderError

from tests.test_chain_streams_fallback import Overloaded, _async_role_then_error, _role_then_error


def _calls(prompt):
    return {"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": "Sending it now.",
        "tool_calls": [{"id": "c1", "type": "function",
                        "function": {"name": "send", "arguments": "{\"to\": \"ops\"}"}}]}}]}


def _text(prompt):
    return "second model answer"


def test_a_fallback_answer_with_tool_calls_is_passed_over_for_the_next_one():
    ask = guarded(lambda prompt: _role_then_error(), retries=0, fallback=[_calls, _text])
    assert "".join(ask("hi")) == "second model answer"
    report = last_report()
    assert report.fallback == "_text"
    assert "_calls answered with tool calls" in report.fallback_reason


def test_with_no_other_fallback_the_fixed_value_serves_or_the_call_fails():
    assert "".join(guarded(lambda prompt: _role_then_error(), retries=0, fallback=[_calls, "fixed"])("hi")) == "fixed"
    assert last_report().fallback == "value"
    with pytest.raises(ProviderError):
        "".join(guarded(lambda prompt: _role_then_error(), retries=0, fallback=[_calls])("hi"))


def test_async_streams_alike():
    async def main():
        stream = await guarded(_async_role_then_error, retries=0, fallback=[_calls, _text])("hi")
        return "".join([piece async for piece in stream]), last_report().fallback

    assert asyncio.run(main()) == ("second model answer", "_text")


def test_a_caller_that_does_not_stream_still_gets_the_calls():
    def ask(prompt: str):
        raise Overloaded("overloaded")

    answer = guarded(ask, retries=0, fallback=[_calls, _text])("hi")
    assert answer["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "send"
    assert last_report().fallback == "_calls"
