"""Reading OpenAI and Anthropic shapes, as dicts and as attribute objects, without the SDKs."""
from __future__ import annotations

from types import SimpleNamespace as NS

from guardlayer.providers import chunk_text, is_stream, text_of, unreadable, usage_of, with_text
from guardlayer.report import Usage


def openai_object(content):
    return NS(model="gpt-4o", choices=[NS(message=NS(role="assistant", content=content))],
              usage=NS(prompt_tokens=10, completion_tokens=4, total_tokens=14))


def test_openai_object_read_and_replaced_in_a_copy():
    resp = openai_object("hello")
    assert text_of(resp) == "hello" and usage_of(resp) == Usage(10, 4)
    new = with_text(resp, "bye")
    assert text_of(new) == "bye" and text_of(resp) == "hello"


def test_the_logprobs_of_a_replaced_text_are_dropped():
    tokens = {"content": [{"token": "jane"}, {"token": "@example.com"}]}
    resp = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "jane@example.com"},
                         "logprobs": tokens}]}
    new = with_text(resp, "<EMAIL_ADDRESS>")
    assert new["choices"][0]["logprobs"] is None and resp["choices"][0]["logprobs"] is tokens
    obj = NS(choices=[NS(message=NS(role="assistant", content="jane@example.com"), logprobs=tokens)])
    assert with_text(obj, "<EMAIL_ADDRESS>").choices[0].logprobs is None


def test_tool_call_only_answer_has_no_text_and_keeps_its_calls_when_given_one():
    resp = {"choices": [{"message": {"content": None, "tool_calls": [{"id": "1"}]}}]}
    assert text_of(resp) is None
    new = with_text(resp, "x")
    assert text_of(new) == "x" and new["choices"][0]["message"]["tool_calls"] == [{"id": "1"}]
    assert text_of(resp) is None
    assert with_text({"output_text": "a"}, "x") == "x"  # a shape without a place for text


def test_anthropic_object_with_several_blocks():
    resp = NS(content=[NS(type="text", text="a"), NS(type="tool_use", id="t"), NS(type="text", text="b")],
              usage=NS(input_tokens=3, output_tokens=2))
    assert text_of(resp) == "ab" and usage_of(resp) == Usage(3, 2)
    new = with_text(resp, "c")
    assert text_of(new) == "c" and new.content[1].type == "tool_use"


def test_chunks_and_streams():
    assert chunk_text(NS(choices=[NS(delta=NS(content="x"))])) == "x"
    assert chunk_text(NS(choices=[NS(delta=NS(content=None))])) == ""
    assert chunk_text({"type": "content_block_delta", "delta": {"type": "text_delta", "text": "y"}}) == "y"
    assert chunk_text({"type": "message_stop"}) == ""
    assert is_stream(iter(["a"])) and not is_stream("a") and not is_stream({"a": 1})


def test_a_bare_message_of_tool_calls_is_read_and_keeps_its_calls():
    message = {"role": "assistant", "content": None,
               "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
    assert unreadable(message) is None and not text_of(message)
    changed = with_text(message, "(AI generated)")
    assert changed == {**message, "content": "(AI generated)"} and message["content"] is None
