"""Assembling the tool calls of a stream from their fragments (OpenAI chunks, Anthropic events)."""
from __future__ import annotations

from typing import Any

import pytest

from guardlayer.errors import ConfigError
from guardlayer.providers.stream_tools import StreamedCalls
from guardlayer.providers.tools import tool_calls


def assembled(chunks: list[Any], text: str = "") -> list[tuple[Any, ...]]:
    calls = StreamedCalls()
    for chunk in chunks:
        calls.feed(chunk)
    return [(c.index, c.id, c.name, c.parsed) for c in tool_calls(calls.response(text))]


def delta(**fields: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": fields}]}


def test_text_alone_assembles_no_call() -> None:
    calls = StreamedCalls()
    for chunk in ["plain text", delta(role="assistant", content="Hi"), {"type": "message_stop"}]:
        calls.feed(chunk)
    assert not calls and tool_calls(calls.response("Hi")) == []


def test_a_legacy_function_call_is_assembled() -> None:
    chunks = [delta(role="assistant", function_call={"name": "fetch", "arguments": ""}),
              delta(function_call={"arguments": '{"url": '}),
              delta(function_call={"arguments": '"https://example.com/"}'})]
    assert assembled(chunks) == [(0, None, "fetch", {"url": "https://example.com/"})]


@pytest.mark.parametrize("index", [None, 0])
def test_calls_a_server_numbers_alike_are_told_apart_by_id(index: int | None) -> None:
    """Some OpenAI-compatible servers send no index, or 0 for every parallel call."""
    def call(**part: Any) -> dict[str, Any]:
        return delta(tool_calls=[part if index is None else {"index": index, **part}])

    chunks = [call(id="a", type="function", function={"name": "x", "arguments": '{"q": '}),
              call(function={"arguments": "1}"}),
              call(id="b", type="function", function={"name": "y", "arguments": '{"r"'}),
              call(id="b", function={"arguments": ": 2}"})]
    assert assembled(chunks) == [(0, "a", "x", {"q": 1}), (1, "b", "y", {"r": 2})]


@pytest.mark.parametrize("input,fragments,expected", [
    ({"host": "example.com"}, [], {"host": "example.com"}),  # input given whole at the start
    ({}, [], {}),  # a tool without arguments
    ({}, ['{"host": ', '"example.org"}'], {"host": "example.org"}),
])
def test_an_anthropic_tool_use_takes_its_fragments_else_its_input(
        input: dict[str, Any], fragments: list[str], expected: dict[str, Any]) -> None:
    chunks = [{"type": "content_block_start", "index": 1,
               "content_block": {"type": "tool_use", "id": "t1", "name": "ping", "input": input}}]
    chunks += [{"type": "content_block_delta", "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": f}} for f in fragments]
    assert assembled([*chunks, {"type": "content_block_stop", "index": 1}]) == [(0, "t1", "ping", expected)]


def test_arguments_for_a_block_that_opened_no_tool_call_are_refused() -> None:
    chunk = {"type": "content_block_delta", "index": 3,
             "delta": {"type": "input_json_delta", "partial_json": '{"path": "/"}'}}
    with pytest.raises(ConfigError, match="opened no tool_use block"):
        StreamedCalls().feed(chunk)


def test_a_tool_the_provider_runs_is_skipped_as_in_an_answer_not_streamed() -> None:
    server = [{"type": "content_block_start", "index": 1,
               "content_block": {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}}},
              {"type": "content_block_delta", "index": 1,
               "delta": {"type": "input_json_delta", "partial_json": '{"query": "weather"}'}},
              {"type": "content_block_stop", "index": 1}]
    block = {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {"query": "weather"}}
    assert assembled(server) == [] == tool_calls({"content": [block]})
