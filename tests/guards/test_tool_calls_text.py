"""The tool_calls guard on answers without provider calls: text is read as calls only in the
shapes that mean calls (``text_calls``), in sync, async and streamed answers alike."""
from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest

import guardlayer.guards.tool_calls as tool_calls_module
from guardlayer import Blocked, ConfigError, guarded, last_report
from guardlayer.context import Context
from guardlayer.guards.tool_calls import ToolCallGuard

TOOLS = {"run_sql": {"schema": {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]},
                     "rules": [{"id": "no-drop", "kind": "field", "require": "sql not matches '(?i)drop'"}]}}
SHAPES = ["str", "openai", "async", "stream-str", "stream-openai", "async-stream-openai"]

# JSON answers to "list the people as JSON" and the like, and prose about the API: not calls.
PLAIN_ANSWERS = [
    '[{"name": "Bob", "age": 3}]',
    '{"name": "Bob", "age": 3}',
    '[{"name": "Ann", "role": "admin"}, {"name": "Bob", "role": "user"}]',
    '{"name": "Debate club", "arguments": ["for", "against"]}',
    '[{"name": "rm", "arguments": {"path": "/"}}]',
    "To read the calls, loop over message.tool_calls; each has function.name.",
]


def envelope(name: str, args: dict[str, Any]) -> str:
    """An OpenAI message of one call to ``name``, as the JSON a model or wrapper writes."""
    return json.dumps({"tool_calls": [{"id": "c1", "type": "function",
                                       "function": {"name": name, "arguments": json.dumps(args)}}]})


def _openai(text: str) -> dict[str, Any]:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}


def _chunks(text: str) -> list[dict[str, Any]]:
    return [{"choices": [{"index": 0, "delta": {"content": part}}]} for part in (text[:5], text[5:])]


def _anthropic_events(text: str) -> list[dict[str, Any]]:
    return [{"type": "message_start", "message": {"id": "m1", "role": "assistant", "content": [],
                                                  "usage": {"input_tokens": 5, "output_tokens": 1}}},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            *({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": part}}
              for part in (text[:5], text[5:])),
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}},
            {"type": "message_stop"}]


async def _async_chunks(chunks: list[Any]) -> AsyncIterator[Any]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


def answer_through(shape: str, text: str, guard: ToolCallGuard) -> str:
    """``text`` answered by a model of ``shape``, through a chain with ``guard``: the text the
    caller gets (raises Blocked when the guard refuses it)."""
    if shape == "str":
        return guarded(output=[guard])(lambda prompt: text)("q")
    if shape == "openai":
        return guarded(output=[guard])(lambda prompt: _openai(text))("q")["choices"][0]["message"]["content"]
    if shape == "openai-objects":
        response = NS(choices=[NS(index=0, message=NS(role="assistant", content=text, tool_calls=None))])
        return guarded(output=[guard])(lambda prompt: response)("q").choices[0].message.content
    if shape == "anthropic":
        message = {"id": "m1", "type": "message", "role": "assistant", "content": [{"type": "text", "text": text}]}
        return guarded(output=[guard])(lambda prompt: message)("q")["content"][0]["text"]
    if shape == "stream-str":
        return "".join(guarded(output=[guard])(lambda prompt: iter([text[:5], text[5:]]))("q"))
    if shape == "stream-openai":
        return "".join(guarded(output=[guard])(lambda prompt: iter(_chunks(text)))("q"))
    if shape == "stream-anthropic":
        return "".join(guarded(output=[guard])(lambda prompt: iter(_anthropic_events(text)))("q"))

    async def plain(prompt: str) -> str:
        return text

    async def streamed(prompt: str) -> AsyncIterator[Any]:
        return _async_chunks(_chunks(text))

    async def run() -> str:
        if shape == "async":
            return await guarded(output=[guard])(plain)("q")
        return "".join([piece async for piece in await guarded(output=[guard])(streamed)("q")])

    return asyncio.run(run())


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("text", PLAIN_ANSWERS)
def test_a_plain_answer_passes_untouched(text: str, shape: str) -> None:
    assert answer_through(shape, text, ToolCallGuard(TOOLS)) == text


@pytest.mark.parametrize("shape", ["str", "async", "stream-str"])
def test_a_str_answer_that_holds_calls_by_name_is_checked(shape: str) -> None:
    guard = ToolCallGuard(TOOLS)
    allowed = envelope("run_sql", {"sql": "select 1"})
    assert answer_through(shape, allowed, guard) == allowed
    with pytest.raises(Blocked, match="tool 'rm' is not allowed"):
        answer_through(shape, envelope("rm", {"path": "/"}), guard)
    with pytest.raises(Blocked, match="no-drop"):
        answer_through(shape, envelope("run_sql", {"sql": "DROP TABLE users"}), guard)


PROVIDERS = ["openai", "openai-objects", "anthropic", "stream-openai", "stream-anthropic", "async-stream-openai"]
# A coding assistant's answers that quote API examples (review R6): not calls of a provider's.
API_EXAMPLES = [
    "The response looks like:\n```json\n" + json.dumps({"role": "assistant", **json.loads(envelope("lookup", {}))}) + "\n```",
    "To parse an Anthropic reply, check blocks: ```json\n" + json.dumps(
        {"content": [{"type": "tool_use", "id": "t1", "name": "calc", "input": {"x": 1}}]}) + "\n```",
    "Old style:\n```json\n" + json.dumps(
        {"role": "assistant", "function_call": {"name": "get_current_weather", "arguments": "{}"}}) + "\n```",
    "Your API returned this:\n```json\n" + json.dumps({"choices": [{"message": json.loads(
        envelope("run_sql", {"sql": "DROP TABLE users"}))}]}) + "\n```",
    json.dumps({"model": "gpt-4o", "tool_calls": 3, "tokens": 1200}),
]


@pytest.mark.parametrize("shape", PROVIDERS)
@pytest.mark.parametrize("text", API_EXAMPLES)
def test_a_provider_text_answer_is_an_answer_in_marked_mode(text: str, shape: str) -> None:
    """The provider's structure says which calls it makes: calls by name in its text are an
    example the answer quotes."""
    assert answer_through(shape, text, ToolCallGuard(TOOLS)) == text
    assert last_report().tool_calls == []


@pytest.mark.parametrize("shape", PROVIDERS)
def test_a_provider_answer_that_is_one_call_object_as_a_whole_is_checked(shape: str) -> None:
    """A program that parses the answer as JSON (JSON mode, an output parser) would run these:
    the whole answer, not a quotation."""
    with pytest.raises(Blocked, match="not allowed"):
        answer_through(shape, "\n" + envelope("rm", {"path": "/"}) + "  ", ToolCallGuard(TOOLS))


@pytest.mark.parametrize("shape", PROVIDERS)
def test_protocol_reads_calls_written_in_a_provider_text_answer(shape: str) -> None:
    text = f"I will run it.\n<tool_call>\n{json.dumps(drop())}\n</tool_call>"
    with pytest.raises(Blocked, match="no-drop"):
        answer_through(shape, text, ToolCallGuard(TOOLS, text_calls="protocol"))


def test_the_provider_calls_are_checked_whatever_its_text_quotes() -> None:
    chat = _openai(json.dumps({"tool_calls": []}))
    chat["choices"][0]["message"]["tool_calls"] = json.loads(envelope("run_sql", {"sql": "DROP TABLE users"}))["tool_calls"]
    with pytest.raises(Blocked, match="no-drop"):
        guarded(output=[ToolCallGuard(TOOLS)])(lambda prompt: chat)("q")


@pytest.mark.parametrize("text", [json.dumps({"model": "gpt-4o", "tool_calls": 3}),
                                  json.dumps({"tool_calls": True, "vision": False}),
                                  json.dumps({"tool_calls": 0.5})])
def test_a_count_or_a_flag_named_tool_calls_is_an_answer(text: str) -> None:
    v = ToolCallGuard(TOOLS).check(text, Context(side="output", response=text))
    assert v.passed and v.meta["tool_calls"] == 0


@pytest.mark.parametrize("text", [
    json.dumps({"choices": [{"message": {"role": "assistant", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "rm", "arguments": "{}"}}]}}]}),
    json.dumps({"role": "assistant", "content": [{"type": "text", "text": "Removing."},
                                                 {"type": "tool_use", "id": "t1", "name": "rm", "input": {}}]}),
    json.dumps({"role": "assistant", "function_call": {"name": "rm", "arguments": "{}"}}),
])
def test_a_completion_an_anthropic_message_or_a_legacy_call_written_as_json_is_read(text: str) -> None:
    v = ToolCallGuard(TOOLS).check(text, Context(side="output", response=text))
    assert not v.passed and v.findings[0].kind == "tool_calls.unknown_tool" and v.meta["tool_calls"] == 1


@pytest.mark.parametrize("text", ['{"tool_calls": "rm -rf /"}', '{"tool_calls": [{"function": {"name": "rm"',
                                  "{tool_calls: [{function: {name: 'rm', arguments: '{}'}}]}"])
def test_an_answer_naming_calls_that_cannot_be_read_fails_closed(text: str) -> None:
    v = ToolCallGuard(TOOLS).check(text, Context(side="output", response=text))
    assert not v.passed and v.findings[0].kind == "tool_calls.unreadable"


def drop(name: str = "run_sql") -> dict[str, Any]:
    return {"name": name, "arguments": {"sql": "DROP TABLE users"}}


@pytest.mark.parametrize("text", [
    json.dumps(drop()),
    json.dumps({"name": "run_sql", "parameters": {"sql": "DROP TABLE users"}}),  # Llama's JSON tool calls
    f"<tool_call>\n{json.dumps(drop())}\n</tool_call>",  # Hermes / Qwen tags
    f"I will run it.\n```json\n{json.dumps(drop())}\n```",
    f"[TOOL_CALLS] {json.dumps([{'name': 'run_sql', 'arguments': {'sql': 'select 1'}}, drop()])}",
    json.dumps([{"id": "c1", "type": "function",
                 "function": {"name": "run_sql", "arguments": json.dumps({"sql": "DROP TABLE users"})}}]),
    json.dumps({"type": "tool_use", "id": "t1", "name": "run_sql", "input": {"sql": "DROP TABLE users"}}),
    envelope("run_sql", {"sql": "DROP TABLE users"}),
])
@pytest.mark.parametrize("shape", ["str", "openai", "stream-openai"])
def test_protocol_reads_the_calls_a_model_writes(text: str, shape: str) -> None:
    with pytest.raises(Blocked, match="no-drop"):
        answer_through(shape, text, ToolCallGuard(TOOLS, text_calls="protocol"))


def test_protocol_checks_every_call_and_passes_answers_that_are_not_calls() -> None:
    guard = ToolCallGuard(TOOLS, text_calls="protocol")
    two = json.dumps([{"name": "run_sql", "arguments": {"sql": "select 1"}}, {"name": "rm", "arguments": {}}])
    v = guard.check(two, Context(side="output", response=two))
    assert not v.passed and v.meta["tool_calls"] == 2 and "tool 'rm' is not allowed" in v.reason
    ok = json.dumps({"name": "run_sql", "arguments": {"sql": "select 1"}})
    v = guard.check(ok, Context(side="output", response=ok))
    assert v.passed and v.meta["tool_calls"] == 1
    missing = json.dumps({"name": "run_sql", "arguments": {"query": "select 1"}})
    assert "'sql' is a required property" in guard.check(missing, Context(side="output")).reason
    for text in ('{"name": "Bob", "age": 3}', "The answer is 42.", '[1, 2, 3]'):
        v = guard.check(text, Context(side="output", response=text))
        assert v.passed and v.meta["tool_calls"] == 0, text


def test_protocol_refuses_a_list_that_mixes_calls_and_other_values() -> None:
    text = json.dumps([{"name": "run_sql", "arguments": {"sql": "select 1"}}, {"note": "and more"}])
    v = ToolCallGuard(TOOLS, text_calls="protocol").check(text, Context(side="output"))
    assert not v.passed and v.findings[0].kind == "tool_calls.unreadable" and "mixes" in v.reason


def test_never_reads_only_the_provider_calls() -> None:
    guard = ToolCallGuard(TOOLS, text_calls="never")
    text = envelope("rm", {})
    assert guard.check(text, Context(side="output", response=text)).passed
    response = {"choices": [{"message": {"tool_calls": json.loads(text)["tool_calls"]}}]}
    assert not guard.check("", Context(side="output", response=response)).passed


def test_text_calls_takes_one_of_three_words() -> None:
    with pytest.raises(ConfigError, match="'marked', 'protocol' or 'never'"):
        ToolCallGuard(TOOLS, text_calls="always")  # type: ignore[arg-type]


def docstring_guard(tmp_path: Path) -> ToolCallGuard:
    """The guard the module docstring's example configures (its YAML, as a user copies it)."""
    doc = tool_calls_module.__doc__ or ""
    path = tmp_path / "tools.yaml"
    path.write_text(textwrap.dedent(doc[doc.index("    tools:"):]))
    return ToolCallGuard(file=path)


@pytest.mark.parametrize("sql, runs", [
    ("SELECT * FROM orders WHERE id = 3", True), ("select dropped_at from deleted_items_view;", True),
    ("DROP TABLE users", False), ("DELETE/**/FROM users", False), ("dElEtE FROM users", False),
    ("SELECT 1; DROP TABLE users", False), ("/*!50000DROP*/ TABLE users", False),
    ("UPDATE users SET is_admin = 1", False), ("EXEC('DR' + 'OP TABLE users')", False),
    ("WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d", False),
    ("SELECT * INTO OUTFILE '/tmp/users' FROM users", False),
])
def test_the_docstring_sql_example_keeps_to_one_select(tmp_path: Path, sql: str, runs: bool) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "run_sql", "arguments": json.dumps({"sql": sql})}}
    verdict = docstring_guard(tmp_path).check("", Context(side="output", response=[call]))
    assert verdict.passed is runs
