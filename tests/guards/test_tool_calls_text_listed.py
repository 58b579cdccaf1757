"""Answers the tool_calls guard once let pass unchecked: JSON that gives a key twice, a message
in a ``message`` envelope (Ollama, Cohere), LangChain's ``invalid_tool_calls``."""
from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from guardlayer import Blocked, guarded
from guardlayer.context import Context
from guardlayer.guards.tool_calls import ToolCallGuard
from guardlayer.providers.tools import answer_calls, tool_calls
from guardlayer.verdict import MISSING

TOOLS = {"run_sql": {"schema": {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]},
                     "rules": [{"id": "no-drop", "kind": "field", "require": "sql not matches '(?i)drop'"}]}}
DROP = {"sql": "DROP TABLE users"}
DROP_CALL = {"id": "c1", "type": "function", "function": {"name": "run_sql", "arguments": json.dumps(DROP)}}


def verdict(text: str, mode: str = "marked", response: Any = "text") -> Any:
    """The guard's verdict on ``text``, the answer of a function returning text (``response``
    "text") or the text of a provider's answer (``response``: that answer)."""
    ctx = Context(side="output", response=text if response == "text" else response)
    return ToolCallGuard(TOOLS, text_calls=mode).check(text, ctx)  # type: ignore[arg-type]


# The same key twice: Python's reader keeps the last value, others the first (or either).
MARKED_TWICE = '{"tool_calls": [%s], "tool_calls": []}'.replace("%s", json.dumps(DROP_CALL))
TWICE = [
    (MARKED_TWICE, "marked"),
    (MARKED_TWICE.replace("[]}", "3}"), "marked"),
    (('{"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": '
      r'{"name": "rm", "name": "run_sql", "arguments": "{\"sql\": \"select 1\"}"}}]}'), "marked"),
    (f"Sure:\n```json\n{MARKED_TWICE}\n```", "marked"),
    ('{"name": "run_sql", "arguments": {"sql": "DROP TABLE users", "sql": "select 1"}}', "protocol"),
    ('<tool_call>{"name": "rm", "arguments": {"sql": "select 1"}, "name": "run_sql"}</tool_call>', "protocol"),
]


@pytest.mark.parametrize("text, mode", TWICE)
def test_json_holding_calls_that_gives_a_key_twice_is_unreadable(text: str, mode: str) -> None:
    v = verdict(text, mode)
    assert not v.passed and v.findings[0].kind == "tool_calls.unreadable" and "key twice" in v.reason


def test_a_provider_answer_that_is_such_json_as_a_whole_is_unreadable() -> None:
    chat = {"choices": [{"index": 0, "message": {"role": "assistant", "content": MARKED_TWICE}}]}
    v = verdict(MARKED_TWICE, "marked", response=chat)
    assert not v.passed and "key twice" in v.reason
    with pytest.raises(Blocked, match="key twice"):
        guarded(output=[ToolCallGuard(TOOLS)])(lambda prompt: chat)("q")


@pytest.mark.parametrize("text, mode", [
    ('{"name": "Bob", "name": "Ann", "age": 3}', "protocol"),  # no call either way
    ('{"tool_calls": 3, "tool_calls": 4, "model": "gpt-4o"}', "marked"),  # a count either way
    ('Config: {"function": "lookup", "function": "search"}', "marked"),
])
def test_json_that_gives_a_key_twice_but_holds_no_calls_is_an_answer(text: str, mode: str) -> None:
    v = verdict(text, mode)
    assert v.passed and v.meta["tool_calls"] == 0


def ollama(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """An Ollama /api/chat answer (Cohere's v2 chat nests its message the same way)."""
    return {"model": "llama3.1", "created_at": "2026-01-01T00:00:00Z", "done": True,
            "message": {"role": "assistant", "content": "",
                        "tool_calls": [{"function": {"name": name, "arguments": args}}]}}


@pytest.mark.parametrize("mode", ["marked", "protocol"])
def test_a_message_envelope_written_as_text_is_read(mode: str) -> None:
    v = verdict(json.dumps(ollama("run_sql", DROP)), mode)
    assert not v.passed and "no-drop" in v.reason and v.meta["tool_calls"] == 1
    assert verdict(json.dumps(ollama("run_sql", {"sql": "select 1"})), mode).passed


def test_a_message_envelope_given_as_the_response_is_read() -> None:
    v = verdict("", "never", response=ollama("rm", {"path": "/"}))
    assert not v.passed and v.findings[0].kind == "tool_calls.unknown_tool"
    (call,) = tool_calls(ollama("run_sql", DROP))
    assert (call.name, call.parsed) == ("run_sql", DROP)


@pytest.mark.parametrize("text", ['{"status": "ok", "message": "Saved."}',
                                  '{"message": {"role": "assistant", "content": "Hello"}}'])
def test_a_message_field_that_holds_no_calls_is_an_answer(text: str) -> None:
    v = verdict(text)
    assert v.passed and v.meta["tool_calls"] == 0


@pytest.mark.parametrize("beside", [{"tool_calls": [DROP_CALL]},
                                    {"choices": [{"message": {"tool_calls": [DROP_CALL]}}]}])
def test_calls_beside_a_message_envelope_are_unreadable(beside: dict[str, Any]) -> None:
    answer = {**ollama("run_sql", {"sql": "select 1"}), **beside}
    with pytest.raises(ValueError, match="both in"):
        answer_calls(answer)
    v = verdict(json.dumps(answer))
    assert not v.passed and "both in" in v.reason


class AIMessage(BaseModel):
    """The fields of langchain_core's ``AIMessage`` (not installed here) that carry calls."""

    content: object = ""
    type: str = "ai"
    tool_calls: list = []
    invalid_tool_calls: list = []


def invalid(name: str | None, args: str | None) -> dict[str, Any]:
    """A LangChain invalid tool call: arguments its parser could not read as a JSON object."""
    return {"name": name, "args": args, "id": "c9", "error": "Function run_sql arguments are not valid JSON.",
            "type": "invalid_tool_call"}


@pytest.mark.parametrize("call, kind", [
    (invalid("run_sql", '{"sql": "DROP TABLE users"'), "tool_calls.bad_arguments"),  # cut off
    (invalid("run_sql", '{"sql": "select 1"}}'), "tool_calls.bad_arguments"),  # a repair reads it
    (invalid("run_sql", '["select 1"]'), "tool_calls.bad_arguments"),  # JSON, not an object
    (invalid("rm", '{"path": "/"}'), "tool_calls.unknown_tool"),
    (invalid(None, "{}"), "tool_calls.unreadable"),
])
def test_langchain_invalid_tool_calls_are_refused(call: dict[str, Any], kind: str) -> None:
    answer = AIMessage(content="Running it.", invalid_tool_calls=[call])
    v = ToolCallGuard(TOOLS).check("Running it.", Context(side="output", response=answer))
    assert not v.passed and v.findings[0].kind == kind
    with pytest.raises(Blocked):
        guarded(output=[ToolCallGuard(TOOLS)])(lambda prompt: answer)("q")


def test_an_invalid_call_is_read_after_the_valid_ones_with_its_text_and_no_value() -> None:
    answer = AIMessage(tool_calls=[{"name": "run_sql", "args": {"sql": "select 1"}, "id": "c1", "type": "tool_call"}],
                       invalid_tool_calls=[invalid("run_sql", '{"sql": "select 2"}')])
    valid, broken = answer_calls(answer)
    assert tool_calls(answer) == [valid]  # (what a program may run: not the invalid call)
    assert (valid.index, valid.parsed) == (0, {"sql": "select 1"})
    assert (broken.index, broken.id, broken.arguments, broken.parsed) == (1, "c9", '{"sql": "select 2"}', MISSING)
    v = ToolCallGuard(TOOLS, action="fix").check("", Context(side="output", response=answer))
    assert [c["id"] for c in v.value] == ["c1"] and v.meta["tool_calls"] == 2
